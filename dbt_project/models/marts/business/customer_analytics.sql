-- grain: one row per real customer (duplicates merged into their master record)
with

sales as (

    select * from {{ ref('fct_sales') }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

current_customers as (

    select * from customers
    where is_current and customer_id = master_customer_id and customer_key <> -1

),

orders as (

    select
        customers.master_customer_id,
        sales.order_id,
        min(sales.order_date) as order_date,
        sum(sales.net_amount) as order_value
    from sales
    inner join customers
        on sales.customer_key = customers.customer_key
    where not sales.is_cancelled
    group by customers.master_customer_id, sales.order_id

),

as_of as (

    select max(order_date) as as_of_date from orders

),

per_customer as (

    select
        master_customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as order_count,
        sum(order_value) as lifetime_value
    from orders
    group by master_customer_id

),

scored as (

    select
        per_customer.*,
        {{ dbt.datediff('per_customer.last_order_date', 'as_of.as_of_date', 'day') }}
            as recency_days,
        -- ties broken by the customer: the same buckets on every engine
        ntile({{ var('rfm_buckets') }})
            over (order by per_customer.last_order_date, per_customer.master_customer_id)
            as recency_score,
        ntile({{ var('rfm_buckets') }})
            over (order by per_customer.order_count, per_customer.master_customer_id)
            as frequency_score,
        ntile({{ var('rfm_buckets') }})
            over (order by per_customer.lifetime_value, per_customer.master_customer_id)
            as monetary_score
    from per_customer
    cross join as_of

),

final as (

    select
        current_customers.master_customer_id as customer_id,
        current_customers.customer_name,
        current_customers.customer_category,
        current_customers.sales_territory,
        scored.first_order_date,
        scored.last_order_date,
        coalesce(scored.order_count, 0) as order_count,
        coalesce(scored.lifetime_value, 0) as lifetime_value,
        scored.recency_days,
        scored.recency_score,
        scored.frequency_score,
        scored.monetary_score,
        case
            when scored.order_count is null then 'no orders'
            when
                scored.recency_score >= 4
                and scored.frequency_score >= 4
                and scored.monetary_score >= 4
                then 'champion'
            when scored.recency_score >= 3 and scored.frequency_score >= 3 then 'loyal'
            when scored.recency_score >= 4 and scored.frequency_score <= 2 then 'new or occasional'
            when scored.recency_score <= 2 and scored.frequency_score >= 3 then 'at risk'
            else 'hibernating'
        end as rfm_segment
    from current_customers
    left join scored
        on current_customers.master_customer_id = scored.master_customer_id

)

select * from final
