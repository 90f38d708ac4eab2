"""Benchmark the engines side by side: cold start, peak RSS, and the Gold build at SF 1.

One throwaway stack (own state directory, free ports): seed SF BENCH_ENGINES_SCALE
(default 1), capture it into Bronze and build Silver once on Sail. Then, for every
entry of ENGINES: start the engine's service cold (timed, from `up` to healthy), build
Gold with its dbt target into `gold` (the reference engine) or `gold_<engine>` (timed),
and sample the service's resident memory (the whole process tree) while it works.
Prints figures; asserts nothing. `make bench` runs it; `make test` does not.

Adding an engine (e.g. JVM Spark) is one more `Engine` entry: its service name in the
catalog, its dbt target, and whether it is the reference.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.throwaway_stack import throwaway_stack
from flows.dbt_runner import run_dbt
from infra.services import catalog, manager, supervisor
from infra.settings import Settings
from ingestion.cdc.capture import run as capture
from ingestion.source.seeder import seed

console = Console()
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Engine:
    name: str  # as in `lakepulse reconcile --engines`
    service: str  # the catalog service that runs it
    target: str  # its dbt target in profiles/profiles.yml
    reference: bool = False  # builds `gold` itself (else `gold_<name>`)


ENGINES: tuple[Engine, ...] = (
    Engine("sail", service="sail", target="local", reference=True),
    Engine("trino", service="trino", target="trino"),
)


def tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and every descendant."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):  # gone meanwhile
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * PAGE
        pending.extend(children.get(current, []))
    return total


@contextmanager
def peak_rss(settings: Settings, service: str) -> Iterator[list[int]]:
    """Sample the service's process tree every 0.2 s; the peak is in the yielded list."""
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            pid = supervisor.running_pid(settings.pid_file(service))
            if pid is not None:
                peak[0] = max(peak[0], tree_rss(pid))
            stop.wait(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


def build_gold(settings: Settings, engine: Engine) -> float:
    env = None if engine.reference else {"LAKEPULSE_DBT_SCHEMA_SUFFIX": f"_{engine.name}"}
    began = time.monotonic()
    result = run_dbt(
        ["build", "--select", "marts"], settings, target=engine.target, capture=True, extra_env=env
    )
    seconds = time.monotonic() - began
    if result.returncode != 0:
        console.print(result.stdout[-4000:])
        raise SystemExit(f"dbt Gold build on {engine.name} failed (output above)")
    return seconds


def main() -> None:
    scale = float(os.environ.get("BENCH_ENGINES_SCALE", "1"))
    results = Table(title=f"engines (SF {scale}, Gold = dbt build --select marts)")
    for column in ("engine", "cold start", "Gold build", "peak RSS"):
        results.add_column(column, justify="left" if column == "engine" else "right")
    with throwaway_stack("engines", ["postgres", "sail"]) as settings:
        seed(settings, scale=scale, seed=42, dirty_rate=0.02, replace=True)
        capture(settings)
        silver = run_dbt(["build", "--exclude", "marts"], settings, capture=True)
        if silver.returncode != 0:
            console.print(silver.stdout[-4000:])
            raise SystemExit("the Silver build on Sail failed (output above)")
        for engine in ENGINES:
            manager.down(settings, [engine.service])
            setup = catalog.get(engine.service).setup
            if setup:
                setup(settings)  # installs (a first download) are not part of a cold start
            began = time.monotonic()
            with peak_rss(settings, engine.service) as peak:
                manager.up(settings, [engine.service])
                start = time.monotonic() - began
                build = build_gold(settings, engine)
            results.add_row(
                engine.name, f"{start:.1f} s", f"{build:.1f} s", f"{peak[0] / 2**20:,.0f} MiB"
            )
    console.print(results)


if __name__ == "__main__":
    main()
