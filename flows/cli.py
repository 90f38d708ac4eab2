"""The `lakepulse` command line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from infra.errors import ConfigError, ServiceError
from infra.services import manager
from infra.settings import Settings

app = typer.Typer(
    help="LakePulse: Postgres CDC and files to Delta, dbt Silver/Gold, quality gates, Prefect.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(width=min(Console().width, 100))
err = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., object])


def one_line_errors(func: F) -> F:
    """Known failures print one line naming the cause and the fix, then exit 1."""

    @wraps(func)
    def wrapper(*args: object, **kwargs: object) -> object:
        from pyspark.errors import PySparkException

        from infra.engines.spark import explain_error
        from infra.errors import ApiError, EngineUnavailable, SourceError

        try:
            return func(*args, **kwargs)
        except (ServiceError, ConfigError, EngineUnavailable, SourceError, ApiError) as exc:
            err.print(f"[bold red]error:[/] {exc}", soft_wrap=True, highlight=False)
            raise typer.Exit(1) from None
        except PySparkException as exc:
            err.print(f"[bold red]error:[/] {explain_error(exc)}", soft_wrap=True, highlight=False)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


OnlyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--only",
        help="Service to act on (repeatable): postgres, metastore, sail, prefect, deployments.",
    ),
]


@app.command()
@one_line_errors
def up(only: OnlyOption = None) -> None:
    """Start the embedded stack (idempotent) and wait until it is healthy."""
    settings = Settings.from_env()
    with console.status("starting services…"):
        result = manager.up(settings, only)
    for name in result.already_running:
        console.print(f"[yellow]•[/] {name} already running")
    for name in result.started:
        console.print(f"[green]✓[/] {name} started")
    console.print(f"stack ready in {result.seconds:.1f}s — state in {settings.home}")
    _print_status(settings)


@app.command()
@one_line_errors
def down(only: OnlyOption = None) -> None:
    """Stop the services this state directory started."""
    settings = Settings.from_env()
    if only:
        for name in only:
            manager.select([name])
    stopped = manager.down(settings, only)
    if stopped:
        console.print("stopped: " + ", ".join(stopped))
    else:
        console.print("nothing was running")


@app.command()
@one_line_errors
def status() -> None:
    """Show services, ports, PIDs, health and URLs."""
    settings = Settings.from_env()
    rows = _print_status(settings)
    if not all(row.healthy for row in rows):
        raise typer.Exit(3)


def _print_status(settings: Settings) -> list[manager.ServiceStatus]:
    rows = manager.status(settings)
    table = Table(title=f"LakePulse stack ({settings.home.name})", title_justify="left")
    table.add_column("service")
    table.add_column("port", justify="right")
    table.add_column("pid", justify="right")
    table.add_column("health")
    table.add_column("url", overflow="fold")
    for row in rows:
        health = (
            "[green]healthy[/]"
            if row.healthy
            else "[red]down[/]"
            if row.pid is None
            else "[yellow]starting[/]"
        )
        table.add_row(row.name, str(row.port or "-"), str(row.pid or "-"), health, row.url)
    console.print(table)
    return rows


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@one_line_errors
def dbt(
    ctx: typer.Context,
    target: Annotated[str, typer.Option(help="dbt target: local, spark or trino.")] = "local",
) -> None:
    """Run dbt in dbt_project/ with the profile's environment set, e.g. `lakepulse dbt build`."""
    from flows.dbt_runner import run_dbt

    settings = Settings.from_env()
    result = run_dbt(list(ctx.args), settings, target=target)
    if target != "trino" and ctx.args and ctx.args[0] in ("run", "build", "snapshot", "seed"):
        from infra.engines.spark import session
        from infra.lake_gc import prune_generations

        for pruned in prune_generations(session(settings), settings):
            console.print(f"removed old table generation {pruned.path} ({pruned.bytes:,} bytes)")
    raise typer.Exit(result.returncode)


@app.command()
@one_line_errors
def demo() -> None:
    """Seed (first time), capture changes, build Silver and Gold with dbt, print a summary."""
    from flows.demo import run_demo

    report = run_demo(Settings.from_env(), console)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
