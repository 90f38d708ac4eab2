"""Benchmark the daily pipeline flow at SF 1: a full run, then an incremental run after a
1% source change. Prints the wall time of each run and of its stages; asserts nothing.

Runs its own Postgres, metastore, Sail and Prefect in a throwaway state
directory. BENCH_PIPELINE_SCALE changes the scale factor.
"""

from __future__ import annotations

import os
import resource
import time

from rich.console import Console
from rich.table import Table

from benchmarks.throwaway_stack import throwaway_stack

console = Console()


def main() -> None:
    scale = float(os.environ.get("BENCH_PIPELINE_SCALE", "1"))
    with throwaway_stack("pipeline", ["postgres", "sail", "prefect"]) as settings:
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
        from prefect.client.schemas.sorting import ArtifactSort

        from flows.pipeline import REPORT_KEY, daily_pipeline
        from flows.prefect_api import stack_prefect
        from ingestion.source.seeder import seed
        from ingestion.source.simulator import simulate

        report = seed(settings, scale=scale, seed=42, dirty_rate=0.02, replace=True)
        runs = []
        with stack_prefect(settings):
            for label in ("full (snapshot + full build)", "incremental after a 1% change"):
                if runs:
                    changes = max(1, report.total_rows // 100)
                    simulate(settings, pattern="bulk", rate=1e9, duration=3600, max_events=changes)
                began = time.monotonic()
                daily_pipeline()
                seconds = time.monotonic() - began
                with get_client(sync_client=True) as client:
                    markdown = client.read_artifacts(
                        artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[REPORT_KEY])),
                        sort=ArtifactSort.CREATED_DESC,
                        limit=1,
                    )[0].data
                runs.append((label, seconds, _stages(markdown)))
    table = Table(
        title=f"daily pipeline at SF {scale} ({report.total_rows:,} source rows)",
        title_justify="left",
    )
    table.add_column("stage")
    for label, _, _ in runs:
        table.add_column(label, justify="right")
    for stage in runs[0][2]:
        table.add_row(stage, *(f"{r[2].get(stage, 0.0):,.1f} s" for r in runs))
    table.add_row("[bold]wall time[/]", *(f"[bold]{r[1]:,.1f} s[/]" for r in runs))
    console.print(table)
    console.print(
        f"incremental / full: {runs[1][1] / runs[0][1]:.1%}; peak memory of this "
        f"process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB"
    )


def _stages(markdown: str) -> dict[str, float]:
    """The stage timings table of a run report."""
    stages, inside = {}, False
    for line in markdown.splitlines():
        if line.startswith("## "):
            inside = line == "## Stage timings"
        elif inside and line.startswith("| ") and not line.startswith("| stage"):
            name, seconds = (cell.strip() for cell in line.strip("|").split("|"))
            stages[name] = float(seconds.replace(",", ""))
    return stages


if __name__ == "__main__":
    main()
