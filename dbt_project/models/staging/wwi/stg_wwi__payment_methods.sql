{{ config(unique_key='payment_method_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'application__payment_methods')) }}

),

latest as (

    {{ cdc_latest_events('events', 'payment_method_id') }}

),

final as (

    select
        payment_method_id,
        trim(payment_method_name) as payment_method_name,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
