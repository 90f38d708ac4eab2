{#-
  History (SCD2) dimensions built from a dbt snapshot, used by every
  `dim_*` model with versions (dim_customer, dim_product, dim_supplier):

      history as ( {{ scd2_versions('snapshot_cte', 'natural_key') }} ),
      joined as (
          select
              {{ scd2_key('history', 'natural_key') }} as dim_key,
              ...attributes...,
              {{ scd2_columns('history') }}
          from history ...
      ),
      unknown_member as ( {{ scd2_unknown_member([('dim_key', ...), ...]) }} )

  and the model unions `joined` with `unknown_member`. Every history
  dimension so ends with the same columns: version_number, valid_from,
  valid_to, effective_from, effective_to, is_current.
-#}


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
            when version_number = 1 then {{ scd2_open_start() }}
            else cast(dbt_valid_from as date)
        end as effective_from,
        coalesce(cast(next_valid_from as date), cast(dbt_valid_to as date), {{ scd2_open_end() }})
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


{#- The dates an effective range is open on: before the first and after the current version. -#}
{% macro scd2_open_start() -%}
    date '1900-01-01'
{%- endmacro %}

{% macro scd2_open_end() -%}
    date '9999-12-31'
{%- endmacro %}


{#- Surrogate key of one version: the natural key and when the version became current. -#}
{% macro scd2_key(versions_cte, key_column) -%}
    {{ surrogate_key([versions_cte ~ '.' ~ key_column,
                      timestamp_key_text(versions_cte ~ '.dbt_valid_from')]) }}
{%- endmacro %}


{#- The version columns every history dimension ends with, from `scd2_versions` rows. -#}
{% macro scd2_columns(versions_cte) -%}
    {{ versions_cte }}.version_number,
        {#- to the millisecond: what Trino's Delta connector reads, so engines agree -#}
        date_trunc('millisecond', {{ versions_cte }}.dbt_valid_from) as valid_from,
        date_trunc('millisecond', {{ versions_cte }}.dbt_valid_to) as valid_to,
        {{ versions_cte }}.effective_from,
        {{ versions_cte }}.effective_to,
        {{ versions_cte }}.dbt_valid_to is null as is_current
{%- endmacro %}


{#-
  The unknown member of a history dimension (key -1, facts without a match
  point to it): `columns` as for `unknown_member`, followed by a single
  version that is current and applies to every date.
-#}
{% macro scd2_unknown_member(columns) -%}
    {{ unknown_member(columns + [
        ('version_number', '1'),
        ('valid_from', 'cast(null as timestamp)'),
        ('valid_to', 'cast(null as timestamp)'),
        ('effective_from', scd2_open_start()),
        ('effective_to', scd2_open_end()),
        ('is_current', 'true'),
    ]) }}
{%- endmacro %}