@one_line_errors
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

        def advance(table: str, rows: int) -> None:
            bar.update(task, advance=1, description=f"loaded {table} ({rows:,} rows)")

        report = run_seed(
            settings,
            scale=scale,
            seed=seed,
            dirty_rate=dirty_rate,
            replace=replace,
            progress=advance,
        )
    table = Table(title=f"seeded SF {scale} (seed {seed})", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in report.counts.items():
        table.add_row(name, f"{rows:,}")
    table.add_row("[bold]total", f"[bold]{report.total_rows:,}")
    console.print(table)
    planted = ", ".join(f"{k}={v}" for k, v in report.planted.items())
    console.print(f"planted (dirty rate {dirty_rate}): {planted}")
    console.print(
        f"generated in {report.generate_seconds:.1f}s, loaded in {report.load_seconds:.1f}s "
        f"({report.rows_per_second:,.0f} rows/s); content hash {report.content_hash[:16]}"
    )


@app.command()
@one_line_errors
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
    with console.status(f"simulating {pattern} at {rate:g} events/s…") as status_line:
        ledger = run_simulate(
            Settings.from_env(),
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
    table = Table(title="committed changes (ledger)", title_justify="left")
    for col in ("table", "insert", "update", "delete"):
        table.add_column(col, justify="left" if col == "table" else "right")
    for name, ops in ledger.by_table().items():
        table.add_row(name, *(f"{ops.get(op, 0):,}" for op in ("insert", "update", "delete")))
    console.print(table)
    for ddl in ledger.ddl:
        console.print(f"DDL: {ddl}")
    console.print(
        f"{ledger.events:,} changes in {ledger.transactions:,} transactions over "
        f"{ledger.seconds:.1f}s ({ledger.events_per_second:,.0f} events/s)"
    )


ingest_app = typer.Typer(help="Land data in Bronze.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")


@ingest_app.command("cdc")
@one_line_errors
def ingest_cdc(
    once: Annotated[
        bool, typer.Option("--once", help="Drain to the current WAL position.")
    ] = False,
    follow: Annotated[bool, typer.Option("--follow", help="Keep following the WAL.")] = False,
    slot: Annotated[str, typer.Option(help="Replication slot name.")] = "lakepulse_cdc",
    batch: Annotated[int, typer.Option(help="Row changes per batch (whole transactions).")] = 50000,
    seconds: Annotated[
        float | None, typer.Option(help="With --follow: stop after this many seconds.")
    ] = None,
) -> None:
    """Capture Postgres changes (logical decoding) into Bronze Delta tables, exactly once."""
    from ingestion.cdc.capture import run

    if once == follow:
        raise ConfigError("choose one of --once (drain and exit) or --follow (keep running)")
    with console.status("capturing…") as line:
        summary = run(
            Settings.from_env(),
            slot=slot,
            follow=follow,
            batch_changes=batch,
            max_seconds=seconds,
            progress=lambda s: line.update(
                f"capturing: {s.total:,} events, {s.batches} batches, "
                f"{s.snapshot_tables} tables snapshotted"
            ),
        )
    table = Table(title="events landed in Bronze", title_justify="left")
    table.add_column("source table")
    for op in ("r", "c", "u", "d", "t"):
        table.add_column(op, justify="right")
    for name in sorted({t for t, _ in summary.events}):
        table.add_row(name, *(f"{summary.events.get((name, op), 0):,}" for op in "rcudt"))
    console.print(table)
    for drift in summary.schema_drift:
        console.print(f"[yellow]schema drift:[/] {drift}")
    for note in summary.notes:
        console.print(f"[yellow]recovered:[/] {note}")
    console.print(
        f"{summary.total:,} events in {summary.batches} batches ({summary.transactions:,} "
        f"transactions) in {summary.seconds:.1f}s, {summary.events_per_second:,.0f} events/s; "
        f"lag {summary.lag_bytes:,} bytes, {summary.lag_seconds:.1f}s"
    )


@ingest_app.command("files")
@one_line_errors
def ingest_files(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: the landing folder).")
    ] = None,
    dataset: Annotated[
        str | None, typer.Option(help="Contract to apply (default: by folder or file name).")
    ] = None,
) -> None:
    """Validate partner files against their contracts; land valid rows, quarantine the rest."""
    from flows.ingest_report import file_progress, print_summary
    from ingestion.files.ingest import ingest_files as run_ingest

    with file_progress(console) as progress:
        reports = run_ingest(Settings.from_env(), paths or [], dataset, progress=progress)
    print_summary(reports, console)
    if any(not r.balanced for r in reports):
        raise ConfigError("accounting rule broken (landed + quarantined != read): see reports")


