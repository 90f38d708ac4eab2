-- Wide World Importers OLTP, normalized (3NF), as the LakePulse source system.
-- Modelled on Microsoft's WWI sample (Application, Sales, Warehouse, Purchasing).
-- Foreign keys are added after the bulk load (foreign_keys.sql) for speed.

create schema application;
create schema sales;
create schema warehouse;
create schema purchasing;

create table application.countries (
    country_id integer primary key,
    country_name text not null unique,
    iso_alpha3_code char(3) not null,
    continent text not null,
    region text not null,
    subregion text not null,
    latest_recorded_population bigint,
    last_edited_when timestamptz not null
);

create table application.state_provinces (
    state_province_id integer primary key,
    state_province_code text not null,
    state_province_name text not null,
    country_id integer not null,
    sales_territory text not null,
    latest_recorded_population bigint,
    last_edited_when timestamptz not null
);

create table application.cities (
    city_id integer primary key,
    city_name text not null,
    state_province_id integer not null,
    latest_recorded_population bigint,
    last_edited_when timestamptz not null
);

create table application.people (
    person_id integer primary key,
    full_name text not null,
    preferred_name text not null,
    is_employee boolean not null,
    is_salesperson boolean not null,
    email_address text,
    phone_number text,
    last_edited_when timestamptz not null
);

create table application.delivery_methods (
    delivery_method_id integer primary key,
    delivery_method_name text not null unique,
    last_edited_when timestamptz not null
);

create table application.payment_methods (
    payment_method_id integer primary key,
    payment_method_name text not null unique,
    last_edited_when timestamptz not null
);

create table sales.customer_categories (
    customer_category_id integer primary key,
    customer_category_name text not null unique,
    last_edited_when timestamptz not null
);

create table sales.buying_groups (
    buying_group_id integer primary key,
    buying_group_name text not null unique,
    last_edited_when timestamptz not null
);

create table sales.customers (
    customer_id integer primary key,
    customer_name text not null,
    bill_to_customer_id integer not null,
    customer_category_id integer not null,
    buying_group_id integer,
    primary_contact_person_id integer not null,
    delivery_method_id integer not null,
    delivery_city_id integer not null,
    postal_city_id integer not null,
    credit_limit numeric(18, 2),
    account_opened_date date not null,
    standard_discount_percentage numeric(18, 3) not null,
    is_on_credit_hold boolean not null,
    payment_days integer not null,
    email_address text,
    phone_number text,
    delivery_address_line1 text not null,
    delivery_postal_code text not null,
    last_edited_when timestamptz not null
);

create table purchasing.supplier_categories (
    supplier_category_id integer primary key,
    supplier_category_name text not null unique,
    last_edited_when timestamptz not null
);

create table purchasing.suppliers (
    supplier_id integer primary key,
    supplier_name text not null unique,
    supplier_category_id integer not null,
    primary_contact_person_id integer not null,
    delivery_method_id integer,
    delivery_city_id integer not null,
    supplier_reference text,
    payment_days integer not null,
    phone_number text not null,
    website_url text not null,
    last_edited_when timestamptz not null
);

create table warehouse.colors (
    color_id integer primary key,
    color_name text not null unique,
    last_edited_when timestamptz not null
);

create table warehouse.package_types (
    package_type_id integer primary key,
    package_type_name text not null unique,
    last_edited_when timestamptz not null
);

create table warehouse.stock_groups (
    stock_group_id integer primary key,
    stock_group_name text not null unique,
    last_edited_when timestamptz not null
);

create table warehouse.stock_items (
    stock_item_id integer primary key,
    stock_item_name text not null unique,
    supplier_id integer not null,
    color_id integer,
    unit_package_id integer not null,
    outer_package_id integer not null,
    brand text,
    size text,
    lead_time_days integer not null,
    quantity_per_outer integer not null,
    is_chiller_stock boolean not null,
    tax_rate numeric(18, 3) not null,
    unit_price numeric(18, 2) not null,
    recommended_retail_price numeric(18, 2),
    typical_weight_per_unit numeric(18, 3) not null,
    last_edited_when timestamptz not null
);

create table warehouse.stock_item_stock_groups (
    stock_item_stock_group_id integer primary key,
    stock_item_id integer not null,
    stock_group_id integer not null,
    last_edited_when timestamptz not null,
    unique (stock_item_id, stock_group_id)
);

