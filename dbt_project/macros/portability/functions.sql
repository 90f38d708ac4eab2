{#-
  Engine differences, one dispatched macro each (spark = Sail or a Spark
  cluster, trino = the scale-out query engine). Models call these instead of
  engine-specific functions; `lakepulse check-trino` proves the Trino side.
-#}

{#-
  Surrogate key from natural-key columns (nulls and separators made
  explicit): the first 60 bits of the MD5 of the key text, a positive bigint.
  Every engine computes the same value (Spark's xxhash64 is seeded with 42,
  Trino's with 0, so xxhash64 keys differed between engines), so Gold built by
  Sail and by Trino joins and reconciles key for key.
-#}
{% macro surrogate_key(columns) -%}
    {{ return(adapter.dispatch('surrogate_key')(columns)) }}
{%- endmacro %}

{% macro surrogate_key_input(columns) -%}
    concat_ws('|'
    {%- for column in columns -%}
        , coalesce(cast({{ column }} as {{ dbt.type_string() }}), '~')
    {%- endfor -%}
    )
{%- endmacro %}

{% macro default__surrogate_key(columns) -%}
    from_base(substr(to_hex(md5(to_utf8({{ surrogate_key_input(columns) }}))), 1, 15), 16)
{%- endmacro %}

{% macro spark__surrogate_key(columns) -%}
    cast(conv(substr(md5({{ surrogate_key_input(columns) }}), 1, 15), 16, 10) as bigint)
{%- endmacro %}


{#-
  A timestamp as text to the millisecond, the same on every engine (a plain
  cast differs: Spark drops zero fractions, Trino prints its precision), for
  keys built from timestamps. Milliseconds: Trino's Delta connector reads
  timestamps at millisecond precision.
-#}
{% macro timestamp_key_text(timestamp_expression) -%}
    {{ return(adapter.dispatch('timestamp_key_text')(timestamp_expression)) }}
{%- endmacro %}

{% macro default__timestamp_key_text(timestamp_expression) -%}
    format_datetime({{ timestamp_expression }}, 'yyyy-MM-dd HH:mm:ss.SSS')
{%- endmacro %}

{% macro spark__timestamp_key_text(timestamp_expression) -%}
    date_format({{ timestamp_expression }}, 'yyyy-MM-dd HH:mm:ss.SSS')
{%- endmacro %}


{#-
  One row per day from start_date to end_date (inclusive), column date_day.
  Both engines have sequence(); Spark expands arrays with explode() in the
  select list, Trino with unnest() in the from clause. dbt's date_spine
  macro is not used because it queries the warehouse at compile time.
-#}
{% macro date_spine_rows(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_spine_rows')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_spine_rows(start_date, end_date) -%}
    select date_day
    from unnest(sequence(date '{{ start_date }}', date '{{ end_date }}', interval '1' day)) as spine (date_day)  -- noqa: AL05
{%- endmacro %}

{% macro spark__date_spine_rows(start_date, end_date) -%}
    select explode(sequence(date '{{ start_date }}', date '{{ end_date }}', interval 1 day)) as date_day
{%- endmacro %}


{#-
  ISO day of week, Monday = 1 .. Sunday = 7. Spark's dayofweek() starts on
  Sunday and Sail's extract(dow) differs from Spark's, Trino's
  day_of_week() is ISO; counting days from a known Monday is the same
  everywhere.
-#}
{% macro iso_day_of_week(date_expression) -%}
    (mod({{ dbt.datediff("date '1900-01-01'", date_expression, 'day') }}, 7) + 1)
{%- endmacro %}


{#- English day and month names: Spark formats with Java patterns, Trino with MySQL ones. -#}
{% macro day_name(date_expression) -%}
    {{ return(adapter.dispatch('day_name')(date_expression)) }}
{%- endmacro %}

{% macro default__day_name(date_expression) -%}
    date_format({{ date_expression }}, '%W')
{%- endmacro %}

{% macro spark__day_name(date_expression) -%}
    date_format({{ date_expression }}, 'EEEE')
{%- endmacro %}

{% macro month_name(date_expression) -%}
    {{ return(adapter.dispatch('month_name')(date_expression)) }}
{%- endmacro %}

{% macro default__month_name(date_expression) -%}
    date_format({{ date_expression }}, '%M')
{%- endmacro %}

{% macro spark__month_name(date_expression) -%}
    date_format({{ date_expression }}, 'MMMM')
{%- endmacro %}


{#- Integer key yyyymmdd of a date; year/month/day exist in both engines. -#}
{% macro date_key(date_expression) -%}
    (year({{ date_expression }}) * 10000 + month({{ date_expression }}) * 100 + day({{ date_expression }}))
{%- endmacro %}


{#-
  Whole seconds from one timestamp to a later one. Spark (and Sail) count
  with unix_timestamp(); Trino with date_diff().
-#}
{% macro seconds_between(first_timestamp, second_timestamp) -%}
    {{ return(adapter.dispatch('seconds_between')(first_timestamp, second_timestamp)) }}
{%- endmacro %}

{% macro default__seconds_between(first_timestamp, second_timestamp) -%}
    date_diff('second', {{ first_timestamp }}, {{ second_timestamp }})
{%- endmacro %}

{% macro spark__seconds_between(first_timestamp, second_timestamp) -%}
    (unix_timestamp({{ second_timestamp }}) - unix_timestamp({{ first_timestamp }}))
{%- endmacro %}
