{{ config(unique_key='person_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'application__people')) }}

),

latest as (

    {{ cdc_latest_events('events', 'person_id') }}

),

cleaned as (

    select
        *,
        {{ clean_email('email_address') }} as email_address_clean,
        {{ clean_phone('phone_number') }} as phone_number_clean
    from latest

),

final as (

    select
        person_id,
        {{ clean_text('full_name') }} as full_name,
        {{ clean_text('preferred_name') }} as preferred_name,
        is_employee,
        is_salesperson,
        email_address_clean as email_address,
        phone_number_clean as phone_number,
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
