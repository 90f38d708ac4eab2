with

delivery_methods as (

    select * from {{ ref('stg_wwi__delivery_methods') }}

),

keyed as (

    select
        {{ surrogate_key(['delivery_method_id']) }} as delivery_method_key,
        delivery_method_id,
        delivery_method_name
    from delivery_methods

),

unknown_member as (

    {{ unknown_member([
        ('delivery_method_key', 'cast(-1 as bigint)'),
        ('delivery_method_id', 'cast(null as int)'),
        ('delivery_method_name', "'Unknown'"),
    ]) }}

),

final as (

    select * from keyed
    union all
    select * from unknown_member

)

select * from final
