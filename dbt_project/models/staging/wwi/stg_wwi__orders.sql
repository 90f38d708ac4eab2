{{ config(unique_key='order_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'sales__orders')) }}

),

latest as (

    {{ cdc_latest_events('events', 'order_id') }}

),

cleaned as (

    select
        *,
        case
            -- the accepted statuses are the project var order_statuses
            when lower(trim(status)) in ('{{ var("order_statuses") | join("', '") }}')  -- noqa: LT05
                then lower(trim(status))
        end as order_status
    from latest

),

final as (

    select
        order_id,
        customer_id,
        salesperson_person_id,
        contact_person_id,
        order_date,
        expected_delivery_date,
        {{ clean_text('customer_purchase_order_number') }} as customer_purchase_order_number,
        order_status,
        case
            when
                order_status is null
                then {{ dbt.concat(["'unknown status: '", "coalesce(status, 'null')"]) }}
        end as invalid_reason,
        {{ clean_text('comments') }} as comments,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from cleaned
    {{ cdc_keep_current() }}

)

select * from final
