"""Benchmark dbt Silver + Gold on Sail (full vs incremental after a 1% change) and the gates.

Runs its own Postgres, metastore and Sail in a throwaway state directory on
free ports: seeds SF BENCH_DBT_SCALE (default 1), captures it into Bronze,
times a full `dbt build`, then changes about 1% of the source rows with the
simulator, captures that and times the incremental `dbt build`. Also times
the Great Expectations gate of each layer on the full build. Prints
figures; asserts nothing.
"""

from __future__ import annotations

import os
import resource
import time

from rich.console import Console
from rich.table import Table

from benchmarks.throwaway_stack import throwaway_stack
from expectations.gate import run_gate
from flows.dbt_runner import run_dbt
from ingestion.cdc.capture import run as capture
from ingestion.source.seeder import seed
from ingestion.source.simulator import simulate

console = Console()


def timed_build(settings, *args: str) -> float:
    began = time.monotonic()
    result = run_dbt(["build", *args], settings, capture=True)
    seconds = time.monotonic() - began
    if result.returncode != 0:
        console.print(result.stdout[-4000:])
        raise SystemExit("dbt build failed during the benchmark (output above)")
    return seconds


def main() -> None:
    scale = float(os.environ.get("BENCH_DBT_SCALE", "1"))
    results = Table(title=f"dbt benchmarks (SF {scale})", title_justify="left")
    results.add_column("figure")
    results.add_column("value", justify="right")
    with throwaway_stack("dbt", ["postgres", "sail"]) as settings:
        report = seed(settings, scale=scale, seed=42, dirty_rate=0.02, replace=True)
        snap = capture(settings)
        results.add_row("source rows (snapshot into Bronze)", f"{snap.total:,}")
        full = timed_build(settings)
        results.add_row("full build (Silver + snapshots + Gold + tests)", f"{full:.1f} s")
        for layer in ("bronze", "silver", "gold"):
            decision = run_gate(settings, layer)
            results.add_row(
                f"{layer} quality gate",
                f"{decision.seconds:.1f} s ({len(decision.outcomes)} expectations, "
                f"{'passed' if decision.passed else 'FAILED'})",
            )

        changes = max(1, report.total_rows // 100)
        ledger = simulate(settings, pattern="bulk", rate=1e9, duration=3600, max_events=changes)
        delta = capture(settings)
        results.add_row("1% change", f"{ledger.events:,} row changes, {delta.total:,} events")
        incremental = timed_build(settings)
        results.add_row("incremental build after the 1% change", f"{incremental:.1f} s")
        results.add_row("incremental / full", f"{incremental / full:.1%} (target < 15%)")
        staging_only = timed_build(
            settings, "--select", "staging.wwi", "--indirect-selection", "cautious"
        )
        results.add_row("Silver staging only, nothing new", f"{staging_only:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.add_row("peak memory (this process)", f"{peak:,.0f} MiB")
    console.print(results)


if __name__ == "__main__":
    main()
