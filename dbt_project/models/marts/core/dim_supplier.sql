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
        {{ scd2_key('effective', 'supplier_id') }} as supplier_key,
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
        {{ scd2_columns('effective') }}
    from effective
    left join categories
        on effective.supplier_category_id = categories.supplier_category_id
    left join geography
        on effective.delivery_city_id = geography.city_id

),

unknown_member as (

    {{ scd2_unknown_member([
        ('supplier_key', 'cast(-1 as bigint)'),
        ('supplier_id', 'cast(-1 as int)'),
        ('supplier_name', "'Unknown'"),
        ('supplier_category', "'Unknown'"),
        ('supplier_reference', 'cast(null as ' ~ dbt.type_string() ~ ')'),
        ('payment_days', 'cast(null as int)'),
        ('phone_number', 'cast(null as ' ~ dbt.type_string() ~ ')'),
        ('website_url', 'cast(null as ' ~ dbt.type_string() ~ ')'),
        ('geography_key', 'cast(-1 as bigint)'),
        ('city', "'Unknown'"),
        ('country', "'Unknown'"),
    ]) }}

),

final as (

    select * from joined
    union all
    select * from unknown_member

)

select * from final
