-- SCD2 dimensions: a natural key has at most one version in effect on any date, so as-of joins
-- from facts cannot fan out.
{% for dim, key in [('dim_customer', 'customer_id'), ('dim_product', 'stock_item_id'), ('dim_supplier', 'supplier_id')] %}
select '{{ dim }}' as dimension, earlier.{{ key }} as natural_key
from {{ ref(dim) }} as earlier
inner join {{ ref(dim) }} as later
    on earlier.{{ key }} = later.{{ key }}
    and earlier.version_number < later.version_number
    and later.effective_from < earlier.effective_to
    and earlier.effective_from < later.effective_from
{% if not loop.last %}union all{% endif %}
{% endfor %}
