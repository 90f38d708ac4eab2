"""`lakepulse ingest cdc`: snapshot, then drain or follow the slot into Bronze, exactly once.

Order of work per batch: peek whole transactions (nothing consumed) ->
append each table's events to Bronze (skipping what a crashed run already
wrote, by high-water mark) -> advance the slot. A crash anywhere replays
from the last advanced position, and the high-water marks drop what is
already in Bronze: nothing lost, nothing twice. The initial snapshot cannot
resume after a crash; `snapshot_log` detects an unfinished one, and the next
run rolls it back and takes it again.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import psycopg

from infra.engines.spark import session
from infra.errors import EngineUnavailable, SourceError
from infra.settings import Settings
from ingestion.bronze.writer import BronzeWriter, Prepared
from ingestion.cdc import snapshot_log
from ingestion.cdc.batch import Batch, collect, peek, read_batch
from ingestion.cdc.convert.tables import (
    MARK,
    prepare_changes,
    prepare_snapshot,
    prepare_truncates,
    table_name,
)
from ingestion.cdc.pgoutput import Decoder, ProtocolError, Relation, int_to_lsn
from ingestion.cdc.source import (
    DEFAULT_SLOT,
    SnapshotRow,
    TableSnapshot,
    check_source,
    confirm,
    create_slot_and_snapshot,
    current_wal_lsn,
    drop_slot,
    published_relations,
    slot_info,
)
from ingestion.source.db import connect

SNAPSHOT_CHUNK = int(os.environ.get("LAKEPULSE_CDC_SNAPSHOT_CHUNK", "50000"))  # rows per commit
WRITE_THREADS = 4  # concurrent Bronze commits (one per table) within a batch


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
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.events.values())

    @property
    def events_per_second(self) -> float:
        return self.total / self.seconds if self.seconds else 0.0


Progress = Callable[[CaptureSummary], None]


def _snapshot(
    settings: Settings,
    writer: BronzeWriter,
    slot: str,
    summary: CaptureSummary,
    pool: ThreadPoolExecutor,
    progress: Progress | None,
    *,
    added: list[str] | None = None,
) -> list[str]:
    """Snapshot table by table (the next chunk is converted while the previous one commits),
    bracketed by snapshot-log entries.

    Initial snapshot (added=None): creates the capture slot, `started` / `complete`.
    Tables added to the publication later (added=[...]): their rows as of a temporary slot's
    exported snapshot, `adding` / `added`. Their Bronze high-water mark becomes that slot's
    position, so the capture slot's older changes to them (already in the snapshot) are skipped.
    """
    start, end = ("started", "complete") if added is None else ("adding", "added")
    snapshot_log.record(writer.spark, settings, slot, start, relations=added or [])
    tables = (
        create_slot_and_snapshot(settings, slot)
        if added is None
        else create_slot_and_snapshot(
            settings, f"{slot[:40]}_add_{secrets.token_hex(4)}", temporary=True, only=set(added)
        )
    )
    done: list[str] = []
    rows_before = summary.events.copy()
    with closing(tables):  # releases the (temporary) slot's connection on any failure
        batch_id = _snapshot_tables(tables, writer, summary, pool, progress, done)
    landed = sum(n for (_, op), n in (summary.events - rows_before).items() if op == "r")
    snapshot_log.record(
        writer.spark, settings, slot, end, batch_id=batch_id, relations=done, rows=landed
    )
    return done


def _snapshot_tables(
    tables: Iterator[TableSnapshot],
    writer: BronzeWriter,
    summary: CaptureSummary,
    pool: ThreadPoolExecutor,
    progress: Progress | None,
    done: list[str],
) -> str | None:
    """Write each table's snapshot rows; returns the snapshot's batch id (None: no tables)."""
    batch_id = None
    for snap in tables:
        relation, consistent = snap.relation, snap.lsn
        batch_id = f"snapshot-{int_to_lsn(consistent)}"
        pending: Future[Counter[str]] | None = None
        first = 0
        for chunk in _chunks(snap.rows, SNAPSHOT_CHUNK):
            with _explained(relation, consistent):
                prepared = prepare_snapshot(
                    writer,
                    relation,
                    chunk,
                    first,
                    lsn=consistent,
                    xid=snap.xid,
                    taken=snap.taken,
                    batch_id=batch_id,
                )
            first += len(chunk)
            if pending is not None:
                _count(summary, relation.qualified, _result(pending, relation, consistent))
            pending = pool.submit(writer.commit, prepared)
        if pending is not None:
            _count(summary, relation.qualified, _result(pending, relation, consistent))
        writer.raise_mark(table_name(relation), (consistent, 0))  # empty tables too
        done.append(relation.qualified)
        summary.snapshot_tables += 1
        if progress:
            progress(summary)
    return batch_id


def _roll_back(writer: BronzeWriter, relations: list[Relation], summary: CaptureSummary) -> None:
    tables = [t for t in map(table_name, relations) if writer.exists(t)]
    for table, n in snapshot_log.roll_back_unfinished(writer.spark, tables).items():
        summary.notes.append(f"bronze.{table}: {n:,} rows of an unfinished snapshot removed")


def _snapshot_added(
    settings: Settings,
    writer: BronzeWriter,
    slot: str,
    relations: list[Relation],
    summary: CaptureSummary,
    pool: ThreadPoolExecutor,
    progress: Progress | None,
) -> set[str]:
    """Snapshot tables added to the publication since the slot's snapshots (rolling back what
    an interrupted snapshot of them left first); returns the tables now covered."""
    _roll_back(writer, relations, summary)
    names = sorted(r.qualified for r in relations)
    done = _snapshot(settings, writer, slot, summary, pool, progress, added=names)
    summary.notes.append(f"snapshotted tables added to the publication: {', '.join(done)}")
    return set(names)  # one no longer published cannot be snapshotted: do not retry it


def _redo_unfinished_snapshot(
    conn: psycopg.Connection[Any],
    writer: BronzeWriter,
    slot: str,
    exists: bool,
    summary: CaptureSummary,
) -> bool:
    """Roll back what an interrupted snapshot left; returns whether the slot still exists."""
    if exists and snapshot_log.latest_status(writer.spark, slot) == "started":
        drop_slot(conn, slot)  # its exported snapshot died with the crashed run
        summary.notes.append(
            f"the initial snapshot of slot {slot} never finished: "
            "slot dropped, snapshot taken again"
        )
        exists = False
    if not exists:
        _roll_back(writer, published_relations(conn), summary)
    return exists


def _chunks(rows: Iterable[SnapshotRow], size: int) -> Iterator[list[SnapshotRow]]:
    chunk: list[SnapshotRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@contextmanager
def _explained(relation: Relation, first_lsn: int) -> Iterator[None]:
    """A Spark/metastore failure while writing a table becomes a one-line error."""
    try:
        yield
    except (EngineUnavailable, ProtocolError):
        raise
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        raise EngineUnavailable(
            f"writing {relation.qualified} to Bronze failed ({type(exc).__name__}: {first}); "
            f"nothing after {int_to_lsn(first_lsn)} was acknowledged: check "
            "`lakepulse status`, then rerun to resume"
        ) from exc


def _result(future: Future[Counter[str]], relation: Relation, first_lsn: int) -> Counter[str]:
    """Wait for one table's Bronze commit."""
    with _explained(relation, first_lsn):
        return future.result()


