-- fct_sales has exactly one row per Silver order line whose order exists: no line lost or
-- doubled by the as-of joins to the SCD2 dimensions.
with

order_lines as (

    select * from {{ ref('stg_wwi__order_lines') }}

),

orders as (

    select * from {{ ref('stg_wwi__orders') }}

),

fct_sales as (

    select * from {{ ref('fct_sales') }}

),

silver as (

    select count(*) as silver_rows
    from order_lines
    inner join orders
        on order_lines.order_id = orders.order_id

),

gold as (

    select count(*) as gold_rows from fct_sales

),

final as (

    select
        silver.silver_rows,
        gold.gold_rows
    from silver
    cross join gold

)

select * from final
where silver_rows != gold_rows
