{{ config(unique_key='purchase_order_line_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'purchasing__purchase_order_lines')) }}

),

latest as (

    {{ cdc_latest_events('events', 'purchase_order_line_id') }}

),

final as (

    select
        purchase_order_line_id,
        purchase_order_id,
        stock_item_id,
        ordered_outers,
        trim(description) as description,
        received_outers,
        package_type_id,
        expected_unit_price_per_outer,
        is_order_line_finalized,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
