{{ config(unique_key='invoice_line_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'sales__invoice_lines')) }}

),

latest as (

    {{ cdc_latest_events('events', 'invoice_line_id') }}

),

final as (

    select
        invoice_line_id,
        invoice_id,
        stock_item_id,
        trim(description) as description,
        package_type_id,
        quantity,
        unit_price,
        tax_rate,
        tax_amount,
        line_profit,
        extended_price,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
