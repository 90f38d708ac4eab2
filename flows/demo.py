"""The minimal slice end to end: Bronze via Spark Connect, Silver via dbt, tests, summary."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from flows.dbt_runner import run_dbt
from infra import spark as spark_access
from infra.settings import Settings
from ingestion.sample.slice import write_slice

SILVER_MODEL = "stg_demo__customers"


@dataclass
class DemoReport:
    ok: bool
    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def run_demo(settings: Settings, console: Console) -> DemoReport:
    began = time.monotonic()
    spark = spark_access.session(settings)
    result = write_slice(spark, settings)
    if result.skipped:
        console.print(f"[yellow]•[/] {result.table}: slice already landed, nothing new written")
    else:
        console.print(f"[green]✓[/] {result.table}: {result.written} change events written")

    console.print(f"building Silver: dbt build --select {SILVER_MODEL}")
    build = run_dbt(["build", "--select", SILVER_MODEL], settings, capture=True)
    if build.returncode != 0:
        console.print(build.stdout[-4000:])
        console.print("[bold red]dbt build failed[/] (see output above)")
        return DemoReport(ok=False, seconds=time.monotonic() - began)

    tables = {}
    for qualified in (result.table, f"silver.{SILVER_MODEL}"):
        tables[qualified] = spark.sql(f"select count(*) as n from {qualified}").collect()[0]["n"]

    summary = Table(title="built", title_justify="left")
    summary.add_column("table")
    summary.add_column("rows", justify="right")
    for name, rows in tables.items():
        summary.add_row(name, str(rows))
    console.print(summary)
    console.print(f"Prefect UI:  {settings.prefect_ui_url}")
    console.print(f"Spark:       {settings.spark_remote}")
    console.print(f"Lake:        {settings.lake_dir}")
    seconds = time.monotonic() - began
    console.print(f"[green]demo done[/] in {seconds:.1f}s")
    return DemoReport(ok=True, tables=tables, seconds=seconds)
