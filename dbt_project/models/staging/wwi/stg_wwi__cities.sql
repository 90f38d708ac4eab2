{{ config(unique_key='city_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'application__cities')) }}

),

latest as (

    {{ cdc_latest_events('events', 'city_id') }}

),

final as (

    select
        city_id,
        trim(city_name) as city_name,
        state_province_id,
        latest_recorded_population,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
