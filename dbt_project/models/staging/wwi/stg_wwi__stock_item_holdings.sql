{{ config(unique_key='stock_item_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'warehouse__stock_item_holdings')) }}

),

latest as (

    {{ cdc_latest_events('events', 'stock_item_id') }}

),

final as (

    select
        stock_item_id,
        quantity_on_hand,
        trim(bin_location) as bin_location,
        last_stocktake_quantity,
        last_cost_price,
        reorder_level,
        target_stock_level,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
