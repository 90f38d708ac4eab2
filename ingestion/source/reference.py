"""Fixed reference data of the Wide World Importers source (names follow Microsoft's sample)."""

from __future__ import annotations

# (name, iso3, continent, region, subregion, population)
COUNTRIES = [
    ("United States", "USA", "North America", "Americas", "Northern America", 325_000_000),
    ("Canada", "CAN", "North America", "Americas", "Northern America", 37_000_000),
    ("Mexico", "MEX", "North America", "Americas", "Central America", 126_000_000),
    ("United Kingdom", "GBR", "Europe", "Europe", "Northern Europe", 66_000_000),
    ("Germany", "DEU", "Europe", "Europe", "Western Europe", 83_000_000),
    ("Australia", "AUS", "Oceania", "Oceania", "Australia and New Zealand", 25_000_000),
    ("New Zealand", "NZL", "Oceania", "Oceania", "Australia and New Zealand", 5_000_000),
    ("Japan", "JPN", "Asia", "Asia", "Eastern Asia", 126_000_000),
]

# (code, name, country index, sales territory, population)
STATE_PROVINCES = [
    ("AL", "Alabama", 0, "Southeast", 4_900_000), ("AK", "Alaska", 0, "Far West", 730_000),
    ("AZ", "Arizona", 0, "Southwest", 7_200_000), ("AR", "Arkansas", 0, "Southeast", 3_000_000),
    ("CA", "California", 0, "Far West", 39_500_000), ("CO", "Colorado", 0, "Rocky Mountain", 5_800_000),
    ("CT", "Connecticut", 0, "New England", 3_600_000), ("DE", "Delaware", 0, "Mideast", 990_000),
    ("FL", "Florida", 0, "Southeast", 21_500_000), ("GA", "Georgia", 0, "Southeast", 10_700_000),
    ("HI", "Hawaii", 0, "Far West", 1_400_000), ("ID", "Idaho", 0, "Rocky Mountain", 1_800_000),
    ("IL", "Illinois", 0, "Great Lakes", 12_700_000), ("IN", "Indiana", 0, "Great Lakes", 6_700_000),
    ("IA", "Iowa", 0, "Plains", 3_200_000), ("KS", "Kansas", 0, "Plains", 2_900_000),
    ("KY", "Kentucky", 0, "Southeast", 4_500_000), ("LA", "Louisiana", 0, "Southeast", 4_600_000),
    ("ME", "Maine", 0, "New England", 1_300_000), ("MD", "Maryland", 0, "Mideast", 6_000_000),
    ("MA", "Massachusetts", 0, "New England", 6_900_000), ("MI", "Michigan", 0, "Great Lakes", 10_000_000),
    ("MN", "Minnesota", 0, "Plains", 5_600_000), ("MS", "Mississippi", 0, "Southeast", 3_000_000),
    ("MO", "Missouri", 0, "Plains", 6_100_000), ("MT", "Montana", 0, "Rocky Mountain", 1_000_000),
    ("NE", "Nebraska", 0, "Plains", 1_900_000), ("NV", "Nevada", 0, "Far West", 3_100_000),
    ("NH", "New Hampshire", 0, "New England", 1_400_000), ("NJ", "New Jersey", 0, "Mideast", 8_900_000),
    ("NM", "New Mexico", 0, "Southwest", 2_100_000), ("NY", "New York", 0, "Mideast", 19_500_000),
    ("NC", "North Carolina", 0, "Southeast", 10_500_000), ("ND", "North Dakota", 0, "Plains", 760_000),
    ("OH", "Ohio", 0, "Great Lakes", 11_700_000), ("OK", "Oklahoma", 0, "Southwest", 4_000_000),
    ("OR", "Oregon", 0, "Far West", 4_200_000), ("PA", "Pennsylvania", 0, "Mideast", 12_800_000),
    ("RI", "Rhode Island", 0, "New England", 1_100_000), ("SC", "South Carolina", 0, "Southeast", 5_100_000),
    ("SD", "South Dakota", 0, "Plains", 880_000), ("TN", "Tennessee", 0, "Southeast", 6_800_000),
    ("TX", "Texas", 0, "Southwest", 29_000_000), ("UT", "Utah", 0, "Rocky Mountain", 3_200_000),
    ("VT", "Vermont", 0, "New England", 620_000), ("VA", "Virginia", 0, "Southeast", 8_500_000),
    ("WA", "Washington", 0, "Far West", 7_600_000), ("WV", "West Virginia", 0, "Southeast", 1_800_000),
    ("WI", "Wisconsin", 0, "Great Lakes", 5_800_000), ("WY", "Wyoming", 0, "Rocky Mountain", 580_000),
    ("ON", "Ontario", 1, "External", 14_700_000), ("BC", "British Columbia", 1, "External", 5_100_000),
    ("QC", "Quebec", 1, "External", 8_500_000), ("JAL", "Jalisco", 2, "External", 8_300_000),
    ("ENG", "England", 3, "External", 56_000_000), ("BY", "Bavaria", 4, "External", 13_100_000),
    ("NSW", "New South Wales", 5, "External", 8_100_000), ("AUK", "Auckland", 6, "External", 1_700_000),
    ("13", "Tokyo", 7, "External", 14_000_000),
]

