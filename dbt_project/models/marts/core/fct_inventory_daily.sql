-- grain: one row per stock item per day, from its first movement to the latest day with data
with

holdings as (

    select * from {{ ref('stg_wwi__stock_item_holdings') }}

),

movements as (

    select * from {{ ref('fct_stock_movements') }}

),

dates as (

    select * from {{ ref('dim_date') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

daily_movements as (

    select
        stock_item_id,
        transaction_date,
        sum(quantity) as quantity_moved
    from movements
    group by stock_item_id, transaction_date

),

item_ranges as (

    select
        holdings.stock_item_id,
        holdings.quantity_on_hand,
        coalesce(min(daily_movements.transaction_date), cast(holdings.last_edited_at as date))
            as first_day
    from holdings
    left join daily_movements
        on holdings.stock_item_id = daily_movements.stock_item_id
    group by holdings.stock_item_id, holdings.quantity_on_hand, holdings.last_edited_at

),

last_movement as (

    select max(transaction_date) as transaction_date from daily_movements

),

last_day as (

    select
        greatest(
            max(cast(holdings.last_edited_at as date)),
            coalesce(
                max(last_movement.transaction_date), max(cast(holdings.last_edited_at as date))
            )
        ) as last_day
    from holdings
    cross join last_movement

),

item_days as (

    select
        item_ranges.stock_item_id,
        item_ranges.quantity_on_hand,
        dates.date_key,
        dates.date_day
    from item_ranges
    cross join last_day
    inner join dates
        on
            item_ranges.first_day <= dates.date_day
            and last_day.last_day >= dates.date_day

),

with_movements as (

    select
        item_days.*,
        coalesce(daily_movements.quantity_moved, 0) as quantity_moved
    from item_days
    left join daily_movements
        on
            item_days.stock_item_id = daily_movements.stock_item_id
            and item_days.date_day = daily_movements.transaction_date

),

rolled_back as (

    -- today's holding minus everything that moved after the day = the holding at the day's end
    select
        *,
        coalesce(sum(quantity_moved) over (
            partition by stock_item_id
            order by date_day desc
            rows between unbounded preceding and 1 preceding
        ), 0) as quantity_moved_after
    from with_movements

),

final as (

    select
        rolled_back.date_key,
        coalesce(products.product_key, -1) as product_key,
        rolled_back.stock_item_id,
        rolled_back.date_day,
        rolled_back.quantity_moved,
        rolled_back.quantity_on_hand - rolled_back.quantity_moved_after as quantity_on_hand
    from rolled_back
    left join products
        on
            rolled_back.stock_item_id = products.stock_item_id
            and rolled_back.date_day >= products.effective_from
            and rolled_back.date_day < products.effective_to

)

select * from final
