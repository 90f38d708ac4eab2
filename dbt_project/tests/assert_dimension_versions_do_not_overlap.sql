-- SCD2 dimensions: a natural key has at most one version in effect on any date, so as-of
-- joins from facts cannot fan out.
with

customers as (

    select * from {{ ref('dim_customer') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

suppliers as (

    select * from {{ ref('dim_supplier') }}

),

versions as (

    select
        'dim_customer' as dimension,
        customer_id as natural_key,
        version_number,
        effective_from,
        effective_to
    from customers
    union all
    select
        'dim_product' as dimension,
        stock_item_id as natural_key,
        version_number,
        effective_from,
        effective_to
    from products
    union all
    select
        'dim_supplier' as dimension,
        supplier_id as natural_key,
        version_number,
        effective_from,
        effective_to
    from suppliers

),

final as (

    select
        earlier.dimension,
        earlier.natural_key,
        earlier.version_number as earlier_version,
        later.version_number as later_version
    from versions as earlier
    inner join versions as later
        on
            earlier.dimension = later.dimension
            and earlier.natural_key = later.natural_key
            and earlier.version_number < later.version_number
            and earlier.effective_from < later.effective_from
            and earlier.effective_to > later.effective_from

)

select * from final
