{{ config(unique_key='customer_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'sales__customers')) }}

),

latest as (

    {{ cdc_latest_events('events', 'customer_id') }}

),

cleaned as (

    select
        *,
        {{ clean_text('customer_name') }} as customer_name_clean,
        {{ clean_email('email_address') }} as email_address_clean,
        {{ clean_phone('phone_number') }} as phone_number_clean
    from latest

),

final as (

    select
        customer_id,
        customer_name_clean as customer_name,
        bill_to_customer_id,
        customer_category_id,
        buying_group_id,
        primary_contact_person_id,
        delivery_method_id,
        delivery_city_id,
        postal_city_id,
        credit_limit,
        account_opened_date,
        standard_discount_percentage,
        is_on_credit_hold,
        payment_days,
        email_address_clean as email_address,
        phone_number_clean as phone_number,
        {{ clean_text('delivery_address_line1') }} as delivery_address_line1,
        {{ clean_text('delivery_postal_code') }} as delivery_postal_code,
        {{ join_reasons([
            invalid_when_nulled('email_address', 'email_address_clean', 'invalid email'),
            invalid_when_nulled('phone_number', 'phone_number_clean', 'invalid phone'),
        ]) }} as invalid_reason,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from cleaned
    {{ cdc_keep_current() }}

)

select * from final
