"""`lakepulse seed | simulate`: the Wide World Importers source in Postgres."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli.output import console, table
from infra.settings import Settings

app = typer.Typer()


@app.command()
def seed(
    scale: Annotated[float, typer.Option(help="Scale factor: 1 is about 1.1 million rows.")] = 0.1,
    seed: Annotated[int, typer.Option(help="Random seed: same seed and scale, same data.")] = 42,
    dirty_rate: Annotated[
        float, typer.Option(help="Share of customers/rows given realistic mess (0 to 0.5).")
    ] = 0.0,
    replace: Annotated[bool, typer.Option(help="Drop and reload an existing WWI schema.")] = False,
) -> None:
    """Load deterministic Wide World Importers data into the source Postgres."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ingestion.source.generator import TABLE_ORDER
    from ingestion.source.seeder import preflight
    from ingestion.source.seeder import seed as run_seed

    settings = Settings.from_env()
    preflight(settings, scale=scale, dirty_rate=dirty_rate, replace=replace)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        task = bar.add_task(f"seeding SF {scale}", total=len(TABLE_ORDER))

        def advance(name: str, rows: int) -> None:
            bar.update(task, advance=1, description=f"loaded {name} ({rows:,} rows)")

        report = run_seed(
            settings,
            scale=scale,
            seed=seed,
            dirty_rate=dirty_rate,
            replace=replace,
            progress=advance,
        )
    counts = table(f"seeded SF {scale} (seed {seed})", ("table", "rows"), right=("rows",))
    for name, rows in report.counts.items():
        counts.add_row(name, f"{rows:,}")
    counts.add_row("[bold]total", f"[bold]{report.total_rows:,}")
    console.print(counts)
    planted = ", ".join(f"{k}={v}" for k, v in report.planted.items())
    console.print(f"planted (dirty rate {dirty_rate}): {planted}")
    console.print(
        f"generated in {report.generate_seconds:.1f}s, loaded in {report.load_seconds:.1f}s "
        f"({report.rows_per_second:,.0f} rows/s); content hash {report.content_hash[:16]}"
    )


@app.command()
def simulate(
    pattern: Annotated[str, typer.Option(help="trickle, bulk or burst.")] = "trickle",
    rate: Annotated[float, typer.Option(help="Target row changes per second.")] = 50.0,
    duration: Annotated[float, typer.Option(help="Seconds to run.")] = 10.0,
    events: Annotated[int | None, typer.Option(help="Stop after this many row changes.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the workload.")] = 7,
    schema_change: Annotated[
        bool, typer.Option(help="Add a nullable column to customers and start filling it.")
    ] = False,
) -> None:
    """Run realistic OLTP changes against the source and print the ledger."""
    from ingestion.source.simulator import simulate as run_simulate
    from ingestion.source.simulator import validate

    validate(pattern, rate, duration, events)
    settings = Settings.from_env()
    with console.status(f"simulating {pattern} at {rate:g} events/s…") as status_line:
        ledger = run_simulate(
            settings,
            pattern=pattern,
            rate=rate,
            duration=duration,
            max_events=events,
            seed=seed,
            schema_change=schema_change,
            on_commit=lambda lg: status_line.update(
                f"simulating {pattern}: {lg.events:,} changes in {lg.transactions:,} transactions"
            ),
        )
    ops = ("insert", "update", "delete")
    committed = table("committed changes (ledger)", ("table", *ops), right=ops)
    for name, counts in ledger.by_table().items():
        committed.add_row(name, *(f"{counts.get(op, 0):,}" for op in ops))
    console.print(committed)
    for ddl in ledger.ddl:
        console.print(f"DDL: {ddl}")
    console.print(
        f"{ledger.events:,} changes in {ledger.transactions:,} transactions over "
        f"{ledger.seconds:.1f}s ({ledger.events_per_second:,.0f} events/s)"
    )
