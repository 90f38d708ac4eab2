{#-
  The time a check-strategy snapshot stamps on a new version, to the
  millisecond: Trino's Delta connector reads timestamps at millisecond precision
  (rounding), so a microsecond stamp would read differently on Trino and Spark.
-#}
{% macro spark__snapshot_get_time() -%}
    date_trunc('millisecond', current_timestamp())
{%- endmacro %}
