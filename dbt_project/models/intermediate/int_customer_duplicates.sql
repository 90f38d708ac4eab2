{{ config(materialized='table') }}

with

customers as (

    select * from {{ ref('stg_wwi__customers') }}

),

match_keys as (

    -- one real customer: same name (ignoring case and a trailing dot) at the same delivery address
    select
        customer_id,
        lower(regexp_replace(customer_name, '[.]$', '')) as name_key,
        lower(delivery_address_line1) as address_key,
        delivery_postal_code as postal_code_key
    from customers

),

grouped as (

    select
        customer_id,
        min(customer_id) over (
            partition by name_key, address_key, postal_code_key
        ) as master_customer_id,
        count(*) over (
            partition by name_key, address_key, postal_code_key
        ) as records_for_customer
    from match_keys

),

final as (

    select
        customer_id,
        master_customer_id,
        customer_id <> master_customer_id as is_duplicate,
        records_for_customer
    from grouped

)

select * from final
