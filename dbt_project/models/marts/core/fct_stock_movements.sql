-- grain: one row per stock item transaction
with

movements as (

    select * from {{ ref('stg_wwi__stock_item_transactions') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

suppliers as (

    select * from {{ ref('dim_supplier') }}

),

dated as (

    select
        *,
        cast(transaction_occurred_when as date) as transaction_date
    from movements

),

keyed as (

    select
        dated.stock_item_transaction_id,
        coalesce(products.product_key, -1) as product_key,
        coalesce(customers.customer_key, -1) as customer_key,
        coalesce(suppliers.supplier_key, -1) as supplier_key,
        {{ date_key('dated.transaction_date') }} as transaction_date_key,
        dated.stock_item_id,
        dated.customer_id,
        dated.supplier_id,
        dated.invoice_id,
        dated.purchase_order_id,
        dated.transaction_type,
        dated.transaction_occurred_when as transaction_occurred_at,
        dated.transaction_date,
        dated.quantity
    from dated
    left join products
        on
            dated.stock_item_id = products.stock_item_id
            and dated.transaction_date >= products.effective_from
            and dated.transaction_date < products.effective_to
    left join customers
        on
            dated.customer_id = customers.customer_id
            and dated.transaction_date >= customers.effective_from
            and dated.transaction_date < customers.effective_to
    left join suppliers
        on
            dated.supplier_id = suppliers.supplier_id
            and dated.transaction_date >= suppliers.effective_from
            and dated.transaction_date < suppliers.effective_to

),

final as (

    select * from keyed

)

select * from final
