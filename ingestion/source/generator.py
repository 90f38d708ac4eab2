"""Deterministic Wide World Importers data at a scale factor, with planted mess.

Same seed, scale and dirty rate give the same rows, byte for byte: one
`random.Random` drives everything in a fixed order and no clock is read.
SF 1 is a little over 1,000,000 rows; orders, order lines, invoices, invoice
lines and stock transactions dominate, spread over 2022-2025 with seasonality
and growth. Values are rendered as COPY text (strings) as they are generated.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ingestion.source import reference as ref

START = date(2022, 1, 1)
END = date(2025, 12, 31)
EDITED = "2021-12-31 09:00:00+00"
VALID_STATUSES = frozenset(ref.ORDER_STATUSES)
PHONE_PATTERN = r"^\(\d{3}\) \d{3}-\d{4}$"  # the clean format, e.g. (308) 555-0123


SourceRow = tuple[Any, ...]
"""One generated row: the table's column values (int, str, date, Decimal ...) by position."""


@dataclass
class Table:
    name: str
    columns: list[str]
    rows: list[SourceRow] = field(default_factory=list)


@dataclass
class Dataset:
    tables: dict[str, Table]
    planted: dict[str, int]

    def counts(self) -> dict[str, int]:
        return {name: len(table.rows) for name, table in self.tables.items()}


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S+00")


def _money(value: float) -> str:
    return f"{value:.2f}"


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


