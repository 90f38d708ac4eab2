"""Benchmark CDC: snapshot rows/s, WAL-to-Bronze events/s, follow-mode commit-to-Bronze latency.

Runs its own Postgres, metastore and Sail in a throwaway state directory on
free ports. Prints figures; asserts nothing. BENCH_CDC_EVENTS sets the
stream size (default 500,000 changes).
"""

from __future__ import annotations

import os
import resource
import statistics
import threading
import time

from rich.console import Console
from rich.table import Table

from benchmarks.throwaway_stack import throwaway_stack
from infra.engines.spark import session
from ingestion.cdc.capture import run
from ingestion.source.seeder import seed
from ingestion.source.simulator import simulate

console = Console()


def main() -> None:
    events = int(os.environ.get("BENCH_CDC_EVENTS", "500000"))
    results = Table(title="CDC benchmarks", title_justify="left")
    results.add_column("figure")
    results.add_column("value", justify="right")
    with throwaway_stack("cdc", ["postgres", "sail"]) as settings:
        seed(settings, scale=0.1, seed=42, replace=True)
        snap = run(settings)
        results.add_row(
            "snapshot (SF 0.1)",
            f"{snap.total:,} rows in {snap.seconds:.1f} s ({snap.events_per_second:,.0f} rows/s)",
        )
        ledger = simulate(settings, pattern="bulk", rate=1e9, duration=3600, max_events=events)
        drained = run(settings)
        results.add_row(
            f"WAL to Bronze, --once over {ledger.events:,} changes",
            f"{drained.events_per_second:,.0f} events/s ({drained.seconds:.1f} s, "
            f"{drained.batches} batches)",
        )

        # follow mode: trickle in one thread, capture in this one; latency from the data
        follow_start = int(time.time()) + 1
        stop_at = time.monotonic() + 40
        worker = threading.Thread(
            target=simulate,
            kwargs=dict(settings=settings, pattern="trickle", rate=200, duration=30, seed=3),
        )
        worker.start()
        run(settings, follow=True, max_seconds=stop_at - time.monotonic(), poll_seconds=0.2)
        worker.join()
        spark = session(settings)
        rows = spark.sql(
            "select cast(_ingested_at as double) - cast(_commit_ts as double) as lag "
            "from bronze.sales__orders where _op <> 'r' "
            f"and _commit_ts >= timestamp_seconds({follow_start})"
        ).collect()
        lags = sorted(r["lag"] for r in rows if r["lag"] is not None)
        if lags:
            p50 = statistics.median(lags)
            p95 = lags[min(len(lags) - 1, int(0.95 * len(lags)))]
            results.add_row(
                "follow mode commit-to-Bronze latency (trickle 200/s)",
                f"p50 {p50:.2f} s, p95 {p95:.2f} s ({len(lags):,} orders)",
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        results.add_row("peak memory of this process", f"{peak:,.0f} MiB")
        console.print(results)


if __name__ == "__main__":
    main()
