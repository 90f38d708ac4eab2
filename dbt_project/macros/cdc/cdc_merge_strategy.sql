{#-
  Incremental strategy `cdc_merge`: upsert the latest event per key and
  delete keys whose latest event is a delete. The increment carries `_cdc_op`
  (see cdc_metadata_columns); the target does not, so the column lists come
  from the target. A truncate in the increment (a row with a null key and
  `_cdc_op = 't'`) is never inserted; `cdc_truncate_sql`, run first, deletes every
  row whose last change is older than it. Spark (Sail, Delta) and Trino
  (Delta connector) both support conditional `when matched` clauses.
-#}
{% macro get_incremental_cdc_merge_sql(arg_dict) -%}
  {%- if target.type == 'trino' -%}
    {#- dbt-trino's incremental materialization runs one statement: apply a truncate
        in the increment first (Sail's materialization, macros/sail/, does it itself) -#}
    {%- do run_query(cdc_truncate_sql(arg_dict['target_relation'], arg_dict['temp_relation'])) -%}
  {%- endif -%}
  {{ return(cdc_merge_sql(arg_dict['target_relation'], arg_dict['temp_relation'],
                          arg_dict['unique_key'], arg_dict['dest_columns'])) }}
{%- endmacro %}


{% macro cdc_merge_sql(target, source, unique_key, dest_columns) -%}
  {%- set keys = [unique_key] if unique_key is string else unique_key -%}
  {%- set columns = dest_columns | map(attribute='name') | list -%}
  merge into {{ target }} as dbt_internal_dest
  using {{ source }} as dbt_internal_source
  on {% for key in keys %}dbt_internal_dest.{{ key }} = dbt_internal_source.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
  when matched and dbt_internal_source._cdc_op = 'd' then delete
  when matched then update set
    {% for column in columns %}{{ column }} = dbt_internal_source.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
  when not matched and dbt_internal_source._cdc_op not in ('d', 't') then insert
    ({{ columns | join(', ') }})
    values ({% for column in columns %}dbt_internal_source.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}


{#-
  Rows last changed before a truncate in the increment are gone at the
  source. The truncate's position is read first (Sail cannot plan a scalar
  subquery in a delete), so without a truncate nothing runs.
-#}
{% macro cdc_truncate_sql(target, source) -%}
  {%- set found = run_query(
      "select max(" ~ cdc_position('_cdc_lsn', '_cdc_seq') ~ ") as truncated_at from "
      ~ source ~ " where _cdc_op = 't'") -%}
  {%- set truncated_at = found.columns[0].values()[0] if found is not none else none -%}
  {%- if truncated_at is not none -%}
  delete from {{ target }}
  where {{ cdc_position('_cdc_lsn', '_cdc_seq') }} < {{ truncated_at }}
  {%- else -%}
  select 'no truncate in this increment' as cdc_truncate
  {%- endif -%}
{%- endmacro %}
