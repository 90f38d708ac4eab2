{{ config(unique_key='stock_item_stock_group_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'warehouse__stock_item_stock_groups')) }}

),

latest as (

    {{ cdc_latest_events('events', 'stock_item_stock_group_id') }}

),

final as (

    select
        stock_item_stock_group_id,
        stock_item_id,
        stock_group_id,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
