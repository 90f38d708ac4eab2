{{ config(unique_key='supplier_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'purchasing__suppliers')) }}

),

latest as (

    {{ cdc_latest_events('events', 'supplier_id') }}

),

cleaned as (

    select
        *,
        {{ clean_phone('phone_number') }} as phone_number_clean
    from latest

),

final as (

    select
        supplier_id,
        {{ clean_text('supplier_name') }} as supplier_name,
        supplier_category_id,
        primary_contact_person_id,
        delivery_method_id,
        delivery_city_id,
        {{ clean_text('supplier_reference') }} as supplier_reference,
        payment_days,
        phone_number_clean as phone_number,
        lower(trim(website_url)) as website_url,
        {{ invalid_when_nulled('phone_number', 'phone_number_clean', 'invalid phone') }}
            as invalid_reason,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from cleaned
    {{ cdc_keep_current() }}

)

select * from final
