{#-
  The source node a model reads (its only `source()` parent) with the
  freshness config dbt resolved for it; none while parsing. A model without
  exactly one source parent, or a source without `loaded_at_field` and
  `freshness`, is a compile error: the test would check nothing.
-#}
{% macro freshness_source(model) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set models = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('alias', 'equalto', model.identifier) | list -%}
    {%- set sources = [] -%}
    {%- for node in models -%}
        {%- for parent in node.depends_on.nodes if parent.startswith('source.') -%}
            {%- do sources.append(graph.sources[parent]) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if sources | length != 1 -%}
        {{ exceptions.raise_compiler_error(
            'fresh_as_source: ' ~ model.identifier ~ ' must read exactly one source (found '
            ~ sources | length ~ ')') }}
    {%- endif -%}
    {%- set found = sources[0] -%}
    {%- set thresholds = [] -%}
    {%- for name in ['warn_after', 'error_after'] -%}
        {%- if ((found.freshness or {}).get(name) or {}).get('count') is not none -%}
            {%- do thresholds.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not found.loaded_at_field or not thresholds -%}
        {{ exceptions.raise_compiler_error(
            'fresh_as_source: source ' ~ found.source_name ~ '.' ~ found.name
            ~ ' declares no loaded_at_field and freshness') }}
    {%- endif -%}
    {{ return(found) }}
{%- endmacro %}


{#- Seconds in one dbt freshness period (minute, hour or day). -#}
{% macro freshness_period_seconds(period) -%}
    {%- set seconds = {'minute': 60, 'hour': 3600, 'day': 86400} -%}
    {%- if period not in seconds -%}
        {{ exceptions.raise_compiler_error('unknown freshness period ' ~ period) }}
    {%- endif -%}
    {{ return(seconds[period]) }}
{%- endmacro %}
