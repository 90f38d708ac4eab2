"""Source to Gold, reconciled by Trino in one cross-catalog query.

When Trino runs (`lakepulse up --only trino`), every pipeline run compares what the
OLTP database holds now (catalog `source`, read-only) with what Gold says (catalog
`lake`): revenue and order count per order month, computed from the raw source rows
the way `fct_sales` defines them (cancelled orders excluded, quantities taken
absolute as Silver cleans them). Months that differ are listed in the run report.
A difference is a warning, not a failure: the source may have changed after the run
captured it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from infra.engines import trino
from infra.settings import Settings

MONTHLY_DIFFERENCES = """
with source_months as (
    select
        year(orders.order_date) as order_year,
        month(orders.order_date) as order_month,
        round(sum(abs(lines.quantity) * lines.unit_price), 2) as revenue,
        count(distinct orders.order_id) as order_count
    from source.sales.orders as orders
    inner join source.sales.order_lines as lines on lines.order_id = orders.order_id
    where lower(trim(orders.status)) <> 'cancelled'
    group by 1, 2
),

gold_months as (
    select
        year(order_date) as order_year,
        month(order_date) as order_month,
        sum(net_amount) as revenue,
        count(distinct order_id) as order_count
    from lake.gold.fct_sales
    where not is_cancelled
    group by 1, 2
),

compared as (
    select
        coalesce(s.order_year, g.order_year) as order_year,
        coalesce(s.order_month, g.order_month) as order_month,
        s.revenue as source_revenue,
        g.revenue as gold_revenue,
        s.order_count as source_orders,
        g.order_count as gold_orders
    from source_months as s
    full outer join gold_months as g
        on s.order_year = g.order_year and s.order_month = g.order_month
)

select
    *,
    coalesce(source_revenue <> gold_revenue or source_orders <> gold_orders, true) as differs
from compared
order by order_year, order_month
"""


@dataclass(frozen=True)
class MonthDifference:
    month: str
    source_revenue: Decimal | None
    gold_revenue: Decimal | None
    source_orders: int | None
    gold_orders: int | None

    def line(self) -> str:
        return (
            f"{self.month}: source {self.source_orders} orders, {self.source_revenue} revenue; "
            f"Gold {self.gold_orders} orders, {self.gold_revenue} revenue"
        )


@dataclass(frozen=True)
class SourceReconciliation:
    months: int
    differences: list[MonthDifference]

    @property
    def ok(self) -> bool:
        return self.months > 0 and not self.differences

    def summary(self) -> str:
        if self.ok:
            return f"source and Gold agree on revenue and orders in all {self.months} months"
        return (
            f"source and Gold differ in {len(self.differences)} of {self.months} months "
            "(changes after this run's capture show up here until the next run)"
        )


def source_to_gold(settings: Settings) -> SourceReconciliation:
    """Revenue and orders per month, source against Gold, through Trino."""
    result = trino.query(settings, MONTHLY_DIFFERENCES)
    rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    differences = [
        MonthDifference(
            f"{row['order_year']:04d}-{row['order_month']:02d}",
            row["source_revenue"],  # type: ignore[arg-type]
            row["gold_revenue"],  # type: ignore[arg-type]
            row["source_orders"],  # type: ignore[arg-type]
            row["gold_orders"],  # type: ignore[arg-type]
        )
        for row in rows
        if row["differs"]
    ]
    return SourceReconciliation(len(rows), differences)
