"""`lakepulse maintain`: the table_maintenance flow now, with files before/after per table."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from flows.cli.output import console, table
from flows.prefect_api import stack_prefect
from infra.errors import MaintenanceFailed
from infra.settings import Settings

app = typer.Typer()
COUNTS = ("files before", "files after", "vacuumed", "version")


@app.command()
def maintain(
    table_names: Annotated[
        list[str] | None,
        typer.Option("--table", help="Only this table (layer.table; repeatable)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option(help="Count what vacuum would delete; change nothing.")
    ] = False,
) -> None:
    """Compact, Z-order, checkpoint and vacuum the Delta tables (the table_maintenance flow)."""
    from flows.maintenance import table_maintenance

    settings = Settings.from_env()
    try:
        with stack_prefect(settings, wait=0):
            rows = table_maintenance(tables=table_names, dry_run=dry_run)
    except MaintenanceFailed as exc:
        print_results(exc.results, dry_run)  # every table's outcome, then the one-line error
        raise
    print_results(rows, dry_run)


def print_results(rows: list[dict[str, Any]], dry_run: bool) -> None:
    """Files before/after, vacuumed files and versions per table."""
    shown = table(
        "table maintenance" + (" (dry run)" if dry_run else ""), ("table", *COUNTS), COUNTS
    )
    for row in rows:
        shown.add_row(
            row["table"],
            f"{row['disk_files_before']:,}",
            f"{row['disk_files_after']:,}",
            f"{row['vacuumed']:,}",
            f"{row['version_before']} → {row['version_after']}",
        )
    console.print(shown)
    for row in rows:
        if row.get("error"):
            console.print(f"[red]✗[/] {row['table']}: {row['error']}", soft_wrap=True)
