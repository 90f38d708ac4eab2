"""Benchmark the source system: SF 1 seed (load time, rows/s) and simulator events/s.

Runs against its own Postgres (a throwaway state directory on free ports) so it
never touches the developer's stack. Prints figures; asserts nothing.
"""

from __future__ import annotations

import os
import resource
import time

from rich.console import Console
from rich.table import Table

from benchmarks.throwaway_stack import throwaway_stack
from ingestion.source.seeder import seed
from ingestion.source.simulator import simulate

console = Console()


def main() -> None:
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    with throwaway_stack("source", ["postgres"]) as settings:
        began = time.monotonic()
        report = seed(settings, scale=scale, seed=42, dirty_rate=0.02, replace=True)
        wall = time.monotonic() - began
        results = Table(title=f"source benchmarks (SF {scale})", title_justify="left")
        results.add_column("figure")
        results.add_column("value", justify="right")
        results.add_row("rows loaded", f"{report.total_rows:,}")
        results.add_row("generate time", f"{report.generate_seconds:.1f} s")
        results.add_row(
            "COPY load time (one transaction, FKs, publication)", f"{report.load_seconds:.1f} s"
        )
        results.add_row("seed wall time (incl. analyze + content hash)", f"{wall:.1f} s")
        results.add_row("seed rows/s (generate + load)", f"{report.rows_per_second:,.0f}")
        for pattern, rate, seconds in (("bulk", 1e9, 15.0), ("trickle", 1e9, 10.0)):
            ledger = simulate(settings, pattern=pattern, rate=rate, duration=seconds, seed=3)
            results.add_row(
                f"simulator sustained ({pattern}, unthrottled, {seconds:.0f} s)",
                f"{ledger.events_per_second:,.0f} events/s "
                f"({ledger.transactions / ledger.seconds:,.0f} tx/s)",
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        results.add_row("peak memory of this process", f"{peak:,.0f} MiB")
        console.print(results)


if __name__ == "__main__":
    main()
