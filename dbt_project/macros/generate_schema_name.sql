{#- Use the folder's schema as is (`silver`, `gold`), not `<target>_<schema>`:
    the layers are shared databases in the metastore, the same for every target.
    `LAKEPULSE_DBT_SCHEMA_SUFFIX` (set by `lakepulse reconcile`) sends Gold to
    `gold<suffix>` (e.g. `gold_trino`), so a second engine can build Gold from the
    same Silver beside the first engine's, to be compared. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- elif custom_schema_name | trim == 'gold' -%}
        gold{{ env_var('LAKEPULSE_DBT_SCHEMA_SUFFIX', '') | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
