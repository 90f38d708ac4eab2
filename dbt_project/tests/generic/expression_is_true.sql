{#-
  Rows for which `expression` is not true fail the test (null counts as a
  failure unless the expression handles it). Usable on a model or a column:
  on a column, `column_name` may appear in the expression.
-#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce({{ expression | replace('column_name', column_name or 'column_name') }}, false)

{% endtest %}