@ingest_app.command("api")
@one_line_errors
def ingest_api(
    names: Annotated[
        list[str] | None, typer.Argument(help="API sources (default: every enabled one).")
    ] = None,
) -> None:
    """Pull JSON API sources incrementally (from their watermark in Bronze)."""
    from flows.ingest_report import print_summary
    from ingestion.api.config import load_apis
    from ingestion.api.ingest import pull

    settings = Settings.from_env()
    sources = load_apis()
    unknown = sorted(set(names or []) - set(sources))
    if unknown:
        raise ConfigError(
            f"no API source named {', '.join(unknown)}: choose from "
            f"{', '.join(sorted(sources)) or 'none'} (ingestion/apis/*.yml)"
        )
    reports = []
    for name in names or sorted(n for n, s in sources.items() if s.enabled):
        with console.status(f"pulling {name}…") as line:
            reports.append(
                pull(
                    settings,
                    sources[name],
                    progress=lambda n, p, r: line.update(
                        f"pulling {n}: {p} page(s), {r:,} records"
                    ),
                )
            )
        for note in reports[-1].notes:
            console.print(f"{name}: {note}")
    print_summary(reports, console)


@app.command()
@one_line_errors
def report(
    key: Annotated[str, typer.Argument(help="A batch id, a file name, or a report path.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report.")] = False,
) -> None:
    """Show the validation report of an ingested file or API pull."""
    from ingestion.files.report import find_reports

    home = Settings.from_env().home / "files"
    found = find_reports([home / "archive", home / "rejected", home / "api"], key)
    if not found:
        raise ConfigError(
            f"no report for {key!r}: pass a batch id or file name shown by `lakepulse ingest files`"
        )
    path = found[0]
    if as_json:
        print(path.read_text(encoding="utf-8"))
        return
    from rich.markdown import Markdown

    console.print(
        Markdown(
            path.with_name(path.name.removesuffix(".json") + ".md").read_text(encoding="utf-8")
        )
    )
    console.print(f"[dim]{path}[/]")


@app.command("check-trino")
@one_line_errors
def check_trino() -> None:
    """Compile the dbt project for Trino offline and parse every file as Trino SQL."""
    from flows.sql_checks import check_trino as run_check

    result = run_check(Settings.from_env())
    if not result.compile_ok:
        console.print(result.compile_output[-4000:])
        err.print("[bold red]error:[/] dbt compile --target trino failed (output above)")
        raise typer.Exit(1)
    for path, error in result.failures.items():
        err.print(f"[red]✗[/] {path.name}: {error}")
    console.print(
        f"{len(result.compiled)} compiled files, {len(result.failures)} not valid Trino SQL"
    )
    if not result.ok:
        raise typer.Exit(1)


@app.command()
@one_line_errors
def lint(
    dialect: Annotated[
        list[str] | None, typer.Option(help="sparksql (needs `lakepulse up`) and/or trino.")
    ] = None,
) -> None:
    """Lint the dbt SQL with sqlfluff: Spark SQL via the dbt templater, Trino via jinja."""
    from flows.sql_checks import sqlfluff_lint

    codes = [sqlfluff_lint(Settings.from_env(), d) for d in (dialect or ["sparksql", "trino"])]
    raise typer.Exit(max(codes))


@app.command()
@one_line_errors
def run() -> None:
    """Run the daily pipeline now (CDC, gates, dbt Silver and Gold) and report it in Prefect."""
    from flows.deployments import stack_prefect
    from flows.pipeline import daily_pipeline
    from infra.errors import DbtRunFailed, QualityGateFailed

    settings = Settings.from_env()
    try:
        with stack_prefect(settings):
            rows = daily_pipeline()
    except (QualityGateFailed, DbtRunFailed) as exc:
        raise ConfigError(str(exc)) from None
    console.print(
        "[green]daily pipeline completed[/]: "
        + ", ".join(f"{layer} {n:,} rows" for layer, n in rows.items())
    )
    console.print(f"runs and reports: {settings.prefect_ui_url}")


