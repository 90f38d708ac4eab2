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
        {{ surrogate_key(['effective.customer_id', 'effective.dbt_valid_from']) }} as customer_key,
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
        effective.version_number,
        effective.dbt_valid_from as valid_from,
        effective.dbt_valid_to as valid_to,
        effective.effective_from,
        effective.effective_to,
        effective.dbt_valid_to is null as is_current
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

    select
        cast(-1 as bigint) as customer_key,
        cast(-1 as int) as customer_id,
        cast(-1 as int) as master_customer_id,
        'Unknown' as customer_name,
        'Unknown' as customer_category,
        'Unknown' as buying_group,
        cast(null as int) as bill_to_customer_id,
        cast(null as {{ dbt.type_string() }}) as email_address,
        cast(null as {{ dbt.type_string() }}) as phone_number,
        cast(null as decimal(18, 2)) as credit_limit,
        cast(null as boolean) as is_on_credit_hold,
        cast(null as int) as payment_days,
        cast(null as date) as account_opened_date,
        cast(-1 as bigint) as geography_key,
        'Unknown' as delivery_city,
        'Unknown' as delivery_state_province,
        'Unknown' as delivery_country,
        'Unknown' as sales_territory,
        1 as version_number,
        cast(null as timestamp) as valid_from,
        cast(null as timestamp) as valid_to,
        date '1900-01-01' as effective_from,
        date '9999-12-31' as effective_to,
        true as is_current

),

final as (

    select * from joined
    union all
    select * from unknown_member

)

select * from final
