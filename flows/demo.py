"""`lakepulse demo`: source -> CDC -> Bronze -> dbt Silver and Gold on the embedded stack."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from flows.dbt_runner import run_dbt
from infra import spark as spark_access
from infra.lake_gc import prune_generations
from infra.settings import Settings
from ingestion.cdc.runner import run as capture_changes
from ingestion.source import seeder
from ingestion.source.db import connect, wwi_loaded

DEMO_SCALE = 0.1
DEMO_DIRTY_RATE = 0.02
LAYER_TABLES = {
    "silver": ("stg_wwi__customers", "stg_wwi__orders", "stg_wwi__order_lines"),
    "gold": ("dim_customer", "dim_product", "fct_sales", "sales_metrics", "customer_analytics"),
}


@dataclass
class DemoReport:
    ok: bool
    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def run_demo(settings: Settings, console: Console) -> DemoReport:
    began = time.monotonic()
    spark = spark_access.session(settings)
    with connect(settings) as conn:
        loaded = wwi_loaded(conn)
    if loaded:
        console.print("[yellow]•[/] source already seeded: capturing what changed since last time")
    else:
        report = seeder.seed(settings, scale=DEMO_SCALE, dirty_rate=DEMO_DIRTY_RATE)
        console.print(f"[green]✓[/] seeded SF {DEMO_SCALE}: {report.total_rows:,} source rows")

    captured = capture_changes(settings)
    console.print(f"[green]✓[/] CDC: {captured.total:,} change events landed in Bronze")

    console.print("building Silver and Gold: dbt build")
    build = run_dbt(["build"], settings)
    prune_generations(spark, settings)
    if build.returncode != 0:
        console.print("[bold red]dbt build failed[/] (see the failing nodes above)")
        return DemoReport(ok=False, seconds=time.monotonic() - began)

    tables = {
        f"{layer}.{name}": spark.table(f"{layer}.{name}").count()
        for layer, names in LAYER_TABLES.items()
        for name in names
    }
    summary = Table(title="built", title_justify="left")
    summary.add_column("table")
    summary.add_column("rows", justify="right")
    for name, rows in tables.items():
        summary.add_row(name, f"{rows:,}")
    console.print(summary)
    console.print(top_regions(spark))
    console.print(f"Prefect UI:  {settings.prefect_ui_url}")
    console.print(f"Spark:       {settings.spark_remote}")
    console.print(f"Lake:        {settings.lake_dir}")
    seconds = time.monotonic() - began
    console.print(f"[green]demo done[/] in {seconds:.1f}s")
    return DemoReport(ok=True, tables=tables, seconds=seconds)


def top_regions(spark, limit: int = 5) -> Table:
    rows = spark.sql(
        "select region, sum(total_revenue) as revenue, sum(total_orders) as orders "
        f"from gold.sales_metrics group by region order by revenue desc limit {limit}"
    ).collect()
    table = Table(title="top regions by revenue (gold.sales_metrics)", title_justify="left")
    table.add_column("region")
    table.add_column("revenue", justify="right")
    table.add_column("orders", justify="right")
    for row in rows:
        table.add_row(row["region"], f"{row['revenue']:,.2f}", f"{row['orders']:,}")
    return table
