with

customer_versions as (

    select * from {{ ref('snap_wwi__customers') }}

),

duplicates as (

    select * from {{ ref('int_customer_duplicates') }}

),

categories as (

    select * from {{ ref('stg_wwi__customer_categories') }}

),

buying_groups as (

    select * from {{ ref('stg_wwi__buying_groups') }}

),

geography as (

    select * from {{ ref('dim_geography') }}

),

effective as (

    -- numbered versions with the [effective_from, effective_to) dates facts join on
    {{ scd2_versions('customer_versions', 'customer_id') }}

),

joined as (

    select
        {{ scd2_key('effective', 'customer_id') }} as customer_key,
        effective.customer_id,
        coalesce(duplicates.master_customer_id, effective.customer_id) as master_customer_id,
        effective.customer_name,
        coalesce(categories.customer_category_name, 'Unknown') as customer_category,
        coalesce(buying_groups.buying_group_name, 'None') as buying_group,
        effective.bill_to_customer_id,
        effective.email_address,
        effective.phone_number,
        effective.credit_limit,
        effective.is_on_credit_hold,
        effective.payment_days,
        effective.account_opened_date,
        coalesce(geography.geography_key, -1) as geography_key,
        coalesce(geography.city_name, 'Unknown') as delivery_city,
        coalesce(geography.state_province_name, 'Unknown') as delivery_state_province,
        coalesce(geography.country_name, 'Unknown') as delivery_country,
        coalesce(geography.sales_territory, 'Unknown') as sales_territory,
        {{ scd2_columns('effective') }}
    from effective
    left join duplicates
        on effective.customer_id = duplicates.customer_id
    left join categories
        on effective.customer_category_id = categories.customer_category_id
    left join buying_groups
        on effective.buying_group_id = buying_groups.buying_group_id
    left join geography
        on effective.delivery_city_id = geography.city_id

),

unknown_member as (

    {{ scd2_unknown_member([
        ('customer_key', 'cast(-1 as bigint)'),
        ('customer_id', 'cast(-1 as int)'),
        ('master_customer_id', 'cast(-1 as int)'),
        ('customer_name', "'Unknown'"),
        ('customer_category', "'Unknown'"),
        ('buying_group', "'Unknown'"),
        ('bill_to_customer_id', 'cast(null as int)'),
        ('email_address', 'cast(null as ' ~ dbt.type_string() ~ ')'),
        ('phone_number', 'cast(null as ' ~ dbt.type_string() ~ ')'),
        ('credit_limit', 'cast(null as decimal(18, 2))'),
        ('is_on_credit_hold', 'cast(null as boolean)'),
        ('payment_days', 'cast(null as int)'),
        ('account_opened_date', 'cast(null as date)'),
        ('geography_key', 'cast(-1 as bigint)'),
        ('delivery_city', "'Unknown'"),
        ('delivery_state_province', "'Unknown'"),
        ('delivery_country', "'Unknown'"),
        ('sales_territory', "'Unknown'"),
    ]) }}

),

final as (

    select * from joined
    union all
    select * from unknown_member

)

select * from final
