{#-
  The unknown-member row of a dimension, the row facts without a match point
  to (surrogate key -1): one `select` of `columns`, a list of (column name,
  SQL value) pairs in the dimension's column order, so it can be unioned
  with the dimension's other rows. Give typed nulls (`cast(null as int)`)
  where the value is unknown, so both engines type the union alike.
-#}
{% macro unknown_member(columns) -%}
    select
    {%- for name, value in columns %}
        {{ value }} as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