def _write_batch(
    writer: BronzeWriter, batch: Batch, pool: ThreadPoolExecutor, summary: CaptureSummary
) -> int:
    """Write a batch of whole transactions to Bronze: one Delta commit per table, the tables
    committed in parallel while the next table is converted. Returns the events written."""
    # per table (oid, so a table renamed mid-batch stays one), laid out for its latest version
    parts: dict[int, list[Callable[[], Prepared]]] = defaultdict(list)
    batch_id = batch.batch_id
    for rows in batch.tables:
        parts[rows.relation.oid].append(
            partial(
                prepare_changes,
                writer,
                rows,
                batch.transactions,
                batch_id,
                target=batch.latest[rows.relation.oid],
            )
        )
    for truncates in batch.truncates:
        oid = truncates.relation.oid
        parts[oid].append(
            partial(
                prepare_truncates,
                writer,
                truncates,
                batch.transactions,
                batch_id,
                target=batch.latest[oid],
            )
        )
    futures: list[tuple[Relation, Future[Counter[str]]]] = []
    failure: Exception | None = None
    for oid, table_parts in parts.items():
        relation = batch.latest[oid]
        try:
            with _explained(relation, batch.first_lsn):
                prepared = writer.combine([make() for make in table_parts])
        except (EngineUnavailable, ProtocolError) as exc:
            failure = exc
            break
        futures.append((relation, pool.submit(writer.commit, prepared)))
    size = 0
    for relation, future in futures:  # wait for every commit, even after a failure
        try:
            written = _result(future, relation, batch.first_lsn)
        except EngineUnavailable as exc:
            failure = failure or exc
            continue
        _count(summary, relation.qualified, written)
        size += sum(written.values())
    if failure is not None:
        raise failure
    return size


