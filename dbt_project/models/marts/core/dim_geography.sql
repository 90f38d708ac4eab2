with

cities as (

    select * from {{ ref('stg_wwi__cities') }}

),

state_provinces as (

    select * from {{ ref('stg_wwi__state_provinces') }}

),

countries as (

    select * from {{ ref('stg_wwi__countries') }}

),

joined as (

    select
        {{ surrogate_key(['cities.city_id']) }} as geography_key,
        cities.city_id,
        cities.city_name,
        state_provinces.state_province_code,
        state_provinces.state_province_name,
        state_provinces.sales_territory,
        countries.country_name,
        countries.continent,
        countries.region,
        countries.subregion,
        cities.latest_recorded_population as city_population
    from cities
    left join state_provinces
        on cities.state_province_id = state_provinces.state_province_id
    left join countries
        on state_provinces.country_id = countries.country_id

),

unknown_member as (

    {{ unknown_member([
        ('geography_key', 'cast(-1 as bigint)'),
        ('city_id', 'cast(null as int)'),
        ('city_name', "'Unknown'"),
        ('state_province_code', "'Unknown'"),
        ('state_province_name', "'Unknown'"),
        ('sales_territory', "'Unknown'"),
        ('country_name', "'Unknown'"),
        ('continent', "'Unknown'"),
        ('region', "'Unknown'"),
        ('subregion', "'Unknown'"),
        ('city_population', 'cast(null as bigint)'),
    ]) }}

),

final as (

    select * from joined
    union all
    select * from unknown_member

)

select * from final
