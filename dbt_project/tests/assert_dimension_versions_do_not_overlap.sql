-- SCD2 dimensions: a natural key has at most one version in effect on any date, so as-of
-- joins from facts cannot fan out.
{%- set dimensions = [
    ('dim_customer', 'customer_id'),
    ('dim_product', 'stock_item_id'),
    ('dim_supplier', 'supplier_id'),
] %}
{% for dimension, natural_key in dimensions %}
select
    '{{ dimension }}' as dimension,
    earlier.{{ natural_key }} as natural_key
from {{ ref(dimension) }} as earlier
inner join {{ ref(dimension) }} as later
    on
        earlier.{{ natural_key }} = later.{{ natural_key }}
        and earlier.version_number < later.version_number
        and earlier.effective_from < later.effective_from
        and later.effective_from < earlier.effective_to
{% if not loop.last %}union all{% endif %}
{% endfor %}
