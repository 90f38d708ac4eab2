"""`lakepulse ingest cdc | files | api` and `lakepulse report`: sources into Bronze."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli.ingest_output import file_progress, print_summary
from flows.cli.output import console, table
from infra.errors import ConfigError, RunFailed
from infra.settings import Settings

app = typer.Typer(help="Land data in Bronze.", no_args_is_help=True)
reports_app = typer.Typer()
"""Top-level commands about what ingestion left behind (`lakepulse report`)."""

CDC_OPS = ("r", "c", "u", "d", "t")


@app.command("cdc")
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
        raise ConfigError(
            "choose one of --once or --follow",
            hint="--once drains to the current WAL position and exits; --follow keeps running",
        )
    settings = Settings.from_env()
    with console.status("capturing…") as line:
        summary = run(
            settings,
            slot=slot,
            follow=follow,
            batch_changes=batch,
            max_seconds=seconds,
            progress=lambda s: line.update(
                f"capturing: {s.total:,} events, {s.batches} batches, "
                f"{s.snapshot_tables} tables snapshotted"
            ),
        )
    landed = table("events landed in Bronze", ("source table", *CDC_OPS), right=CDC_OPS)
    for name in sorted({t for t, _ in summary.events}):
        landed.add_row(name, *(f"{summary.events.get((name, op), 0):,}" for op in CDC_OPS))
    console.print(landed)
    for drift in summary.schema_drift:
        console.print(f"[yellow]schema drift:[/] {drift}")
    for note in summary.notes:
        console.print(f"[yellow]recovered:[/] {note}")
    console.print(
        f"{summary.total:,} events in {summary.batches} batches ({summary.transactions:,} "
        f"transactions) in {summary.seconds:.1f}s, {summary.events_per_second:,.0f} events/s; "
        f"lag {summary.lag_bytes:,} bytes, {summary.lag_seconds:.1f}s"
    )


@app.command("files")
def ingest_files(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: the landing folder).")
    ] = None,
    dataset: Annotated[
        str | None, typer.Option(help="Contract to apply (default: by folder or file name).")
    ] = None,
) -> None:
    """Validate partner files against their contracts; land valid rows, quarantine the rest."""
    from ingestion.files.ingest import ingest_files as run_ingest

    settings = Settings.from_env()
    with file_progress() as progress:
        reports = run_ingest(settings, paths or [], dataset, progress=progress)
    print_summary(reports)
    unbalanced = [r.source for r in reports if not r.balanced]
    if unbalanced:
        raise RunFailed(
            f"accounting rule broken for {', '.join(unbalanced)}: landed + quarantined != read",
            hint="see the files' reports (`lakepulse report FILE`)",
        )


@app.command("api")
def ingest_api(
    names: Annotated[
        list[str] | None, typer.Argument(help="API sources (default: every enabled one).")
    ] = None,
) -> None:
    """Pull JSON API sources incrementally (from their watermark in Bronze)."""
    from ingestion.api.config import load_apis
    from ingestion.api.ingest import pull

    settings = Settings.from_env()
    sources = load_apis()
    unknown = sorted(set(names or []) - set(sources))
    if unknown:
        raise ConfigError(
            f"no API source named {', '.join(unknown)}",
            hint=f"choose from {', '.join(sorted(sources)) or 'none'} (ingestion/apis/*.yml)",
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
    print_summary(reports, nothing="no API source enabled (ingestion/apis/*.yml)")


@reports_app.command()
def report(
    key: Annotated[str, typer.Argument(help="A batch id, a file name, or a report path.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report.")] = False,
) -> None:
    """Show the validation report of an ingested file or API pull."""
    from rich.markdown import Markdown

    from ingestion.files.report import find_reports

    home = Settings.from_env().home / "files"
    found = find_reports([home / "archive", home / "rejected", home / "api"], key)
    if not found:
        raise ConfigError(
            f"no report for {key!r}",
            hint="pass a batch id or file name shown by `lakepulse ingest files`",
        )
    path = found[0]
    if as_json:
        print(path.read_text(encoding="utf-8"))
        return
    markdown = path.with_name(path.name.removesuffix(".json") + ".md")
    console.print(Markdown(markdown.read_text(encoding="utf-8")))
    console.print(f"[dim]{path}[/]")
