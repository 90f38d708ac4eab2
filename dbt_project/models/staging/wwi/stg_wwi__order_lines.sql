{{ config(unique_key='order_line_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'sales__order_lines')) }}

),

latest as (

    {{ cdc_latest_events('events', 'order_line_id') }}

),

final as (

    select
        order_line_id,
        order_id,
        stock_item_id,
        {{ clean_text('description') }} as description,
        package_type_id,
        -- a negative quantity is a sign error at entry: picking and invoicing use its magnitude
        abs(quantity) as quantity,
        unit_price,
        tax_rate,
        picked_quantity,
        case when quantity < 0 then 'negative quantity corrected' end as invalid_reason,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
