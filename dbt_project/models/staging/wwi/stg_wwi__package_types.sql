{{ config(unique_key='package_type_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'warehouse__package_types')) }}

),

latest as (

    {{ cdc_latest_events('events', 'package_type_id') }}

),

final as (

    select
        package_type_id,
        trim(package_type_name) as package_type_name,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
