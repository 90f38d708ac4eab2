{{ config(unique_key='stock_group_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'warehouse__stock_groups')) }}

),

latest as (

    {{ cdc_latest_events('events', 'stock_group_id') }}

),

final as (

    select
        stock_group_id,
        trim(stock_group_name) as stock_group_name,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
