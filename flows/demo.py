"""`lakepulse demo`: seed, the daily pipeline twice (around a simulator burst), a summary."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from expectations.gate import docs_index
from flows.dbt_runner import DBT_PROJECT_DIR, run_dbt
from infra.engines import spark as spark_access
from infra.settings import Settings
from ingestion.files.ingest import Folders
from ingestion.source import seeder
from ingestion.source.db import connect, wwi_loaded
from ingestion.source.simulator import simulate

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "ingestion" / "samples"
DEMO_SCALE = 0.1
DEMO_DIRTY_RATE = 0.02
DEMO_BURST = 2_000
LAYER_TABLES = {
    "silver": ("stg_wwi__customers", "stg_wwi__orders", "stg_wwi__order_lines"),
    "gold": ("dim_customer", "dim_product", "fct_sales", "sales_metrics", "customer_analytics"),
}


@dataclass
class DemoReport:
    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def run_demo(settings: Settings, console: Console) -> DemoReport:
    """Seed (first time), run the daily pipeline twice around a burst, print a summary.

    A failed gate or dbt node raises (QualityGateFailed, DbtRunFailed) after the
    steps before it were printed.
    """
    from flows.pipeline import daily_pipeline
    from flows.prefect_api import stack_prefect

    began = time.monotonic()

    spark = spark_access.session(settings)
    with connect(settings) as conn:
        loaded = wwi_loaded(conn)
    if loaded:
        console.print("[yellow]•[/] source already seeded: capturing what changed since last time")
    else:
        report = seeder.seed(settings, scale=DEMO_SCALE, dirty_rate=DEMO_DIRTY_RATE)
        console.print(f"[green]✓[/] seeded SF {DEMO_SCALE}: {report.total_rows:,} source rows")

    dropped = drop_sample_files(settings)
    console.print(
        f"[green]✓[/] {len(dropped)} partner sample file(s) dropped in "
        f"{Folders.of(settings).landing}"
    )
    with stack_prefect(settings, wait=0):
        console.print("daily pipeline, first run: CDC + files -> gates -> dbt Silver and Gold")
        daily_pipeline()
        burst = simulate(settings, pattern="burst", rate=2000, duration=5, max_events=DEMO_BURST)
        console.print(f"[green]✓[/] simulator burst: {burst.events:,} row changes")
        console.print("daily pipeline, second run: only what changed")
        daily_pipeline()
    docs = run_dbt(["docs", "generate"], settings, capture=True)

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
    console.print(file_batches(spark))
    console.print(quality_scores(spark))
    console.print(f"Prefect UI:  {settings.prefect_ui_url}")
    if docs.returncode == 0:
        console.print(
            f"dbt docs:    {DBT_PROJECT_DIR / 'target' / 'index.html'} "
            "(or `lakepulse dbt docs serve`)"
        )
    console.print(f"Data Docs:   {docs_index(settings)}")
    console.print(f"Spark:       {settings.spark_remote}")
    seconds = time.monotonic() - began
    console.print(f"[green]demo done[/] in {seconds:.1f}s")
    return DemoReport(tables=tables, seconds=seconds)


def drop_sample_files(settings: Settings) -> list[Path]:
    """Copy the sample partner files into the landing folder (ingested once: same content
    dropped again is recognised and skipped)."""
    folders = Folders.of(settings)
    folders.create()
    dropped = []
    for sample in sorted(SAMPLES_DIR.iterdir()):
        if sample.is_file():
            dropped.append(Path(shutil.copy2(sample, folders.landing / sample.name)))
    return dropped


def file_batches(spark) -> Table:
    rows = spark.sql(
        "select dataset, count(*) as files, sum(rows_read) as read, sum(landed) as landed, "
        "sum(quarantined) as quarantined from bronze.ingest_log "
        "where status = 'landed' group by dataset order by dataset"
    ).collect()
    table = Table(title="partner files in Bronze (bronze.ingest_log)", title_justify="left")
    for name in ("dataset", "files", "read", "landed", "quarantined"):
        table.add_column(name, justify="left" if name == "dataset" else "right")
    for row in rows:
        table.add_row(
            row["dataset"], *(f"{row[k]:,}" for k in ("files", "read", "landed", "quarantined"))
        )
    return table


def quality_scores(spark) -> Table:
    rows = spark.sql(
        "select s.layer, avg(s.score) as score, count(*) as checks from quality.scores as s "
        "join (select layer, max(checked_at) as checked_at from quality.scores group by layer) "
        "as latest on s.layer = latest.layer and s.checked_at = latest.checked_at "
        "group by s.layer order by s.layer"
    ).collect()
    table = Table(title="quality scores (latest gate per layer)", title_justify="left")
    table.add_column("layer")
    table.add_column("score", justify="right")
    table.add_column("checks", justify="right")
    for row in rows:
        table.add_row(row["layer"], f"{row['score']:.1%}", str(row["checks"]))
    return table


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
