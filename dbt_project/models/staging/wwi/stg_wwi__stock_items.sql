{{ config(unique_key='stock_item_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'warehouse__stock_items')) }}

),

latest as (

    {{ cdc_latest_events('events', 'stock_item_id') }}

),

final as (

    select
        stock_item_id,
        trim(stock_item_name) as stock_item_name,
        supplier_id,
        color_id,
        unit_package_id,
        outer_package_id,
        trim(brand) as brand,
        trim(size) as item_size,  -- noqa: RF04
        lead_time_days,
        quantity_per_outer,
        is_chiller_stock,
        tax_rate,
        unit_price,
        recommended_retail_price,
        typical_weight_per_unit,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