DELIVERY_METHODS = [
    "Post", "Courier", "Delivery Van", "Customer Collect", "Chilled Van",
    "Customer Courier to Collect", "Road Freight", "Air Freight", "Refrigerated Road Freight",
    "Refrigerated Air Freight",
]
PAYMENT_METHODS = ["Cash", "Check", "Credit-Card", "EFT"]
CUSTOMER_CATEGORIES = [
    "Agent", "Wholesaler", "Novelty Shop", "Supermarket", "Computer Store", "Gift Store",
    "Corporate", "General Retailer",
]
BUYING_GROUPS = ["Tailspin Toys", "Wingtip Toys"]
SUPPLIER_CATEGORIES = [
    "Other Wholesaler", "Novelty Goods Supplier", "Toy Supplier", "Clothing Supplier",
    "Packaging Supplier", "Courier Services Supplier", "Financial Services Supplier",
    "Marketing Services Supplier", "Insurance Services Supplier",
]
# (name, category index, website domain)
SUPPLIERS = [
    ("A Datum Corporation", 1, "adatum.com"), ("Contoso, Ltd.", 1, "contoso.com"),
    ("Consolidated Messenger", 5, "consolidatedmessenger.com"),
    ("Fabrikam, Inc.", 3, "fabrikam.com"), ("Graphic Design Institute", 1, "graphicdesigninstitute.com"),
    ("Humongous Insurance", 8, "humongousinsurance.com"), ("Litware, Inc.", 4, "litwareinc.com"),
    ("Lucerne Publishing", 1, "lucernepublishing.com"), ("Nod Publishers", 1, "nodpublishers.com"),
    ("Northwind Electric Cars", 2, "northwindelectriccars.com"), ("Trey Research", 7, "treyresearch.net"),
    ("The Phone Company", 1, "thephone-company.com"), ("Woodgrove Bank", 6, "woodgrovebank.com"),
]
COLORS = [
    "Azure", "Beige", "Black", "Blue", "Charcoal", "Chartreuse", "Cyan", "Dark Brown", "Dark Green",
    "Fuscia", "Gold", "Gray", "Indigo", "Ivory", "Khaki", "Lavender", "Light Brown", "Light Green",
    "Maroon", "Mauve", "Navy Blue", "Olive", "Orange", "Plum", "Puce", "Purple", "Red", "Royal Blue",
    "Salmon", "Silver", "Steel Gray", "Tan", "Teal", "Wheat", "White", "Yellow",
]
PACKAGE_TYPES = [
    "Bag", "Block", "Bottle", "Box", "Can", "Carton", "Each", "Kit", "Packet", "Pair", "Pallet",
    "Tray", "Tub", "Tube",
]
STOCK_GROUPS = [
    "Novelty Items", "Clothing", "Mugs", "T-Shirts", "Airline Novelties", "Computing Novelties",
    "USB Novelties", "Furry Footwear", "Toys", "Packaging Materials",
]
# (base name, stock group indexes, chiller, variants kind, price median, package)
PRODUCTS = [
    ("USB missile launcher", (0, 5, 6), False, "color", 25.0, "Each"),
    ("USB rocket launcher", (0, 5, 6), False, "color", 25.0, "Each"),
    ("USB food flash drive", (0, 5, 6), False, "food", 32.0, "Each"),
    ("Developer joke mug", (2, 0), False, "joke", 13.0, "Each"),
    ("DBA joke mug", (2, 0), False, "joke", 13.0, "Each"),
    ("IT joke mug", (2, 0), False, "joke", 13.0, "Each"),
    ("Superhero action jacket", (1,), False, "size", 34.0, "Each"),
    ("Dinosaur battery-powered slippers", (7, 1), False, "size", 32.0, "Each"),
    ("Furry animal socks", (7, 1), False, "size", 5.0, "Pair"),
    ("Plush shark slippers", (7, 1), False, "size", 32.0, "Pair"),
    ("Ride on toy sedan car", (8,), False, "color", 230.0, "Each"),
    ("Ride on big wheel monster truck", (8,), False, "color", 345.0, "Each"),
    ("Airline seat belt bag", (4, 0), False, "color", 18.0, "Each"),
    ("Halloween zombie mask", (0,), False, "size", 18.0, "Each"),
    ("Tape dispenser", (9,), False, "color", 32.0, "Each"),
    ("Shipping carton", (9,), False, "carton", 1.14, "Carton"),
    ("Bubblewrap dispenser bag", (9,), False, "length", 24.0, "Bag"),
    ("Black and orange fragile despatch tape", (9,), False, "length", 3.7, "Each"),
    ("Packing knife with metal insert blade", (9,), False, "color", 7.0, "Each"),
    ("Chocolate beetles", (0,), True, "weight", 8.55, "Packet"),
    ("Chocolate echidnas", (0,), True, "weight", 8.55, "Packet"),
    ("Chocolate frogs", (0,), True, "weight", 8.55, "Packet"),
    ("Chocolate sharks", (0,), True, "weight", 8.55, "Packet"),
    ("Novelty chilli chocolates", (0,), True, "weight", 12.0, "Packet"),
    ("Alien officer hoodie", (1, 3), False, "size", 30.0, "Each"),
    ("The Gu red shirt XML tag t-shirt", (3, 1), False, "size", 18.0, "Each"),
    ("Programmer joke t-shirt", (3, 1), False, "size", 18.0, "Each"),
    ("Animal print novelty umbrella", (0,), False, "color", 18.0, "Each"),
    ("Computing novelty stress ball", (5, 0), False, "color", 4.1, "Each"),
    ("Void fill bag", (9,), False, "length", 40.0, "Bag"),
]
VARIANTS = {
    "color": ["Black", "Blue", "Gray", "Red", "White", "Yellow", "Green", "Pink"],
    "food": ["hot dog", "banana", "chocolate bar", "cookie", "pizza slice", "sushi roll", "shrimp cracker"],
    "joke": ["(Black)", "(White)", "- mind your language (Black)", "- are you kidding (White)",
             "- that's a hardware problem (Black)", "- it works on my machine (White)"],
    "size": ["XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL"],
    "carton": ["229x229x229mm", "305x305x305mm", "356x229x229mm", "386x229x229mm", "457x279x279mm"],
    "length": ["10m", "20m", "50m", "100m", "300x190mm"],
    "weight": ["100g", "250g", "500g", "1kg"],
}

