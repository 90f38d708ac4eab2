{{ config(unique_key='customer_category_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'sales__customer_categories')) }}

),

latest as (

    {{ cdc_latest_events('events', 'customer_category_id') }}

),

final as (

    select
        customer_category_id,
        trim(customer_category_name) as customer_category_name,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
