"""Benchmark file ingestion: a 1,000,000-row CSV (1% bad rows) into Bronze on Sail.

Runs its own metastore and Sail in a throwaway state directory. Prints rows/s
for the whole ingestion (hash, decode, parse, validate, Arrow, Delta commits)
and the peak memory of this process; asserts nothing. BENCH_FILE_ROWS changes
the row count.
"""

from __future__ import annotations

import os
import random
import resource
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.throwaway_stack import throwaway_stack

console = Console()
CONTRACT = """
name: bench_prices
source: bench
format: csv
files: "bench_prices*"
primary_key: [line_id]
columns:
  - {name: line_id, type: bigint}
  - {name: supplier_id, type: int, required: true}
  - {name: stock_item_id, type: int, required: true}
  - {name: unit_price, type: "decimal(18,2)", min: 0}
  - {name: currency, type: string, allowed: [USD, EUR, GBP]}
  - {name: valid_from, type: date}
  - {name: note, type: string, max_length: 200}
"""


def write_csv(path: Path, rows: int) -> int:
    rng = random.Random(5)
    bad = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("line_id,supplier_id,stock_item_id,unit_price,currency,valid_from,note\n")
        for i in range(1, rows + 1):
            price = f"{rng.randint(1, 99999) / 100:.2f}"
            if i % 100 == 0:  # 1% bad rows
                price, bad = "n/a", bad + 1
            out.write(
                f"{i},{rng.randint(1, 13)},{rng.randint(1, 227)},{price},"
                f"{rng.choice(('USD', 'EUR', 'GBP'))},2026-{rng.randint(1, 12):02d}-01,"
                f'"line {i}, checked"\n'
            )
    return bad


def main() -> None:
    rows = int(os.environ.get("BENCH_FILE_ROWS", "1000000"))
    work = Path(tempfile.mkdtemp(prefix="lakepulse-bench-files-"))
    (work / "contracts").mkdir()
    (work / "contracts" / "bench_prices.yml").write_text(CONTRACT)
    os.environ["LAKEPULSE_CONTRACTS"] = str(work / "contracts")
    path = work / "bench_prices.csv"
    began = time.monotonic()
    bad = write_csv(path, rows)
    console.print(
        f"wrote {rows:,} rows ({path.stat().st_size / 1e6:,.0f} MB, {bad:,} bad) in "
        f"{time.monotonic() - began:.1f}s"
    )
    with throwaway_stack("files", ["metastore", "sail"]) as settings:
        from ingestion.files.ingest import ingest_files

        began = time.monotonic()
        report = ingest_files(settings, [path])[0]
        seconds = time.monotonic() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table = Table(title=f"file ingestion: {rows:,}-row CSV into Bronze", title_justify="left")
    for name in ("rows read", "landed", "quarantined", "wall time", "rows/s", "peak memory"):
        table.add_column(name, justify="right")
    table.add_row(
        f"{report.rows_read:,}",
        f"{report.landed:,}",
        f"{report.quarantined:,}",
        f"{seconds:.1f}s",
        f"{report.rows_read / seconds:,.0f}",
        f"{peak_mb:,.0f} MB",
    )
    console.print(table)
    path.unlink()


if __name__ == "__main__":
    main()
