{{ config(unique_key='color_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'warehouse__colors')) }}

),

latest as (

    {{ cdc_latest_events('events', 'color_id') }}

),

final as (

    select
        color_id,
        trim(color_name) as color_name,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
