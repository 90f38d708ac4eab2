-- grain: one row per order date, sales territory and product category (cancelled orders excluded)
with

sales as (

    select * from {{ ref('fct_sales') }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

geography as (

    select * from {{ ref('dim_geography') }}

),

enriched as (

    select
        sales.order_date,
        sales.order_date_key,
        geography.sales_territory as region,
        products.product_category,
        sales.order_id,
        customers.master_customer_id,
        sales.net_amount
    from sales
    inner join customers
        on sales.customer_key = customers.customer_key
    inner join products
        on sales.product_key = products.product_key
    inner join geography
        on sales.geography_key = geography.geography_key
    where not sales.is_cancelled

),

aggregated as (

    select
        order_date,
        order_date_key,
        region,
        product_category,
        count(distinct order_id) as total_orders,
        sum(net_amount) as total_revenue,
        count(distinct master_customer_id) as unique_customers
    from enriched
    group by order_date, order_date_key, region, product_category

),

final as (

    select
        order_date,
        order_date_key,
        region,
        product_category,
        total_orders,
        total_revenue,
        cast(total_revenue / total_orders as decimal(18, 2)) as avg_order_value,
        unique_customers
    from aggregated

)

select * from final
