{#-
  Versions of a dbt snapshot with the dates facts join on. Each version gets
  its number (1 = oldest) and an effective date range [effective_from,
  effective_to): the first version also covers everything before it (facts
  older than the first snapshot still find a version), a version ends where
  the next one starts, and a version closed by a hard delete ends on that
  day. Two versions on the same day leave the earlier one an empty range, so
  an as-of join never matches two versions.
-#}
{% macro scd2_versions(snapshot_cte, key_column) -%}
    select
        *,
        case
            when version_number = 1 then date '1900-01-01'
            else cast(dbt_valid_from as date)
        end as effective_from,
        coalesce(cast(next_valid_from as date), cast(dbt_valid_to as date), date '9999-12-31')
            as effective_to
    from (
        select
            *,
            row_number() over (
                partition by {{ key_column }} order by dbt_valid_from
            ) as version_number,
            lead(dbt_valid_from) over (
                partition by {{ key_column }} order by dbt_valid_from
            ) as next_valid_from
        from {{ snapshot_cte }}
    ) as sequenced
{%- endmacro %}
