{{ config(unique_key='invoice_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'sales__invoices')) }}

),

latest as (

    {{ cdc_latest_events('events', 'invoice_id') }}

),

final as (

    select
        invoice_id,
        customer_id,
        bill_to_customer_id,
        order_id,
        delivery_method_id,
        contact_person_id,
        salesperson_person_id,
        invoice_date,
        trim(customer_purchase_order_number) as customer_purchase_order_number,
        total_dry_items,
        total_chiller_items,
        confirmed_delivery_time,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
