{{ config(unique_key='country_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'application__countries')) }}

),

latest as (

    {{ cdc_latest_events('events', 'country_id') }}

),

final as (

    select
        country_id,
        trim(country_name) as country_name,
        trim(iso_alpha3_code) as iso_alpha3_code,
        trim(continent) as continent,
        trim(region) as region,
        trim(subregion) as subregion,
        latest_recorded_population,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
