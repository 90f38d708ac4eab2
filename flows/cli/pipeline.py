"""`lakepulse run | demo | deploy | backfill`: the Prefect flows, run now or served."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli.output import console
from flows.prefect_api import stack_prefect
from infra.settings import Settings

app = typer.Typer()


@app.command()
def run() -> None:
    """Run the daily pipeline now (CDC, gates, dbt Silver and Gold) and report it in Prefect."""
    from flows.pipeline import daily_pipeline

    settings = Settings.from_env()
    with stack_prefect(settings, wait=0):
        rows = daily_pipeline()
    console.print(
        "[green]daily pipeline completed[/]: "
        + ", ".join(f"{layer} {n:,} rows" for layer, n in rows.items())
    )
    console.print(f"runs and reports: {settings.prefect_ui_url}")


@app.command()
def demo() -> None:
    """Seed (first time), capture changes, build Silver and Gold with dbt, print a summary."""
    from flows.demo import run_demo

    run_demo(Settings.from_env(), console)


@app.command()
def deploy(
    home_marker: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """Register the flows' deployments and serve their schedules (runs until stopped)."""
    from flows.deployments import serve_deployments

    serve_deployments(Settings.from_env())


@app.command()
def backfill(
    select: Annotated[list[str], typer.Option(help="Model to rebuild with its downstream.")],
    since: Annotated[
        str | None, typer.Option(help="Replay source changes committed since this date.")
    ] = None,
    full_refresh: Annotated[bool, typer.Option(help="Rebuild from all of Bronze.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Only list what would be rebuilt.")] = False,
) -> None:
    """Rebuild chosen models and everything downstream (the backfill flow)."""
    from flows.backfill import backfill as run_backfill
    from flows.backfill import check_since

    check_since(since)  # before the flow starts: a typo is one line, not a failed run
    settings = Settings.from_env()
    with stack_prefect(settings, wait=0):
        nodes = run_backfill(models=select, since=since, full_refresh=full_refresh, dry_run=dry_run)
    console.print(f"{'would rebuild' if dry_run else 'rebuilt'} {len(nodes)} node(s):")
    for node in nodes:
        console.print(f"  {node}")