class _Builder:
    """Holds the random stream and what has been generated so far."""

    def __init__(self, scale: float, seed: int, dirty_rate: float) -> None:
        self.rng = random.Random(f"wwi:{seed}")
        self.scale = scale
        self.dirty = dirty_rate
        self.planted: Counter[str] = Counter()
        self.tables: dict[str, Table] = {}

    # -- helpers ---------------------------------------------------------------------
    def table(self, name: str, columns: str) -> Table:
        table = Table(name, columns.split())
        self.tables[name] = table
        return table

    def chance(self, p: float) -> bool:
        return p > 0 and self.rng.random() < p

    def clean_phone(self) -> str:
        area = self.rng.randint(201, 989)
        return f"({area}) 555-0{self.rng.randint(100, 999)}"

    def messy_phone(self, phone: str) -> str:
        area, rest = phone[1:4], phone[6:]
        local, last = rest.split("-")
        return self.rng.choice(
            [
                f"{area}-{local}-{last}",
                f"{area}.{local}.{last}",
                f"+1 {area} {local} {last}",
                f"{area}{local}{last}",
                f"+1 ({area}) {local}-{last}",
                f"{area} {local} {last}",
            ]
        )

    def messy_email(self, email: str) -> str:
        local, domain = email.split("@")
        return self.rng.choice(
            [
                email.upper(),
                f" {email}",
                f"{email} ",
                f"{local.capitalize()}@{domain.upper()}",
                f"  {local.title()}@{domain} ",
            ]
        )

    def padded(self, name: str) -> str:
        words = name.split(" ")
        if len(words) > 1 and self.rng.random() < 0.5:
            i = self.rng.randrange(1, len(words))
            return " ".join(words[:i]) + "  " + " ".join(words[i:])
        return self.rng.choice([f" {name}", f"{name} ", f"  {name}  "])

    # -- reference data ------------------------------------------------------------------
    def reference(self) -> None:
        t = self.table(
            "application.countries",
            "country_id country_name iso_alpha3_code "
            "continent region subregion latest_recorded_population last_edited_when",
        )
        for i, (name, iso, cont, region, sub, pop) in enumerate(ref.COUNTRIES, 1):
            t.rows.append((i, name, iso, cont, region, sub, pop, EDITED))
        t = self.table(
            "application.state_provinces",
            "state_province_id state_province_code "
            "state_province_name country_id sales_territory latest_recorded_population "
            "last_edited_when",
        )
        for i, (code, name, country, territory, pop) in enumerate(ref.STATE_PROVINCES, 1):
            t.rows.append((i, code, name, country + 1, territory, pop, EDITED))
        for name, entity, values in (
            ("application.delivery_methods", "delivery_method", ref.DELIVERY_METHODS),
            ("application.payment_methods", "payment_method", ref.PAYMENT_METHODS),
            ("sales.customer_categories", "customer_category", ref.CUSTOMER_CATEGORIES),
            ("sales.buying_groups", "buying_group", ref.BUYING_GROUPS),
            ("purchasing.supplier_categories", "supplier_category", ref.SUPPLIER_CATEGORIES),
            ("warehouse.colors", "color", ref.COLORS),
            ("warehouse.package_types", "package_type", ref.PACKAGE_TYPES),
            ("warehouse.stock_groups", "stock_group", ref.STOCK_GROUPS),
        ):
            t = self.table(name, f"{entity}_id {entity}_name last_edited_when")
            t.rows.extend((i, value, EDITED) for i, value in enumerate(values, 1))

    def cities(self) -> None:
        n = max(40, int(3000 * self.scale))
        t = self.table(
            "application.cities",
            "city_id city_name state_province_id latest_recorded_population last_edited_when",
        )
        states = ref.STATE_PROVINCES
        weights = [s[4] for s in states]
        seen: set[tuple[str, int]] = set()
        while len(t.rows) < n:
            name = self.rng.choice(ref.CITY_PREFIXES) + self.rng.choice(ref.CITY_SUFFIXES)
            state = self.rng.choices(range(len(states)), weights)[0] + 1
            if (name, state) in seen:
                continue
            seen.add((name, state))
            pop = int(self.rng.paretovariate(1.1) * 2000)
            t.rows.append((len(t.rows) + 1, name, state, pop, EDITED))

    def people(self, contacts: int) -> None:
        t = self.table(
            "application.people",
            "person_id full_name preferred_name is_employee "
            "is_salesperson email_address phone_number last_edited_when",
        )
        for i in range(1, 21 + contacts):
            first, last = self.rng.choice(ref.FIRST_NAMES), self.rng.choice(ref.LAST_NAMES)
            employee = i <= 20
            domain = "wideworldimporters.com" if employee else "example.com"
            t.rows.append(
                (
                    i,
                    f"{first} {last}",
                    first,
                    employee,
                    employee and i <= 10,
                    f"{first.lower()}.{last.lower()}{i}@{domain}",
                    self.clean_phone(),
                    EDITED,
                )
            )

    # -- customers, suppliers, stock -----------------------------------------------------
    def customers(self, n: int) -> list[int]:
        """Customers (with planted mess and duplicates); returns ids of real customers."""
        cities = self.tables["application.cities"].rows
        t = self.table(
            "sales.customers",
            "customer_id customer_name bill_to_customer_id customer_category_id buying_group_id "
            "primary_contact_person_id delivery_method_id delivery_city_id postal_city_id "
            "credit_limit account_opened_date standard_discount_percentage is_on_credit_hold "
            "payment_days email_address phone_number delivery_address_line1 delivery_postal_code "
            "last_edited_when",
        )
        originals: list[int] = []
        head_offices = {1: 1, 2: 2}  # buying group -> head office customer id
        next_id = 1
        for k in range(n):
            city = self.rng.choice(cities)
            if k < 2:
                group, name, bill_to = k + 1, f"{ref.BUYING_GROUPS[k]} (Head Office)", next_id
                category = 3
            elif self.rng.random() < 0.45:
                group = self.rng.choice((1, 2))
                name = f"{ref.BUYING_GROUPS[group - 1]} ({city[1]}, {_state_code(city[2])})"
                bill_to, category = head_offices[group], 3
            else:
                group, bill_to = None, next_id
                name = f"{self.rng.choice(ref.FIRST_NAMES)} {self.rng.choice(ref.LAST_NAMES)}"
                category = self.rng.choice((1, 2, 4, 5, 6, 7, 8))
            domain = ("tailspintoys.com", "wingtiptoys.com")[group - 1] if group else "example.net"
            email = f"{_slug(name)[:24]}.{next_id}@{domain}"
            row = [
                next_id,
                name,
                bill_to,
                category,
                group,
                20 + k + 1,
                self.rng.randint(1, 10),
                city[0],
                city[0],
                _money(self.rng.choice((1000, 2000, 2500, 3000, 5000)) * 1.0)
                if self.rng.random() < 0.7
                else None,
                (START - timedelta(days=self.rng.randint(30, 2400))).isoformat(),
                "0.000",
                self.rng.random() < 0.03,
                self.rng.choice((7, 14, 30)),
                email,
                self.clean_phone(),
                f"{self.rng.randint(1, 9999)} {self.rng.choice(ref.STREETS)}",
                f"9{self.rng.randint(1000, 9999)}",
                EDITED,
            ]
            self._dirty_customer(row)
            t.rows.append(tuple(row))
            originals.append(next_id)
            next_id += 1
            if k >= 2 and group is None and self.chance(self.dirty):
                dup = list(row)
                dup[0], dup[2] = next_id, next_id
                dup[1] = self.rng.choice([name.upper(), name.lower(), f"{name} ", f"{name}."])
                dup[14] = self.rng.choice([email, email.upper(), f" {email}"])
                base_phone = row[15] if row[15].startswith("(") else self.clean_phone()
                dup[15] = self.messy_phone(base_phone)
                self.planted["duplicate_customers"] += 1
                self.planted["messy_emails"] += dup[14] != email
                self.planted["nonstandard_phones"] += 1
                self.planted["padded_names"] += dup[1] != dup[1].strip()
                t.rows.append(tuple(dup))
                next_id += 1
        return originals

    def _dirty_customer(self, row: list[Any]) -> None:
        if self.chance(self.dirty):
            row[14] = self.messy_email(row[14])
            self.planted["messy_emails"] += 1
        if self.chance(self.dirty):
            row[15] = self.messy_phone(row[15])
            self.planted["nonstandard_phones"] += 1
        if self.chance(self.dirty):
            row[1] = self.padded(row[1])
            self.planted["padded_names"] += 1

    def suppliers(self, first_contact: int) -> None:
        cities = self.tables["application.cities"].rows
        t = self.table(
            "purchasing.suppliers",
            "supplier_id supplier_name supplier_category_id "
            "primary_contact_person_id delivery_method_id delivery_city_id "
            "supplier_reference payment_days phone_number website_url "
            "last_edited_when",
        )
        for i, (name, category, domain) in enumerate(ref.SUPPLIERS, 1):
            t.rows.append(
                (
                    i,
                    name,
                    category + 1,
                    first_contact + i - 1,
                    self.rng.choice((7, 8, 2)),
                    self.rng.choice(cities)[0],
                    f"{_slug(name)[:4].upper()}{i:04d}",
                    30,
                    self.clean_phone(),
                    f"https://www.{domain}",
                    EDITED,
                )
            )

    def stock_items(self) -> None:
        n = 227 if self.scale >= 0.1 else 60  # WWI sells 227 items; capped by the catalogue
        items = self.table(
            "warehouse.stock_items",
            "stock_item_id stock_item_name supplier_id color_id unit_package_id outer_package_id "
            "brand size lead_time_days quantity_per_outer is_chiller_stock tax_rate unit_price "
            "recommended_retail_price typical_weight_per_unit last_edited_when",
        )
        groups = self.table(
            "warehouse.stock_item_stock_groups",
            "stock_item_stock_group_id stock_item_id stock_group_id last_edited_when",
        )
        holdings = self.table(
            "warehouse.stock_item_holdings",
            "stock_item_id quantity_on_hand bin_location "
            "last_stocktake_quantity last_cost_price reorder_level "
            "target_stock_level last_edited_when",
        )
        packages = {name: i for i, name in enumerate(ref.PACKAGE_TYPES, 1)}
        colors = {name: i for i, name in enumerate(ref.COLORS, 1)}
        catalogue = [
            (product, variant) for product in ref.PRODUCTS for variant in ref.VARIANTS[product[3]]
        ]
        self.rng.shuffle(catalogue)
        for (base, group_ids, chiller, kind, median, package), variant in catalogue[:n]:
            color_id = colors.get(variant) if kind == "color" else None
            name = f"{base} ({variant})" if kind == "color" else f"{base} {variant}"
            item_id = len(items.rows) + 1
            price = round(median * math.exp(self.rng.gauss(0, 0.25)), 2)
            per_outer = self.rng.choice((1, 6, 10, 12, 24, 50, 100))
            items.rows.append(
                (
                    item_id,
                    name,
                    self.rng.randint(1, len(ref.SUPPLIERS)),
                    color_id,
                    packages[package],
                    packages["Carton"],
                    self.rng.choice((None, "Northwind")),
                    variant if kind == "size" else None,
                    self.rng.choice((7, 12, 14, 21)),
                    per_outer,
                    chiller,
                    "10.000" if chiller else "15.000",
                    _money(price),
                    _money(price * 1.5),
                    f"{self.rng.uniform(0.05, 20):.3f}",
                    EDITED,
                )
            )
            for g in group_ids:
                groups.rows.append((len(groups.rows) + 1, item_id, g + 1, EDITED))
            reorder = self.rng.choice((10, 20, 50, 100))
            on_hand = self.rng.randint(0, 20 * reorder) if self.rng.random() > 0.06 else 0
            holdings.rows.append(
                (
                    item_id,
                    on_hand,
                    f"L-{self.rng.randint(1, 9)}",
                    on_hand,
                    _money(price * 0.65),
                    reorder,
                    reorder * 10,
                    EDITED,
                )
            )

    # -- transactions ------------------------------------------------------------------------
    def orders(self, customer_ids: list[int]) -> None:
        n = max(50, int(95_000 * self.scale))
        days = [START + timedelta(days=d) for d in range((END - START).days + 1)]
        season = (0.8, 0.85, 0.95, 1.0, 1.0, 0.95, 0.9, 0.95, 1.0, 1.1, 1.3, 1.45)
        weekday = (1.0, 1.0, 1.0, 1.0, 1.0, 0.35, 0.15)
        weights = [
            season[d.month - 1] * weekday[d.weekday()] * (1 + 0.12 * (d.year - 2022)) for d in days
        ]
        order_days = sorted(self.rng.choices(days, weights, k=n))
        loyalty = [self.rng.paretovariate(1.3) for _ in customer_ids]
        buyers = self.rng.choices(customer_ids, loyalty, k=n)
        customers = {row[0]: row for row in self.tables["sales.customers"].rows}
        items = self.tables["warehouse.stock_items"].rows
        popularity = [self.rng.paretovariate(1.5) for _ in items]

        orders = self.table(
            "sales.orders",
            "order_id customer_id salesperson_person_id "
            "contact_person_id order_date expected_delivery_date "
            "customer_purchase_order_number status comments last_edited_when",
        )
        lines = self.table(
            "sales.order_lines",
            "order_line_id order_id stock_item_id description "
            "package_type_id quantity unit_price tax_rate picked_quantity "
            "last_edited_when",
        )
        invoices = self.table(
            "sales.invoices",
            "invoice_id customer_id bill_to_customer_id order_id delivery_method_id "
            "contact_person_id salesperson_person_id invoice_date customer_purchase_order_number "
            "total_dry_items total_chiller_items confirmed_delivery_time last_edited_when",
        )
        inv_lines = self.table(
            "sales.invoice_lines",
            "invoice_line_id invoice_id stock_item_id "
            "description package_type_id quantity unit_price tax_rate "
            "tax_amount line_profit extended_price last_edited_when",
        )
        moves = self.table(
            "warehouse.stock_item_transactions",
            "stock_item_transaction_id stock_item_id transaction_type customer_id "
            "invoice_id supplier_id purchase_order_id transaction_occurred_when "
            "quantity last_edited_when",
        )
        recent = END - timedelta(days=14)
        for order_id, (day, customer_id) in enumerate(zip(order_days, buyers, strict=True), 1):
            customer = customers[customer_id]
            if day <= recent:
                status = "cancelled" if self.rng.random() < 0.02 else "delivered"
            else:
                status = self.rng.choice(("entered", "picked", "invoiced", "delivered"))
            stored_status = status
            if self.chance(self.dirty / 10):
                stored_status = self.rng.choice(ref.INVALID_STATUSES)
                self.planted["unknown_statuses"] += 1
            edited = _ts(
                datetime(
                    day.year, day.month, day.day, self.rng.randint(7, 18), self.rng.randint(0, 59)
                )
            )
            salesperson = self.rng.randint(1, 10)
            po_number = str(self.rng.randint(10000, 99999)) if self.rng.random() < 0.8 else None
            orders.rows.append(
                (
                    order_id,
                    customer_id,
                    salesperson,
                    customer[5],
                    day.isoformat(),
                    (day + timedelta(days=1 + (day.weekday() >= 4) * 2)).isoformat(),
                    po_number,
                    stored_status,
                    None,
                    edited,
                )
            )
            picked = status in ("invoiced", "delivered")
            n_lines = self.rng.choice((1, 1, 2, 3, 3, 4, 5, 6))
            chosen = self.rng.choices(items, popularity, k=n_lines)
            order_lines = []
            for item in chosen:
                quantity = min(360, int(self.rng.lognormvariate(2.3, 0.9)) + 1)
                stored = quantity
                if self.chance(self.dirty / 10):
                    stored = -quantity
                    self.planted["negative_quantities"] += 1
                line_id = len(lines.rows) + 1
                lines.rows.append(
                    (
                        line_id,
                        order_id,
                        item[0],
                        item[1],
                        item[4],
                        stored,
                        item[12],
                        item[11],
                        quantity if picked else 0,
                        edited,
                    )
                )
                order_lines.append((item, quantity))
            if not picked:
                continue
            invoice_id = len(invoices.rows) + 1
            invoice_day = day + timedelta(days=1)
            delivered = None
            if status == "delivered":
                delivered = _ts(
                    datetime(
                        invoice_day.year,
                        invoice_day.month,
                        invoice_day.day,
                        self.rng.randint(8, 17),
                        self.rng.randint(0, 59),
                    )
                )
            dry = sum(q for item, q in order_lines if not item[10])
            invoices.rows.append(
                (
                    invoice_id,
                    customer_id,
                    customer[2],
                    order_id,
                    customer[6],
                    customer[5],
                    salesperson,
                    invoice_day.isoformat(),
                    po_number,
                    dry,
                    sum(q for _, q in order_lines) - dry,
                    delivered,
                    edited,
                )
            )
            for item, quantity in order_lines:
                price, rate = float(item[12]), float(item[11])
                net = quantity * price
                tax = net * rate / 100
                inv_lines.rows.append(
                    (
                        len(inv_lines.rows) + 1,
                        invoice_id,
                        item[0],
                        item[1],
                        item[4],
                        quantity,
                        item[12],
                        item[11],
                        _money(tax),
                        _money(net * 0.35),
                        _money(net + tax),
                        edited,
                    )
                )
                moves.rows.append(
                    (
                        len(moves.rows) + 1,
                        item[0],
                        "Stock Issue",
                        customer_id,
                        invoice_id,
                        None,
                        None,
                        edited,
                        f"{-quantity:.3f}",
                        edited,
                    )
                )

    def purchase_orders(self) -> None:
        n = max(10, int(2500 * self.scale))
        items = self.tables["warehouse.stock_items"].rows
        by_supplier: dict[int, list[SourceRow]] = {}
        for item in items:
            by_supplier.setdefault(item[2], []).append(item)
        suppliers = sorted(by_supplier)
        pos = self.table(
            "purchasing.purchase_orders",
            "purchase_order_id supplier_id order_date "
            "delivery_method_id contact_person_id expected_delivery_date "
            "supplier_reference is_order_finalized last_edited_when",
        )
        lines = self.table(
            "purchasing.purchase_order_lines",
            "purchase_order_line_id purchase_order_id stock_item_id ordered_outers "
            "description received_outers package_type_id "
            "expected_unit_price_per_outer is_order_line_finalized "
            "last_edited_when",
        )
        moves = self.tables["warehouse.stock_item_transactions"]
        span = (END - START).days
        for po_id, offset in enumerate(sorted(self.rng.randrange(span) for _ in range(n)), 1):
            day = START + timedelta(days=offset)
            supplier = self.rng.choice(suppliers)
            finalized = day < END - timedelta(days=21)
            edited = _ts(datetime(day.year, day.month, day.day, 9, 0))
            pos.rows.append(
                (
                    po_id,
                    supplier,
                    day.isoformat(),
                    self.rng.choice((7, 8)),
                    self.rng.randint(1, 20),
                    (day + timedelta(days=14)).isoformat(),
                    f"PO{po_id:06d}",
                    finalized,
                    edited,
                )
            )
            catalogue = by_supplier[supplier]
            for item in self.rng.sample(catalogue, k=min(len(catalogue), self.rng.randint(1, 8))):
                outers = self.rng.randint(1, 40)
                received = outers if finalized else 0
                lines.rows.append(
                    (
                        len(lines.rows) + 1,
                        po_id,
                        item[0],
                        outers,
                        item[1],
                        received,
                        item[5],
                        _money(float(item[12]) * item[9] * 0.6),
                        finalized,
                        edited,
                    )
                )
                if received:
                    arrived = day + timedelta(days=14)
                    when = _ts(datetime(arrived.year, arrived.month, arrived.day, 7, 30))
                    moves.rows.append(
                        (
                            len(moves.rows) + 1,
                            item[0],
                            "Stock Receipt",
                            None,
                            None,
                            supplier,
                            po_id,
                            when,
                            f"{received * item[9]:.3f}",
                            when,
                        )
                    )