create table warehouse.stock_item_holdings (
    stock_item_id integer primary key,
    quantity_on_hand integer not null,
    bin_location text not null,
    last_stocktake_quantity integer not null,
    last_cost_price numeric(18, 2) not null,
    reorder_level integer not null,
    target_stock_level integer not null,
    last_edited_when timestamptz not null
);

create table sales.orders (
    order_id integer primary key,
    customer_id integer not null,
    salesperson_person_id integer not null,
    contact_person_id integer not null,
    order_date date not null,
    expected_delivery_date date not null,
    customer_purchase_order_number text,
    status text not null,
    comments text,
    last_edited_when timestamptz not null
);

create table sales.order_lines (
    order_line_id integer primary key,
    order_id integer not null,
    stock_item_id integer not null,
    description text not null,
    package_type_id integer not null,
    quantity integer not null,
    unit_price numeric(18, 2),
    tax_rate numeric(18, 3) not null,
    picked_quantity integer not null,
    last_edited_when timestamptz not null
);

create table sales.invoices (
    invoice_id integer primary key,
    customer_id integer not null,
    bill_to_customer_id integer not null,
    order_id integer,
    delivery_method_id integer not null,
    contact_person_id integer not null,
    salesperson_person_id integer not null,
    invoice_date date not null,
    customer_purchase_order_number text,
    total_dry_items integer not null,
    total_chiller_items integer not null,
    confirmed_delivery_time timestamptz,
    last_edited_when timestamptz not null
);

create table sales.invoice_lines (
    invoice_line_id integer primary key,
    invoice_id integer not null,
    stock_item_id integer not null,
    description text not null,
    package_type_id integer not null,
    quantity integer not null,
    unit_price numeric(18, 2),
    tax_rate numeric(18, 3) not null,
    tax_amount numeric(18, 2) not null,
    line_profit numeric(18, 2) not null,
    extended_price numeric(18, 2) not null,
    last_edited_when timestamptz not null
);

create table purchasing.purchase_orders (
    purchase_order_id integer primary key,
    supplier_id integer not null,
    order_date date not null,
    delivery_method_id integer not null,
    contact_person_id integer not null,
    expected_delivery_date date,
    supplier_reference text,
    is_order_finalized boolean not null,
    last_edited_when timestamptz not null
);

create table purchasing.purchase_order_lines (
    purchase_order_line_id integer primary key,
    purchase_order_id integer not null,
    stock_item_id integer not null,
    ordered_outers integer not null,
    description text not null,
    received_outers integer not null,
    package_type_id integer not null,
    expected_unit_price_per_outer numeric(18, 2),
    is_order_line_finalized boolean not null,
    last_edited_when timestamptz not null
);

create table warehouse.stock_item_transactions (
    stock_item_transaction_id bigint primary key,
    stock_item_id integer not null,
    transaction_type text not null,
    customer_id integer,
    invoice_id integer,
    supplier_id integer,
    purchase_order_id integer,
    transaction_occurred_when timestamptz not null,
    quantity numeric(18, 3) not null,
    last_edited_when timestamptz not null
);

-- Before-images of updates and deletes carry every column (CDC needs them).
alter table application.countries replica identity full;
alter table application.state_provinces replica identity full;
alter table application.cities replica identity full;
alter table application.people replica identity full;
alter table application.delivery_methods replica identity full;
alter table application.payment_methods replica identity full;
alter table sales.customer_categories replica identity full;
alter table sales.buying_groups replica identity full;
alter table sales.customers replica identity full;
alter table purchasing.supplier_categories replica identity full;
alter table purchasing.suppliers replica identity full;
alter table warehouse.colors replica identity full;
alter table warehouse.package_types replica identity full;
alter table warehouse.stock_groups replica identity full;
alter table warehouse.stock_items replica identity full;
alter table warehouse.stock_item_stock_groups replica identity full;
alter table warehouse.stock_item_holdings replica identity full;
alter table sales.orders replica identity full;
alter table sales.order_lines replica identity full;
alter table sales.invoices replica identity full;
alter table sales.invoice_lines replica identity full;
alter table purchasing.purchase_orders replica identity full;
alter table purchasing.purchase_order_lines replica identity full;
alter table warehouse.stock_item_transactions replica identity full;