class _Lookahead:
    """Peeks the next batch while this one is written, so Postgres decodes while Python
    converts. A peek starts at the slot's confirmed position, which moves only after Bronze
    has this batch: it reads this batch again plus the next (twice the changes), and
    `collect(after_lsn=...)` drops the part already written. The slot serves one peek or
    advance at a time, so `result()` is awaited before the slot is advanced."""

    def __init__(self, settings: Settings, slot: str, batch_changes: int) -> None:
        self.settings, self.slot = settings, slot
        self.max_changes = 2 * batch_changes
        self.conn: psycopg.Connection[Any] | None = None
        self.pool: ThreadPoolExecutor | None = None
        self.pending: Future[list[bytes]] | None = None

    def start(self, upto_lsn: int | None) -> None:
        conn, pool = self.conn, self.pool
        if conn is None or pool is None:
            conn = self.conn = connect(self.settings, autocommit=True)
            conn.execute("set timezone = 'UTC'")
            pool = self.pool = ThreadPoolExecutor(1, thread_name_prefix="cdc-lookahead")
        self.pending = pool.submit(
            peek, conn, self.slot, max_changes=self.max_changes, upto_lsn=upto_lsn
        )

    def result(self) -> list[bytes] | None:
        pending, self.pending = self.pending, None
        return None if pending is None else pending.result()

    def discard(self) -> None:
        """Wait for a peek in flight and drop it (the batch it follows failed)."""
        with contextlib.suppress(Exception):
            self.result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
        if self.conn is not None:
            self.conn.close()


def _count(summary: CaptureSummary, table: str, written: Counter[str]) -> None:
    for op, n in written.items():
        summary.events[(table, op)] += n


def run(
    settings: Settings,
    *,
    slot: str = DEFAULT_SLOT,
    follow: bool = False,
    batch_changes: int = 50_000,
    poll_seconds: float = 0.5,
    max_seconds: float | None = None,
    progress: Progress | None = None,
) -> CaptureSummary:
    """Drain to the current WAL position (follow=False) or keep following."""
    began = time.monotonic()
    summary = CaptureSummary()
    spark = session(settings)
    writer = BronzeWriter(spark, settings, MARK)
    pool = ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="bronze-commit")
    ahead = _Lookahead(settings, slot, batch_changes)
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
            # covered: tables a finished snapshot holds (None: a slot older than the log)
            covered: set[str] | None
            if not _redo_unfinished_snapshot(conn, writer, slot, info is not None, summary):
                covered = set(_snapshot(settings, writer, slot, summary, pool, progress))
            elif (covered := snapshot_log.covered(spark, slot)) is not None:
                added = [r for r in published_relations(conn) if r.qualified not in covered]
                if added:
                    covered |= _snapshot_added(
                        settings, writer, slot, added, summary, pool, progress
                    )
            decoder = Decoder()
            target = None if follow else current_wal_lsn(conn)
            batch: Batch | None = None
            while True:
                if batch is None:
                    batch = read_batch(
                        conn, slot, decoder, max_changes=batch_changes, upto_lsn=target
                    )
                if batch.transactions:
                    if batch.messages >= batch_changes:  # a full batch: more is waiting
                        ahead.start(target)
                    try:
                        size = _write_batch(writer, batch, pool, summary)
                    except BaseException:
                        ahead.discard()
                        raise
                    messages = ahead.result()  # the slot is busy until the peek ends
                    confirm(conn, slot, batch.end_lsn)
                    summary.batches += 1
                    summary.transactions += len(batch.transactions)
                    summary.batch_sizes.append(size)
                    summary.lag_seconds = max(0.0, time.time() - batch.last_commit_time.timestamp())
                    # a table published while this capture runs: its changes stream in,
                    # its older rows come from its own snapshot, taken now
                    if covered is not None and (
                        added := [r for r in batch.relations() if r.qualified not in covered]
                    ):
                        covered |= _snapshot_added(
                            settings, writer, slot, added, summary, pool, progress
                        )
                    if progress:
                        progress(summary)
                    batch = (
                        None
                        if messages is None
                        else collect(messages, decoder, after_lsn=batch.end_lsn)
                    )
                    continue
                batch = None
                if not follow:
                    break
                if max_seconds is not None and time.monotonic() - began >= max_seconds:
                    break
                if progress:
                    progress(summary)  # idle: lets followers report a heartbeat
                time.sleep(poll_seconds)
            summary.lag_bytes = max(0, current_wal_lsn(conn) - (slot_info(conn, slot) or (0,))[0])
    except Exception as exc:
        if progress:
            progress(summary)  # report what landed before the failure
        if isinstance(exc, ProtocolError):
            raise SourceError(
                f"the change stream of slot {slot} could not be decoded ({exc}); nothing from "
                "that batch on was acknowledged: check the Postgres version supports pgoutput "
                "protocol 1, then rerun to resume"
            ) from exc
        raise
    finally:
        pool.shutdown(wait=True)
        ahead.close()
    summary.schema_drift = list(writer.schema_drift)
    summary.seconds = time.monotonic() - began
    return summary
