{{ config(unique_key='purchase_order_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'purchasing__purchase_orders')) }}

),

latest as (

    {{ cdc_latest_events('events', 'purchase_order_id') }}

),

final as (

    select
        purchase_order_id,
        supplier_id,
        order_date,
        delivery_method_id,
        contact_person_id,
        expected_delivery_date,
        trim(supplier_reference) as supplier_reference,
        is_order_finalized,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
