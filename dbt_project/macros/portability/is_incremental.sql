{#-
  dbt's is_incremental() asks the warehouse whether the model exists. With
  `--vars '{offline_compile: true}'` (used to compile for Trino without a
  server) it answers from config instead: an incremental model compiles with
  its incremental filter, as it would run on every day but the first.
-#}
{% macro is_incremental() %}
  {%- if var('offline_compile', false) -%}
    {{ return(model.config.materialized == 'incremental' and not flags.FULL_REFRESH) }}
  {%- else -%}
    {{ return(dbt.is_incremental()) }}
  {%- endif -%}
{% endmacro %}
