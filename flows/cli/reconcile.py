"""`lakepulse reconcile`: Gold built by two engines, compared table by table."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli.output import console, print_line, table
from infra.errors import RunFailed
from infra.settings import Settings

app = typer.Typer()


@app.command()
def reconcile(
    engines: Annotated[
        str,
        typer.Option(
            help="REFERENCE,OTHER: the engine that built `gold`, and the one that builds "
            "`gold_OTHER` from the same Silver (sail, spark, trino)."
        ),
    ] = "sail,trino",
    build: Annotated[
        bool, typer.Option(help="Build Gold with the other engine first (else compare only).")
    ] = True,
) -> None:
    """Prove two engines build the same Gold: row counts, measure sums, key checksums."""
    from flows import reconcile as engine_reconcile
    from infra.engines.spark import session

    reference, other = engine_reconcile.parse_engines(engines)
    settings = Settings.from_env()
    spark = session(settings)
    schema = engine_reconcile.engine_schema(other)
    if build:
        print_line(f"building Gold with {other} into {schema} (dbt build --select marts)")
        engine_reconcile.build_gold(settings, other, spark)
    names = engine_reconcile.readable_by_spark(spark, schema, other)
    result = engine_reconcile.reconcile_schemas(
        spark, engine_reconcile.REFERENCE_SCHEMA, schema, names
    )
    shown = table(
        f"Gold: {reference} (gold) vs {other} ({schema})",
        ("table", f"rows {reference}", f"rows {other}", "columns", "result"),
        (f"rows {reference}", f"rows {other}", "columns"),
    )
    for row in result.tables:
        shown.add_row(
            row.table,
            "-" if row.left_rows is None else f"{row.left_rows:,}",
            "-" if row.right_rows is None else f"{row.right_rows:,}",
            str(row.columns),
            "[green]same[/]" if not row.differences else f"[red]{len(row.differences)} differ[/]",
        )
    console.print(shown)
    for difference in result.differences:
        print_line(f"✗ {difference.line()}")
    if not result.ok:
        raise RunFailed(
            f"Gold built by {other} differs from Gold built by {reference}: "
            f"{len(result.differences)} differences in "
            f"{sum(1 for t in result.tables if t.differences)} of {len(result.tables)} tables"
            if result.tables
            else f"schema {engine_reconcile.REFERENCE_SCHEMA} holds no table to compare",
            hint="see the differences listed above",
        )
    print_line(
        f"Gold reconciles: {len(result.tables)} tables, same row counts, sums and checksums "
        f"({reference} vs {other})"
    )
