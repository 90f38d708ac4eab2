{#-
  Cleaning rules shared by Silver models. Plain SQL functions that Spark and
  Trino both have (trim, lower, regexp_replace, regexp_like, length, substr), and patterns
  without backslashes: Spark string literals treat `\` as an escape, Trino's
  do not, so `[0-9]` and ` +` are used instead of `\d` and `\s+`.
-#}

{#- Trimmed, inner runs of spaces collapsed, empty as null. -#}
{% macro clean_text(column) -%}
    nullif(regexp_replace(trim({{ column }}), ' +', ' '), '')
{%- endmacro %}


{#- Lower-cased and trimmed; null unless it looks like local@domain.tld. -#}
{% macro clean_email(column) -%}
    case
        when regexp_like(lower(trim({{ column }})), '{{ var("email_pattern") }}')
            then lower(trim({{ column }}))
    end
{%- endmacro %}


{#-
  Digits only, with the country code: 10 digits are a North American number
  (country code 1 added), 11 digits starting with 1 already carry it.
  Anything else cannot be normalized and becomes null.
-#}
{% macro clean_phone(column) -%}
    case
        when length(regexp_replace({{ column }}, '[^0-9]', '')) = 10
            then {{ dbt.concat(["'1'", "regexp_replace(" ~ column ~ ", '[^0-9]', '')"]) }}
        when length(regexp_replace({{ column }}, '[^0-9]', '')) = 11
            and substr(regexp_replace({{ column }}, '[^0-9]', ''), 1, 1) = '1'
            then regexp_replace({{ column }}, '[^0-9]', '')
    end
{%- endmacro %}


{#- A reason when a present raw value was cleaned to null, else null. -#}
{% macro invalid_when_nulled(raw_column, cleaned_expression, reason) -%}
    case
        when nullif(trim({{ raw_column }}), '') is not null and ({{ cleaned_expression }}) is null
            then '{{ reason }}'
    end
{%- endmacro %}


{#- Reasons joined with '; ' (null ones skipped), or null when there are none. -#}
{% macro join_reasons(reasons) -%}
    nullif(concat_ws('; ', {{ reasons | join(', ') }}), '')
{%- endmacro %}
