{#- Use the folder's schema as is (`silver`, `gold`), not `<target>_<schema>`:
    the layers are shared databases in the metastore, the same for every target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}{{ env_var('LAKEPULSE_DBT_SCHEMA_SUFFIX', '') | trim }}
    {%- endif -%}
{%- endmacro %}
