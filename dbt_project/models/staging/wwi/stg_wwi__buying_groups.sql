{{ config(unique_key='buying_group_id') }}

with

events as (

    {{ cdc_events(source('wwi', 'sales__buying_groups')) }}

),

latest as (

    {{ cdc_latest_events('events', 'buying_group_id') }}

),

final as (

    select
        buying_group_id,
        trim(buying_group_name) as buying_group_name,
        last_edited_when as last_edited_at,
        {{ cdc_metadata_columns() }}
    from latest
    {{ cdc_keep_current() }}

)

select * from final
