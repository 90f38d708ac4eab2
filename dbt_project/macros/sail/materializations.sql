{#-
  Project overrides of dbt-spark's table, view and incremental
  materializations, for Sail + Hive Metastore (no `create or replace`, no
  `alter table`, external tables). They also work on a JVM Spark cluster.
-#}

{% materialization table, adapter='spark', supported_languages=['sql'] %}
  {%- set identifier = model['alias'] -%}
  {%- set grant_config = config.get('grants') -%}
  {%- set old_relation = adapter.get_relation(database=database, schema=schema, identifier=identifier) -%}
  {%- set target_relation = api.Relation.create(identifier=identifier, schema=schema,
                                                database=database, type='table') -%}

  {{ run_hooks(pre_hooks) }}

  {{ sail_build_table(target_relation, old_relation, compiled_code) }}

  {% set should_revoke = should_revoke(old_relation, full_refresh_mode=True) %}
  {% do apply_grants(target_relation, grant_config, should_revoke) %}

  {{ run_hooks(post_hooks) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{% materialization view, adapter='spark' %}
  {%- set identifier = model['alias'] -%}
  {%- set old_relation = adapter.get_relation(database=database, schema=schema, identifier=identifier) -%}
  {%- set target_relation = api.Relation.create(identifier=identifier, schema=schema,
                                                database=database, type='view') -%}

  {{ run_hooks(pre_hooks) }}

  {%- if old_relation is not none -%}
    {% do adapter.drop_relation(old_relation) %}
  {%- endif -%}
  {%- call statement('main') -%}
    {{ get_create_view_as_sql(target_relation, sql) }}
  {%- endcall -%}

  {{ run_hooks(post_hooks) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{% materialization incremental, adapter='spark', supported_languages=['sql'] -%}
  {%- set raw_file_format = config.get('file_format', default='delta') -%}
  {%- set raw_strategy = config.get('incremental_strategy') or 'merge' -%}
  {%- set grant_config = config.get('grants') -%}
  {%- set file_format = dbt_spark_validate_get_file_format(raw_file_format) -%}
  {#- cdc_merge: the project's CDC strategy (macros/cdc/cdc_merge_strategy.sql) -#}
  {%- set strategy = raw_strategy if raw_strategy == 'cdc_merge'
                     else dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) -%}
  {%- if strategy == 'insert_overwrite' -%}
    {{ exceptions.raise_compiler_error(
        "incremental_strategy 'insert_overwrite' is unsafe on Sail (dynamic partition "
        ~ "overwrite replaces the whole table): use 'merge' in " ~ model.name) }}
  {%- endif -%}

  {%- set unique_key = config.get('unique_key', none) -%}
  {%- set on_schema_change = incremental_validate_on_schema_change(config.get('on_schema_change'), default='ignore') -%}
  {%- set incremental_predicates = config.get('predicates', none) or config.get('incremental_predicates', none) -%}
  {%- set target_relation = this -%}
  {%- set existing_relation = load_relation(this) -%}
  {%- set tmp_relation = this.incorporate(path={"identifier": this.identifier ~ '__dbt_tmp'}).include(database=false, schema=false) -%}

  {{ run_hooks(pre_hooks) }}

  {%- if existing_relation is none or existing_relation.is_view or should_full_refresh() -%}
    {{ sail_build_table(target_relation, existing_relation, compiled_code) }}
  {%- else -%}
    {%- call statement('create_tmp_relation') -%}
      {{ create_table_as(True, tmp_relation, compiled_code) }}
    {%- endcall -%}
    {%- do process_schema_changes(on_schema_change, tmp_relation, existing_relation) -%}
    {%- if strategy == 'cdc_merge' -%}
      {#- truncate first: the increment is a view whose watermark reads the target -#}
      {%- call statement('cdc_truncate') -%}
        {{ cdc_truncate_sql(target_relation, tmp_relation) }}
      {%- endcall -%}
      {%- call statement('main') -%}
        {{ cdc_merge_sql(target_relation, tmp_relation, unique_key,
                         adapter.get_columns_in_relation(existing_relation)) }}
      {%- endcall -%}
    {%- else -%}
      {%- call statement('main') -%}
        {{ dbt_spark_get_incremental_sql(strategy, tmp_relation, target_relation, existing_relation, unique_key, incremental_predicates) }}
      {%- endcall -%}
    {%- endif -%}
    {%- call statement('drop_tmp_relation') -%}
      drop view if exists {{ tmp_relation }}
    {%- endcall -%}
  {%- endif -%}

  {% set should_revoke = should_revoke(existing_relation, full_refresh_mode) %}
  {% do apply_grants(target_relation, grant_config, should_revoke) %}

  {{ run_hooks(post_hooks) }}

  {{ return({'relations': [target_relation]}) }}
{%- endmaterialization %}
