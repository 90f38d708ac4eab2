with

source as (

    select * from {{ source('demo', 'customers') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by customer_id
            order by _lsn desc, _seq desc
        ) as event_rank
    from source

),

latest as (

    select * from ranked
    where event_rank = 1

),

final as (

    select
        customer_id,
        trim(customer_name) as customer_name,
        lower(trim(email)) as email,
        regexp_replace(phone, '[^0-9]', '') as phone,
        _lsn as last_lsn,
        _ingested_at as last_ingested_at
    from latest
    where _op != 'd'

)

select * from final
