-- fct_sales has exactly one row per Silver order line whose order exists: no line lost or doubled
-- by the as-of joins to the SCD2 dimensions.
with

silver as (

    select count(*) as silver_rows
    from {{ ref('stg_wwi__order_lines') }} as lines
    inner join {{ ref('stg_wwi__orders') }} as orders
        on lines.order_id = orders.order_id

),

gold as (

    select count(*) as gold_rows from {{ ref('fct_sales') }}

)

select * from silver
cross join gold
where silver_rows <> gold_rows
