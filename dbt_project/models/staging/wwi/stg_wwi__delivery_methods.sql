{{ config(unique_key='delivery_method_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'application__delivery_methods')) }}

),

latest as (

    {{ cdc_latest_events('events', 'delivery_method_id') }}

),

final as (

    select
        delivery_method_id,
        trim(delivery_method_name) as delivery_method_name,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