FIRST_NAMES = [
    "Aakriti", "Abhra", "Adriana", "Agrita", "Ahmed", "Aile", "Alena", "Allan", "Amara", "Anand",
    "Anna", "Arjun", "Bala", "Bianca", "Bich", "Bryan", "Camille", "Chen", "Daniel", "Deepak",
    "Elena", "Emma", "Eric", "Ganesh", "Hanna", "Hudson", "Ingrid", "Isabella", "Jack", "Jaroslav",
    "Jayanti", "Kamala", "Kayla", "Laszlo", "Lily", "Lucas", "Maria", "Mateo", "Mei", "Nadia",
    "Naveen", "Olivia", "Omar", "Paulo", "Priya", "Raj", "Rosa", "Sara", "Sophia", "Tomas",
    "Valter", "Victoria", "Wang", "Yusuf", "Zoe",
]
LAST_NAMES = [
    "Abel", "Ahmed", "Bajwa", "Berg", "Byrraju", "Carlson", "Chakraborty", "Dixit", "Fischer",
    "Garcia", "Gonzalez", "Gupta", "Hansen", "Ivanova", "Jensen", "Kim", "Kovacs", "Kumar",
    "Lopez", "Martin", "Mehta", "Moreno", "Nguyen", "Novak", "Okafor", "Petrov", "Rao", "Rossi",
    "Santos", "Schmidt", "Silva", "Singh", "Sokolov", "Tanaka", "Torres", "Tran", "Varga",
    "Wagner", "Walker", "Wong", "Yamamoto", "Zhang",
]
CITY_PREFIXES = [
    "Ash", "Bay", "Bel", "Bridge", "Brook", "Cedar", "Clear", "Cold", "Crest", "East", "Elm",
    "Fair", "Fern", "Glen", "Green", "Harbor", "High", "Lake", "Lin", "Maple", "Mill", "New",
    "North", "Oak", "Pine", "Red", "River", "Rock", "Silver", "South", "Spring", "Stone", "Sun",
    "West", "White", "Wood",
]
CITY_SUFFIXES = [
    "field", "ford", "ton", "ville", "wood", "dale", "port", "view", "land", "burg", "haven",
    "mont", " Springs", " Falls", " Heights", " City", "brook", "side",
]
STREETS = ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Park Rd", "Lake Blvd", "Hill St", "Elm Ct"]

# Order statuses; history is mostly delivered, recent orders are still moving.
ORDER_STATUSES = ("entered", "picked", "invoiced", "delivered", "cancelled")
INVALID_STATUSES = ("UNKNOWN", "??", "pending-review", "")
