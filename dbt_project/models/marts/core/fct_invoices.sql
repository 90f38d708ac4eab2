-- grain: one row per invoice line
with

invoice_lines as (

    select * from {{ ref('stg_wwi__invoice_lines') }}

),

invoices as (

    select * from {{ ref('stg_wwi__invoices') }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

delivery_methods as (

    select * from {{ ref('dim_delivery_method') }}

),

joined as (

    select
        invoice_lines.invoice_line_id,
        invoice_lines.invoice_id,
        invoices.order_id,
        invoices.customer_id,
        invoices.bill_to_customer_id,
        invoices.delivery_method_id,
        invoice_lines.stock_item_id,
        invoices.invoice_date,
        cast(invoices.confirmed_delivery_time as date) as delivery_date,
        invoice_lines.quantity,
        invoice_lines.unit_price,
        invoice_lines.tax_rate,
        invoice_lines.tax_amount,
        invoice_lines.line_profit,
        invoice_lines.extended_price
    from invoice_lines
    inner join invoices
        on invoice_lines.invoice_id = invoices.invoice_id

),

keyed as (

    select
        joined.invoice_line_id,
        joined.invoice_id,
        joined.order_id,
        coalesce(customers.customer_key, -1) as customer_key,
        coalesce(bill_to.customer_key, -1) as bill_to_customer_key,
        coalesce(products.product_key, -1) as product_key,
        coalesce(delivery_methods.delivery_method_key, -1) as delivery_method_key,
        {{ date_key('joined.invoice_date') }} as invoice_date_key,
        coalesce({{ date_key('joined.delivery_date') }}, -1) as delivery_date_key,
        joined.customer_id,
        joined.stock_item_id,
        joined.invoice_date,
        joined.quantity,
        joined.unit_price,
        joined.tax_rate,
        joined.tax_amount,
        joined.line_profit,
        joined.extended_price
    from joined
    left join customers
        on
            joined.customer_id = customers.customer_id
            and joined.invoice_date >= customers.effective_from
            and joined.invoice_date < customers.effective_to
    left join customers as bill_to
        on
            joined.bill_to_customer_id = bill_to.customer_id
            and joined.invoice_date >= bill_to.effective_from
            and joined.invoice_date < bill_to.effective_to
    left join products
        on
            joined.stock_item_id = products.stock_item_id
            and joined.invoice_date >= products.effective_from
            and joined.invoice_date < products.effective_to
    left join delivery_methods
        on joined.delivery_method_id = delivery_methods.delivery_method_id

),

final as (

    select * from keyed

)

select * from final
