"""Benchmark the JVM Spark engine: cold start, peak memory, dbt build times.

Runs its own Postgres and metastore in a throwaway state directory on free ports, then
times `up` of the JVM Spark Connect server (cold start, including the layer databases;
the Delta jars come from the user cache, downloaded first if missing), seeds SF
BENCH_SPARK_SCALE (default 1), captures it into Bronze through JVM Spark, and times a full
`dbt build` (Silver, snapshots, Gold and their tests) and a Gold-only rebuild
(`dbt build --select marts`). Prints the server's peak resident memory (VmHWM). Prints
figures; asserts nothing. (No shared `bench_engines.py` existed when this was written.)
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.throwaway_stack import _free_port, throwaway_stack
from flows.dbt_runner import run_dbt
from infra.services import manager, supervisor
from ingestion.cdc.capture import run as capture
from ingestion.source.seeder import seed

console = Console()


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed_build(settings, *args: str) -> float:
    began = time.monotonic()
    result = run_dbt(["build", *args], settings, capture=True)
    seconds = time.monotonic() - began
    if result.returncode != 0:
        console.print(result.stdout[-4000:])
        raise SystemExit("dbt build failed during the benchmark (output above)")
    return seconds


def main() -> None:
    scale = float(os.environ.get("BENCH_SPARK_SCALE", "1"))
    os.environ["LAKEPULSE_ENGINE"] = "spark"
    os.environ["LAKEPULSE_SPARK_PORT"] = str(_free_port())
    results = Table(title=f"JVM Spark engine (SF {scale})", title_justify="left")
    results.add_column("figure")
    results.add_column("value", justify="right")
    with throwaway_stack("spark-jvm", ["postgres", "metastore"]) as settings:
        began = time.monotonic()
        manager.up(settings, ["spark"])
        results.add_row(
            "cold start (port open + layer databases)", f"{time.monotonic() - began:.1f} s"
        )
        pid = supervisor.running_pid(settings.pid_file("spark"))
        seed(settings, scale=scale, seed=42, dirty_rate=0.02, replace=True)
        began = time.monotonic()
        snap = capture(settings)
        results.add_row(
            "CDC snapshot into Bronze", f"{snap.total:,} rows, {time.monotonic() - began:.1f} s"
        )
        results.add_row("full dbt build (Silver + Gold + tests)", f"{timed_build(settings):.1f} s")
        gold = timed_build(settings, "--select", "marts")
        results.add_row("Gold rebuild (dbt build --select marts)", f"{gold:.1f} s")
        if pid is not None:
            results.add_row("server peak RSS (VmHWM)", f"{peak_rss_mib(pid):,.0f} MiB")
    console.print(results)


if __name__ == "__main__":
    main()
