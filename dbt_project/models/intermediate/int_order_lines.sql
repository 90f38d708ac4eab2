with

order_lines as (

    select * from {{ ref('stg_wwi__order_lines') }}

),

orders as (

    select * from {{ ref('stg_wwi__orders') }}

),

invoices as (

    select * from {{ ref('stg_wwi__invoices') }}

),

invoice_per_order as (

    select
        order_id,
        min(invoice_date) as invoice_date,
        min(confirmed_delivery_time) as confirmed_delivery_time
    from invoices
    where order_id is not null
    group by order_id

),

joined as (

    select
        order_lines.order_line_id,
        order_lines.order_id,
        orders.customer_id,
        orders.salesperson_person_id,
        order_lines.stock_item_id,
        order_lines.package_type_id,
        orders.order_date,
        orders.expected_delivery_date,
        invoice_per_order.invoice_date,
        cast(invoice_per_order.confirmed_delivery_time as date) as delivery_date,
        orders.order_status,
        order_lines.quantity,
        order_lines.picked_quantity,
        order_lines.unit_price,
        order_lines.tax_rate
    from order_lines
    inner join orders
        on order_lines.order_id = orders.order_id
    left join invoice_per_order
        on order_lines.order_id = invoice_per_order.order_id

),

final as (

    select
        *,
        coalesce(order_status = 'cancelled', false) as is_cancelled,
        cast(quantity * unit_price as decimal(18, 2)) as net_amount,
        cast(quantity * unit_price * tax_rate / 100 as decimal(18, 2)) as tax_amount,
        cast(quantity * unit_price * (1 + tax_rate / 100) as decimal(18, 2)) as extended_amount
    from joined

)

select * from final
