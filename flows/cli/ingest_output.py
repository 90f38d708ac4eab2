"""Console output of file and API ingestion: a progress bar per file and a summary table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from flows.cli.output import console, table
from ingestion.files.report import IngestReport

STATUS_COLOUR = {"landed": "green", "rejected": "red", "duplicate": "yellow"}


@contextmanager
def file_progress() -> Iterator[Callable[[str, int, int], None]]:
    """A transient progress bar per file, fed with (file name, lines done, lines total)."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f} lines"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done, total=total)

        yield update


def _top_note(report: IngestReport) -> str:
    if report.rejected_reason:
        return report.rejected_reason
    if report.reasons:
        return max(report.reasons, key=report.reasons.__getitem__)
    return report.notes[0] if report.notes else ""


def print_summary(reports: list[IngestReport], nothing: str = "no files to ingest") -> None:
    """One row per file or pull, then the totals line (landed + quarantined = read);
    `nothing` when there are no reports."""
    if not reports:
        console.print(nothing)
        return
    counts = ("read", "landed", "quarantined")
    shown = table(
        "files ingested", ("file", "dataset", "status", *counts, "top reason / note"), counts
    )
    for r in reports:
        shown.add_row(
            r.source,
            r.dataset,
            f"[{STATUS_COLOUR[r.status]}]{r.status}[/]",
            f"{r.rows_read:,}",
            f"{r.landed:,}",
            f"{r.quarantined:,}",
            _top_note(r),
        )
    console.print(shown)
    totals = {
        k: sum(getattr(r, k) for r in reports) for k in ("rows_read", "landed", "quarantined")
    }
    by_status = {s: sum(r.status == s for r in reports) for s in STATUS_COLOUR}
    console.print(
        f"{len(reports)} file(s): {by_status['landed']} landed, {by_status['rejected']} rejected,"
        f" {by_status['duplicate']} already ingested; {totals['rows_read']:,} rows read = "
        f"{totals['landed']:,} landed + {totals['quarantined']:,} quarantined",
        soft_wrap=True,
    )
