{{ config(unique_key='stock_item_transaction_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'warehouse__stock_item_transactions')) }}

),

latest as (

    {{ cdc_latest_events('events', 'stock_item_transaction_id') }}

),

final as (

    select
        stock_item_transaction_id,
        stock_item_id,
        trim(transaction_type) as transaction_type,
        customer_id,
        invoice_id,
        supplier_id,
        purchase_order_id,
        transaction_occurred_when,
        quantity,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
