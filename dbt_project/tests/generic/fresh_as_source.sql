{#-
  Freshness of a model built from one dbt source, checked against that
  source's own freshness config (`loaded_at_field`, `freshness.warn_after`
  and `error_after` in models/staging/wwi/_wwi__sources.yml), so the
  thresholds live in one place. The newest `loaded_at_field` value of the
  model is compared with now: one failing row per threshold it is older
  than, with `warn_if: '>=1'` and `error_if: '>=2'` (past warn_after warns,
  past error_after fails). `severity: warn` on the test keeps it advisory.
-#}
{% test fresh_as_source(model) %}
{{ config(warn_if='>=1', error_if='>=2') }}
{%- set source_node = freshness_source(model) -%}
{%- set loaded_at = source_node.loaded_at_field if source_node else '_ingested_at' -%}
{%- set freshness = source_node.freshness if source_node else {} -%}

with

newest as (

    select max({{ loaded_at }}) as loaded_at
    from {{ model }}

),

aged as (

    select {{ seconds_between('loaded_at', dbt.current_timestamp()) }} as age_seconds
    from newest

),

thresholds as (

    {%- for name in ['warn_after', 'error_after'] if (freshness.get(name) or {}).get('count') is not none %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select
        '{{ name }}' as threshold,
        {{ freshness[name].count * freshness_period_seconds(freshness[name].period) }} as max_age_seconds
    {%- else %}
    select
        'none' as threshold,
        cast(null as bigint) as max_age_seconds
    {%- endfor %}

),

final as (

    select
        thresholds.threshold,
        thresholds.max_age_seconds,
        aged.age_seconds
    from thresholds
    cross join aged
    where aged.age_seconds > thresholds.max_age_seconds

)

select * from final

{% endtest %}
