-- grain: one row per current stock item: stock position and fulfilment latency
with

holdings as (

    select * from {{ ref('stg_wwi__stock_item_holdings') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

sales as (

    select * from {{ ref('fct_sales') }}

),

open_demand as (

    select
        stock_item_id,
        sum(quantity) as open_order_quantity
    from sales
    where order_status in ('entered', 'picked')
    group by stock_item_id

),

delivered_lines as (

    select
        sales.stock_item_id,
        {{ dbt.datediff('sales.order_date', 'dates.date_day', 'day') }} as order_to_delivery_days
    from sales
    inner join {{ ref('dim_date') }} as dates
        on sales.delivery_date_key = dates.date_key
    where sales.delivery_date_key <> -1

),

latency as (

    select
        stock_item_id,
        count(*) as delivered_lines,
        cast(avg(order_to_delivery_days) as decimal(10, 2)) as avg_order_to_delivery_days,
        max(order_to_delivery_days) as max_order_to_delivery_days
    from delivered_lines
    group by stock_item_id

),

final as (

    select
        products.product_key,
        products.stock_item_id,
        products.stock_item_name,
        products.product_category,
        products.supplier_name,
        holdings.quantity_on_hand,
        holdings.reorder_level,
        holdings.target_stock_level,
        holdings.quantity_on_hand <= 0 as is_stock_out,
        holdings.quantity_on_hand < holdings.reorder_level as is_below_reorder_level,
        coalesce(open_demand.open_order_quantity, 0) as open_order_quantity,
        coalesce(latency.delivered_lines, 0) as delivered_lines,
        latency.avg_order_to_delivery_days,
        latency.max_order_to_delivery_days
    from products
    inner join holdings
        on products.stock_item_id = holdings.stock_item_id
    left join open_demand
        on products.stock_item_id = open_demand.stock_item_id
    left join latency
        on products.stock_item_id = latency.stock_item_id
    where products.is_current

)

select * from final