@app.command()
@one_line_errors
def deploy(
    home_marker: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """Register the flows' deployments and serve their schedules (runs until stopped)."""
    from flows.deployments import serve_deployments

    serve_deployments(Settings.from_env())


@app.command()
@one_line_errors
def maintain(
    table: Annotated[
        list[str] | None, typer.Option(help="Only this table (layer.table; repeatable).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option(help="Count what vacuum would delete; change nothing.")
    ] = False,
) -> None:
    """Compact, Z-order, checkpoint and vacuum the Delta tables (the table_maintenance flow)."""
    from flows.deployments import stack_prefect
    from flows.maintenance import table_maintenance
    from infra.errors import MaintenanceFailed

    settings = Settings.from_env()
    failure = None
    try:
        with stack_prefect(settings):
            rows = table_maintenance(tables=table, dry_run=dry_run)
    except MaintenanceFailed as exc:
        rows, failure = exc.results, str(exc)
    result = Table(
        title="table maintenance" + (" (dry run)" if dry_run else ""), title_justify="left"
    )
    for name in ("table", "files before", "files after", "vacuumed", "version"):
        result.add_column(name, justify="left" if name == "table" else "right")
    for row in rows:
        result.add_row(
            row["table"],
            f"{row['disk_files_before']:,}",
            f"{row['disk_files_after']:,}",
            f"{row['vacuumed']:,}",
            f"{row['version_before']} → {row['version_after']}",
        )
    console.print(result)
    if failure:
        raise ConfigError(
            failure + ": " + "; ".join(f"{r['table']}: {r['error']}" for r in rows if r["error"])
        )


@app.command()
@one_line_errors
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
    from flows.deployments import stack_prefect
    from infra.errors import DbtRunFailed, QualityGateFailed

    check_since(since)  # before the flow starts: a typo is one line, not a failed run
    settings = Settings.from_env()
    try:
        with stack_prefect(settings):
            nodes = run_backfill(
                models=select, since=since, full_refresh=full_refresh, dry_run=dry_run
            )
    except (QualityGateFailed, DbtRunFailed) as exc:
        raise ConfigError(str(exc)) from None
    verb = "would rebuild" if dry_run else "rebuilt"
    console.print(f"{verb} {len(nodes)} node(s):")
    for node in nodes:
        console.print(f"  {node}")


quality_app = typer.Typer(help="Great Expectations quality gates.", no_args_is_help=True)
app.add_typer(quality_app, name="quality")


@quality_app.command("check")
@one_line_errors
def quality_check(
    layer: Annotated[str, typer.Option(help="bronze, silver or gold.")],
    table: Annotated[
        str | None, typer.Option(help="Only this check (a table or a query check's name).")
    ] = None,
) -> None:
    """Validate a layer; exit 1 when an error-severity expectation fails."""
    from expectations.gate import run_gate
    from flows.quality_report import print_decision

    decision = run_gate(Settings.from_env(), layer, table)
    print_decision(decision, console)
    if not decision.passed:
        raise typer.Exit(1)


@quality_app.command("docs")
@one_line_errors
def quality_docs(
    serve: Annotated[bool, typer.Option(help="Serve the site on 127.0.0.1.")] = False,
    port: Annotated[int, typer.Option(help="Port for --serve.")] = 8765,
) -> None:
    """Print the path of the Data Docs site (or serve it)."""
    from expectations.gate import docs_index

    index = docs_index(Settings.from_env())
    if not index.exists():
        raise ConfigError(f"no Data Docs yet at {index}: run `lakepulse quality check` first")
    if not serve:
        console.print(str(index))
        return
    import functools
    import http.server

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(index.parent))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise ConfigError(
            f"cannot serve on 127.0.0.1:{port} ({exc.strerror}): use --port"
        ) from None
    console.print(f"Data Docs at http://127.0.0.1:{port}/index.html (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()


def main() -> None:  # pragma: no cover - console script entry
    app(prog_name="lakepulse")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
