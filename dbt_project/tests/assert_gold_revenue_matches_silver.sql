-- Gold revenue per order month equals Silver order-line revenue for the same month
-- (non-cancelled orders, quantity * unit_price); any month that differs fails.
with

order_lines as (

    select * from {{ ref('stg_wwi__order_lines') }}

),

orders as (

    select * from {{ ref('stg_wwi__orders') }}

),

sales_metrics as (

    select * from {{ ref('sales_metrics') }}

),

silver as (

    select
        {{ dbt.date_trunc('month', 'orders.order_date') }} as order_month,
        sum(order_lines.quantity * order_lines.unit_price) as revenue
    from order_lines
    inner join orders
        on order_lines.order_id = orders.order_id
    where coalesce(orders.order_status, '') != 'cancelled'
    group by {{ dbt.date_trunc('month', 'orders.order_date') }}

),

gold as (

    select
        {{ dbt.date_trunc('month', 'order_date') }} as order_month,
        sum(total_revenue) as revenue
    from sales_metrics
    group by {{ dbt.date_trunc('month', 'order_date') }}

),

final as (

    select
        coalesce(silver.order_month, gold.order_month) as order_month,
        silver.revenue as silver_revenue,
        gold.revenue as gold_revenue
    from silver
    full outer join gold
        on silver.order_month = gold.order_month

)

select * from final
where
    silver_revenue is null
    or gold_revenue is null
    or abs(silver_revenue - gold_revenue) > 0.01
