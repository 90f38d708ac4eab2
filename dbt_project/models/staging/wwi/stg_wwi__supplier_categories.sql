{{ config(unique_key='supplier_category_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'purchasing__supplier_categories')) }}

),

latest as (

    {{ cdc_latest_events('events', 'supplier_category_id') }}

),

final as (

    select
        supplier_category_id,
        trim(supplier_category_name) as supplier_category_name,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
