{#-
  Sail with a Hive Metastore catalog rejects `create or replace` and
  `alter table`, and every table is EXTERNAL (dropping it leaves its files).
  So a table is always created at a fresh, absolute location under the
  model's `location_root`: <root>/<identifier>/<run timestamp>-<invocation>.
  An existing table with the same columns keeps its location and gets its
  contents replaced (`insert overwrite`, a new Delta version, so time travel
  keeps working); a full refresh or a column change makes a new generation,
  and `lakepulse dbt` removes the old one's files; see sail_build_table.
-#}

{% macro lakepulse_table_location(relation) -%}
  {%- if env_var('LAKEPULSE_LAKE', '') == '' -%}
    {{ exceptions.raise_compiler_error(
        "LAKEPULSE_LAKE is not set: run dbt through `lakepulse dbt ...` "
        ~ "or export LAKEPULSE_LAKE=<absolute path of the lake>") }}
  {%- endif -%}
  {%- set root = config.get('location_root', validator=validation.any[basestring]) -%}
  {{ root }}/{{ relation.identifier }}/{{ run_started_at.strftime('%Y%m%dT%H%M%S') }}-{{ invocation_id[:8] }}
{%- endmacro %}


{%- macro spark__create_table_as(temporary, relation, compiled_code, language='sql') -%}
  {%- if language != 'sql' -%}
    {{ exceptions.raise_compiler_error("LakePulse models are SQL only: " ~ relation) }}
  {%- elif temporary -%}
    {{ create_temporary_view(relation, compiled_code) }}
  {%- else -%}
    create table {{ relation }}
    {{ file_format_clause() }}
    {{ options_clause() }}
    {{ tblproperties_clause() }}
    {{ partition_cols(label="partitioned by") }}
    location '{{ lakepulse_table_location(relation) }}'
    {{ comment_clause() }}
    as
    {{ compiled_code }}
  {%- endif -%}
{%- endmacro -%}


{#- Views: no `create or replace`; the materialization drops first. -#}
{% macro spark__create_view_as(relation, sql) -%}
  create view {{ relation }}
  {{ comment_clause() }}
  as
    {{ sql }}
{%- endmacro %}


{#- True when both relations have the same column names and types, in order. -#}
{% macro sail_same_columns(left_relation, right_relation) %}
  {%- set left = [] -%}
  {%- for col in adapter.get_columns_in_relation(left_relation) -%}
    {%- do left.append(col.name | lower ~ ' ' ~ col.dtype | lower) -%}
  {%- endfor -%}
  {%- set right = [] -%}
  {%- for col in adapter.get_columns_in_relation(right_relation) -%}
    {%- do right.append(col.name | lower ~ ' ' ~ col.dtype | lower) -%}
  {%- endfor -%}
  {{ return(left | length > 0 and left == right) }}
{% endmacro %}


{#-
  Build `target_relation` from `sql` as a table, replacing what is there.
  Runs the 'main' statement exactly once.
-#}
{% macro sail_build_table(target_relation, existing_relation, sql) %}
  {%- if existing_relation is not none and not existing_relation.is_table -%}
    {% do adapter.drop_relation(existing_relation) %}
    {%- set existing_relation = none -%}
  {%- endif -%}

  {%- if existing_relation is none -%}
    {%- call statement('main') -%}
      {{ create_table_as(False, target_relation, sql) }}
    {%- endcall -%}
  {%- else -%}
    {%- set staged = make_temp_relation(target_relation, '__dbt_replace') -%}
    {%- call statement('stage_replacement') -%}
      {{ create_table_as(True, staged, sql) }}
    {%- endcall -%}
    {%- if not should_full_refresh() and sail_same_columns(staged, existing_relation) -%}
      {%- call statement('main') -%}
        insert overwrite table {{ target_relation }} select * from {{ staged }}
      {%- endcall -%}
    {%- else -%}
      {#- a full refresh, or the columns changed: a new table at a new location;
          `lakepulse dbt` then removes the old generation's files (infra/lake_gc.py) -#}
      {% do adapter.drop_relation(existing_relation) %}
      {%- call statement('main') -%}
        {{ create_table_as(False, target_relation, 'select * from ' ~ staged) }}
      {%- endcall -%}
    {%- endif -%}
    {%- call statement('drop_staged') -%}
      drop view if exists {{ staged }}
    {%- endcall -%}
  {%- endif -%}
{% endmacro %}
