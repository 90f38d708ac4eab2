{#-
  Trino creates a layer schema it builds into (e.g. `gold_trino`) in the Hive
  Metastore at an explicit location under the lake, `<lake>/<schema>`, never
  at the metastore's warehouse default: every engine then finds its tables
  under the lake. Its tables are created at `<schema location>/<table>-<uuid>`.
-#}
{% macro trino__create_schema(relation) -%}
  {%- call statement('create_schema') -%}
    create schema if not exists {{ relation.without_identifier() }}
    with (location = '{{ env_var("LAKEPULSE_LAKE") }}/{{ relation.schema }}')
  {%- endcall -%}
{%- endmacro %}
