-- grain: one row per order line
with

order_lines as (

    select * from {{ ref('int_order_lines') }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

keyed as (

    -- customer and product versions as of the order date; no version maps to the -1 member
    select
        order_lines.order_line_id,
        order_lines.order_id,
        coalesce(customers.customer_key, -1) as customer_key,
        coalesce(products.product_key, -1) as product_key,
        coalesce(customers.geography_key, -1) as geography_key,
        {{ date_key('order_lines.order_date') }} as order_date_key,
        coalesce({{ date_key('order_lines.invoice_date') }}, -1) as invoice_date_key,
        coalesce({{ date_key('order_lines.delivery_date') }}, -1) as delivery_date_key,
        order_lines.customer_id,
        order_lines.stock_item_id,
        order_lines.salesperson_person_id,
        order_lines.order_date,
        order_lines.order_status,
        order_lines.is_cancelled,
        order_lines.quantity,
        order_lines.picked_quantity,
        order_lines.unit_price,
        order_lines.tax_rate,
        order_lines.net_amount,
        order_lines.tax_amount,
        order_lines.extended_amount
    from order_lines
    left join customers
        on
            order_lines.customer_id = customers.customer_id
            and order_lines.order_date >= customers.effective_from
            and order_lines.order_date < customers.effective_to
    left join products
        on
            order_lines.stock_item_id = products.stock_item_id
            and order_lines.order_date >= products.effective_from
            and order_lines.order_date < products.effective_to

),

final as (

    select * from keyed

)

select * from final
