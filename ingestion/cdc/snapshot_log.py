"""The snapshot log: which initial snapshots finished, so an unfinished one is redone.

An initial snapshot is read inside the snapshot Postgres exported when the
replication slot was created; that snapshot dies with the connection, so a
snapshot interrupted by a crash or kill -9 cannot be resumed. Instead:

- `bronze.cdc_snapshot_log` gets a `started` entry *before* the slot is
  created and a `complete` entry (with the snapshot's batch id) after the last
  table's rows are in Bronze;
- a run that finds the slot's newest entry still `started` drops the slot and
  takes the snapshot again;
- before any snapshot, snapshot rows (`_op = 'r'`) that belong to no completed
  snapshot are deleted from the tables about to be snapshotted: they are the
  unacknowledged leftovers of an interrupted attempt, so rows are never doubled.

Tables added to the publication later are snapshotted on their own (`adding` /
`added` entries) at the next start of a capture; each entry lists the tables
it covers. A slot with no entry at all predates the log and counts as complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pyarrow as pa
from pyspark.sql import SparkSession

from infra.engines.spark import append_delta, table_exists
from infra.settings import Settings

DATABASE = "bronze"
LOG = "cdc_snapshot_log"
SCHEMA = pa.schema(
    [
        ("slot", pa.string()),
        ("status", pa.string()),
        ("batch_id", pa.string()),
        ("tables", pa.int32()),
        ("rows", pa.int64()),
        ("relations", pa.string()),
        ("logged_at", pa.timestamp("us", tz="UTC")),
    ]
)


def record(
    spark: SparkSession,
    settings: Settings,
    slot: str,
    status: str,
    *,
    batch_id: str | None = None,
    relations: Sequence[str] = (),
    rows: int = 0,
) -> None:
    entry = {
        "slot": slot,
        "status": status,
        "batch_id": batch_id,
        "tables": len(relations),
        "rows": rows,
        "relations": ",".join(sorted(relations)),
        "logged_at": datetime.now(UTC),
    }
    frame = spark.createDataFrame(pa.Table.from_pylist([entry], schema=SCHEMA))
    append_delta(frame, settings, DATABASE, LOG)


def latest_status(spark: SparkSession, slot: str) -> str | None:
    """Status of the slot's newest initial-snapshot entry (None: a slot older than the log)."""
    if not table_exists(spark, DATABASE, LOG):
        return None
    rows = spark.sql(
        f"select status from {DATABASE}.{LOG} where slot = '{_quoted(slot)}' "
        "and status in ('started', 'complete') order by logged_at desc limit 1"
    ).collect()
    return rows[0]["status"] if rows else None


def covered(spark: SparkSession, slot: str) -> set[str] | None:
    """Source tables a finished snapshot of this slot covers (None: a slot older than the log)."""
    if not table_exists(spark, DATABASE, LOG):
        return None
    rows = spark.sql(
        f"select status, relations from {DATABASE}.{LOG} where slot = '{_quoted(slot)}'"
    ).collect()
    if not rows:
        return None
    return {
        name
        for r in rows
        if r["status"] in ("complete", "added") and r["relations"]
        for name in r["relations"].split(",")
    }


def completed_batches(spark: SparkSession) -> set[str]:
    if not table_exists(spark, DATABASE, LOG):
        return set()
    rows = spark.sql(
        f"select distinct batch_id from {DATABASE}.{LOG} "
        "where status in ('complete', 'added') and batch_id is not null"
    ).collect()
    return {r["batch_id"] for r in rows}


def roll_back_unfinished(spark: SparkSession, tables: list[str]) -> dict[str, int]:
    """Delete snapshot rows of no completed snapshot from these Bronze tables; rows removed."""
    keep = completed_batches(spark)
    condition = "_op = 'r'"
    if keep:
        condition += (
            " and _batch_id not in (" + ", ".join(f"'{_quoted(b)}'" for b in sorted(keep)) + ")"
        )
    removed: dict[str, int] = {}
    for table in tables:
        qualified = f"{DATABASE}.{table}"
        stale = spark.sql(f"select count(*) as n from {qualified} where {condition}").collect()
        if stale[0]["n"]:
            spark.sql(f"delete from {qualified} where {condition}")
            removed[table] = stale[0]["n"]
    return removed


def _quoted(text: str) -> str:
    return text.replace("'", "''")
