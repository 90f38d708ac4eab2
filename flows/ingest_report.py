"""Console output for file and API ingestion: a progress bar per file and a summary table."""

from __future__ import annotations

from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingestion.files.report import IngestReport


@contextmanager
def file_progress(console: Console):
    """A rich progress bar fed with (file name, lines done, lines total)."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f} lines"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def update(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done, total=total)

        yield update


def summary_table(reports: list[IngestReport]) -> Table:
    table = Table(title="files ingested", title_justify="left")
    for name, justify in (
        ("file", "left"),
        ("dataset", "left"),
        ("status", "left"),
        ("read", "right"),
        ("landed", "right"),
        ("quarantined", "right"),
        ("top reason / note", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in reports:
        colour = {"landed": "green", "rejected": "red", "duplicate": "yellow"}[r.status]
        top = r.rejected_reason or (
            max(r.reasons, key=r.reasons.__getitem__)
            if r.reasons
            else (r.notes[0] if r.notes else "")
        )
        table.add_row(
            r.source,
            r.dataset,
            f"[{colour}]{r.status}[/]",
            f"{r.rows_read:,}",
            f"{r.landed:,}",
            f"{r.quarantined:,}",
            top[:60],
        )
    return table


def print_summary(reports: list[IngestReport], console: Console) -> None:
    if not reports:
        console.print("no files to ingest")
        return
    console.print(summary_table(reports))
    totals = {
        k: sum(getattr(r, k) for r in reports) for k in ("rows_read", "landed", "quarantined")
    }
    by_status = {
        s: sum(r.status == s for r in reports) for s in ("landed", "rejected", "duplicate")
    }
    console.print(
        f"{len(reports)} file(s): {by_status['landed']} landed, {by_status['rejected']} rejected,"
        f" {by_status['duplicate']} already ingested; {totals['rows_read']:,} rows read = "
        f"{totals['landed']:,} landed + {totals['quarantined']:,} quarantined",
        soft_wrap=True,
    )
