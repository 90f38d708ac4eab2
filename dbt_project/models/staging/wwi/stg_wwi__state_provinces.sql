{{ config(unique_key='state_province_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'application__state_provinces')) }}

),

latest as (

    {{ cdc_latest_events('events', 'state_province_id') }}

),

final as (

    select
        state_province_id,
        trim(state_province_code) as state_province_code,
        trim(state_province_name) as state_province_name,
        country_id,
        trim(sales_territory) as sales_territory,
        latest_recorded_population,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
