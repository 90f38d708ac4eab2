-- An invoice's dry + chiller item totals equal the quantities on its lines.
with

invoice_lines as (

    select * from {{ ref('stg_wwi__invoice_lines') }}

),

invoices as (

    select * from {{ ref('stg_wwi__invoices') }}

),

line_totals as (

    select
        invoice_id,
        sum(quantity) as line_quantity
    from invoice_lines
    group by invoice_id

),

final as (

    select
        invoices.invoice_id,
        invoices.total_dry_items + invoices.total_chiller_items as invoice_quantity,
        line_totals.line_quantity
    from invoices
    inner join line_totals
        on invoices.invoice_id = line_totals.invoice_id

)

select * from final
where invoice_quantity != line_quantity
