with

price_versions as (

    select * from {{ ref('snap_wwi__stock_items') }}

),

stock_items as (

    select * from {{ ref('stg_wwi__stock_items') }}

),

item_groups as (

    select * from {{ ref('stg_wwi__stock_item_stock_groups') }}

),

stock_groups as (

    select * from {{ ref('stg_wwi__stock_groups') }}

),

colors as (

    select * from {{ ref('stg_wwi__colors') }}

),

package_types as (

    select * from {{ ref('stg_wwi__package_types') }}

),

suppliers as (

    select * from {{ ref('stg_wwi__suppliers') }}

),

primary_group as (

    -- an item may sit in several stock groups; its category is the lowest-numbered one
    select
        item_groups.stock_item_id,
        min(item_groups.stock_group_id) as stock_group_id,
        count(*) as stock_group_count
    from item_groups
    group by item_groups.stock_item_id

),

effective as (

    -- numbered versions with the [effective_from, effective_to) dates facts join on
    {{ scd2_versions('price_versions', 'stock_item_id') }}

),

joined as (

    select
        {{ scd2_key('effective', 'stock_item_id') }} as product_key,
        effective.stock_item_id,
        coalesce(stock_items.stock_item_name, 'Deleted item') as stock_item_name,
        coalesce(stock_groups.stock_group_name, 'Unknown') as product_category,
        coalesce(primary_group.stock_group_count, 0) as stock_group_count,
        coalesce(colors.color_name, 'N/A') as color,
        coalesce(unit_packages.package_type_name, 'Unknown') as unit_package,
        coalesce(outer_packages.package_type_name, 'Unknown') as outer_package,
        stock_items.brand,
        stock_items.item_size,
        stock_items.supplier_id,
        coalesce(suppliers.supplier_name, 'Unknown') as supplier_name,
        stock_items.is_chiller_stock,
        stock_items.lead_time_days,
        stock_items.quantity_per_outer,
        stock_items.typical_weight_per_unit,
        effective.unit_price,
        effective.recommended_retail_price,
        effective.tax_rate,
        {{ scd2_columns('effective') }}
    from effective
    left join stock_items
        on effective.stock_item_id = stock_items.stock_item_id
    left join primary_group
        on effective.stock_item_id = primary_group.stock_item_id
    left join stock_groups
        on primary_group.stock_group_id = stock_groups.stock_group_id
    left join colors
        on stock_items.color_id = colors.color_id
    left join package_types as unit_packages
        on stock_items.unit_package_id = unit_packages.package_type_id
    left join package_types as outer_packages
        on stock_items.outer_package_id = outer_packages.package_type_id
    left join suppliers
        on stock_items.supplier_id = suppliers.supplier_id

),

unknown_member as (

    {{ scd2_unknown_member([
        ('product_key', 'cast(-1 as bigint)'),
        ('stock_item_id', 'cast(-1 as int)'),
        ('stock_item_name', "'Unknown'"),
        ('product_category', "'Unknown'"),
        ('stock_group_count', 'cast(0 as bigint)'),
        ('color', "'Unknown'"),
        ('unit_package', "'Unknown'"),
        ('outer_package', "'Unknown'"),
        ('brand', 'cast(null as ' ~ dbt.type_string() ~ ')'),
        ('item_size', 'cast(null as ' ~ dbt.type_string() ~ ')'),
        ('supplier_id', 'cast(null as int)'),
        ('supplier_name', "'Unknown'"),
        ('is_chiller_stock', 'cast(null as boolean)'),
        ('lead_time_days', 'cast(null as int)'),
        ('quantity_per_outer', 'cast(null as int)'),
        ('typical_weight_per_unit', 'cast(null as decimal(18, 3))'),
        ('unit_price', 'cast(null as decimal(18, 2))'),
        ('recommended_retail_price', 'cast(null as decimal(18, 2))'),
        ('tax_rate', 'cast(null as decimal(18, 3))'),
    ]) }}

),

final as (

    select * from joined
    union all
    select * from unknown_member

)

select * from final
