"""`lakepulse ingest cdc`: snapshot, then drain or follow the slot into Bronze, exactly once.

Order of work per batch: peek whole transactions (nothing consumed) ->
append each table's events to Bronze (skipping what a crashed run already
wrote, by high-water mark) -> advance the slot. A crash anywhere replays
from the last advanced position, and the high-water marks drop what is
already in Bronze: nothing lost, nothing twice.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from infra.settings import Settings
from infra.spark import SparkUnavailable, session
from ingestion.bronze.writer import BronzeWriter
from ingestion.cdc.pgoutput import Decoder, int_to_lsn
from ingestion.cdc.source import (
    DEFAULT_SLOT,
    check_source,
    confirm,
    create_slot_and_snapshot,
    current_wal_lsn,
    read_transactions,
    slot_info,
)
from ingestion.source.db import SourceError, connect

SNAPSHOT_CHUNK = 50_000


@dataclass
class CaptureSummary:
    """What a capture run did; also the run's metrics (events/s, lag, batch sizes)."""

    events: Counter[tuple[str, str]] = field(default_factory=Counter)
    batches: int = 0
    transactions: int = 0
    snapshot_tables: int = 0
    seconds: float = 0.0
    lag_bytes: int = 0
    lag_seconds: float = 0.0
    batch_sizes: list[int] = field(default_factory=list)
    schema_drift: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.events.values())

    @property
    def events_per_second(self) -> float:
        return self.total / self.seconds if self.seconds else 0.0


Progress = Callable[[CaptureSummary], None]


def _snapshot(settings: Settings, writer: BronzeWriter, slot: str, summary: CaptureSummary,
              progress: Progress | None) -> None:
    for consistent, relation, rows in create_slot_and_snapshot(settings, slot):
        batch_id = f"snapshot-{int_to_lsn(consistent)}"
        chunk = []
        for event in rows:
            chunk.append(event)
            if len(chunk) >= SNAPSHOT_CHUNK:
                _count(summary, relation.qualified, writer.write(relation, chunk, batch_id))
                chunk = []
        _count(summary, relation.qualified, writer.write(relation, chunk, batch_id))
        summary.snapshot_tables += 1
        if progress:
            progress(summary)


def _write_or_explain(writer: BronzeWriter, relation, events, batch_id: str, txs) -> Counter[str]:
    """Write one table's events; a Spark/metastore failure becomes a one-line error."""
    try:
        return writer.write(relation, events, batch_id)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        raise SparkUnavailable(
            f"writing {relation.qualified} to Bronze failed ({type(exc).__name__}: {first}); "
            f"nothing after {int_to_lsn(txs[0].commit_lsn)} was acknowledged: check "
            "`lakepulse status`, then rerun to resume"
        ) from exc


def _count(summary: CaptureSummary, table: str, written: Counter[str]) -> None:
    for op, n in written.items():
        summary.events[(table, op)] += n


def run(
    settings: Settings,
    *,
    slot: str = DEFAULT_SLOT,
    follow: bool = False,
    batch_changes: int = 20_000,
    poll_seconds: float = 0.5,
    max_seconds: float | None = None,
    progress: Progress | None = None,
) -> CaptureSummary:
    """Drain to the current WAL position (follow=False) or keep following."""
    began = time.monotonic()
    summary = CaptureSummary()
    spark = session(settings)
    writer = BronzeWriter(spark, settings)
    try:
        with connect(settings, autocommit=True) as conn:
            conn.execute("set timezone = 'UTC'")
            check_source(conn)
            info = slot_info(conn, slot)
            if info is not None and info[1]:
                raise SourceError(
                    f"replication slot {slot} is in use by another consumer: stop it, "
                    "or capture with another --slot"
                )
            if info is None:
                _snapshot(settings, writer, slot, summary, progress)
            decoder = Decoder()
            target = None if follow else current_wal_lsn(conn)
            while True:
                txs = read_transactions(conn, slot, decoder, max_changes=batch_changes,
                                        upto_lsn=target)
                if txs:
                    by_table = defaultdict(list)
                    relations = {}
                    for tx in txs:
                        for event in tx.events:
                            by_table[event.relation.oid].append(event)
                            relations[event.relation.oid] = event.relation
                    batch_id = f"{int_to_lsn(txs[0].commit_lsn)}-{int_to_lsn(txs[-1].end_lsn)}"
                    size = 0
                    for oid, events in by_table.items():
                        written = _write_or_explain(writer, relations[oid], events, batch_id, txs)
                        _count(summary, relations[oid].qualified, written)
                        size += sum(written.values())
                    confirm(conn, slot, txs[-1].end_lsn)
                    summary.batches += 1
                    summary.transactions += len(txs)
                    summary.batch_sizes.append(size)
                    summary.lag_seconds = max(0.0, time.time() - txs[-1].commit_time.timestamp())
                    if progress:
                        progress(summary)
                    continue
                if not follow:
                    break
                if max_seconds is not None and time.monotonic() - began >= max_seconds:
                    break
                if progress:
                    progress(summary)  # idle: lets followers report a heartbeat
                time.sleep(poll_seconds)
            summary.lag_bytes = max(0, current_wal_lsn(conn) - (slot_info(conn, slot) or (0,))[0])
    except Exception:
        if progress:
            progress(summary)  # report what landed before the failure
        raise
    summary.schema_drift = list(writer.schema_drift)
    summary.seconds = time.monotonic() - began
    return summary

