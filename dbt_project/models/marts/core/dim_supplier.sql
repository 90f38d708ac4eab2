with

supplier_versions as (

    select * from {{ ref('snap_wwi__suppliers') }}

),

categories as (

    select * from {{ ref('stg_wwi__supplier_categories') }}

),

geography as (

    select * from {{ ref('dim_geography') }}

),

effective as (

    -- numbered versions with the [effective_from, effective_to) dates facts join on
    {{ scd2_versions('supplier_versions', 'supplier_id') }}

),

joined as (

    select
        {{ surrogate_key(['effective.supplier_id', 'effective.dbt_valid_from']) }} as supplier_key,
        effective.supplier_id,
        effective.supplier_name,
        coalesce(categories.supplier_category_name, 'Unknown') as supplier_category,
        effective.supplier_reference,
        effective.payment_days,
        effective.phone_number,
        effective.website_url,
        coalesce(geography.geography_key, -1) as geography_key,
        coalesce(geography.city_name, 'Unknown') as city,
        coalesce(geography.country_name, 'Unknown') as country,
        effective.version_number,
        effective.dbt_valid_from as valid_from,
        effective.dbt_valid_to as valid_to,
        effective.effective_from,
        effective.effective_to,
        effective.dbt_valid_to is null as is_current
    from effective
    left join categories
        on effective.supplier_category_id = categories.supplier_category_id
    left join geography
        on effective.delivery_city_id = geography.city_id

),

unknown_member as (

    select
        cast(-1 as bigint) as supplier_key,
        cast(-1 as int) as supplier_id,
        'Unknown' as supplier_name,
        'Unknown' as supplier_category,
        cast(null as {{ dbt.type_string() }}) as supplier_reference,
        cast(null as int) as payment_days,
        cast(null as {{ dbt.type_string() }}) as phone_number,
        cast(null as {{ dbt.type_string() }}) as website_url,
        cast(-1 as bigint) as geography_key,
        'Unknown' as city,
        'Unknown' as country,
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