def _state_code(state_id: int) -> str:
    return ref.STATE_PROVINCES[state_id - 1][0]


# Load order: parents before children (foreign keys are added after the load anyway).
TABLE_ORDER = [
    "application.countries",
    "application.state_provinces",
    "application.cities",
    "application.people",
    "application.delivery_methods",
    "application.payment_methods",
    "sales.customer_categories",
    "sales.buying_groups",
    "purchasing.supplier_categories",
    "purchasing.suppliers",
    "warehouse.colors",
    "warehouse.package_types",
    "warehouse.stock_groups",
    "warehouse.stock_items",
    "warehouse.stock_item_stock_groups",
    "warehouse.stock_item_holdings",
    "sales.customers",
    "sales.orders",
    "sales.order_lines",
    "sales.invoices",
    "sales.invoice_lines",
    "purchasing.purchase_orders",
    "purchasing.purchase_order_lines",
    "warehouse.stock_item_transactions",
]
PLANTED_KINDS = (
    "messy_emails",
    "nonstandard_phones",
    "padded_names",
    "duplicate_customers",
    "negative_quantities",
    "unknown_statuses",
)


def generate(scale: float, seed: int = 42, dirty_rate: float = 0.0) -> Dataset:
    """Generate the whole WWI dataset in memory."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if not 0 <= dirty_rate <= 0.5:
        raise ValueError(f"dirty rate must be between 0 and 0.5, got {dirty_rate}")
    builder = _Builder(scale, seed, dirty_rate)
    builder.reference()
    builder.cities()
    n_customers = max(20, int(1000 * scale))
    builder.people(contacts=n_customers + len(ref.SUPPLIERS))
    builder.suppliers(first_contact=21 + n_customers)
    builder.stock_items()
    customer_ids = builder.customers(n_customers)
    builder.orders(customer_ids)
    builder.purchase_orders()
    planted = {kind: builder.planted.get(kind, 0) for kind in PLANTED_KINDS}
    return Dataset(tables={name: builder.tables[name] for name in TABLE_ORDER}, planted=planted)
