"""Bronze tables for files and API pulls: validated rows, quarantined rows, and the ingest log.

- `bronze.<source>__<dataset>`: the reader's columns, typed, plus `_file`,
  `_file_sha256`, `_row_number`, `_ingested_at`, `_batch_id` and `_ingest_date`
  (partition column). Append only.
- `bronze.ingest_quarantine`: one row per rejected input row with the dataset,
  the file, its row/line number, the raw text and every reason.
- `bronze.ingest_log`: one `started` row before a file's rows are written and
  one `landed` / `rejected` row after, so a crashed attempt is recognised and
  its partial rows removed before the file is ingested again (exactly once).

Rows travel as Arrow tables (typed on the client) through Spark Connect. This
module knows no reader: callers hand it a table name, an Arrow schema of their
columns and the lineage of the rows (`Origin`).
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple, TypedDict

import pyarrow as pa
from pyspark.sql import SparkSession

from infra.engines.spark import append_delta, ensure_database, table_exists
from infra.errors import RunFailed
from infra.settings import Settings

Row = dict[str, object]
"""One valid row: a value for every dataset column, and `_row_number`."""

DATABASE = "bronze"
QUARANTINE = "ingest_quarantine"
LOG = "ingest_log"
METADATA = [
    ("_file", pa.string()),
    ("_file_sha256", pa.string()),
    ("_row_number", pa.int64()),
    ("_ingested_at", pa.timestamp("us", tz="UTC")),
    ("_batch_id", pa.string()),
    ("_ingest_date", pa.date32()),
]
QUARANTINE_SCHEMA = pa.schema(
    [
        ("dataset", pa.string()),
        ("_file", pa.string()),
        ("_file_sha256", pa.string()),
        ("_row_number", pa.int64()),
        ("raw", pa.string()),
        ("reasons", pa.list_(pa.string())),
        ("_ingested_at", pa.timestamp("us", tz="UTC")),
        ("_batch_id", pa.string()),
        ("_ingest_date", pa.date32()),
    ]
)
LOG_SCHEMA = pa.schema(
    [
        ("batch_id", pa.string()),
        ("dataset", pa.string()),
        ("source", pa.string()),
        ("sha256", pa.string()),
        ("status", pa.string()),
        ("reason", pa.string()),
        ("rows_read", pa.int64()),
        ("landed", pa.int64()),
        ("quarantined", pa.int64()),
        ("report", pa.string()),
        ("logged_at", pa.timestamp("us", tz="UTC")),
    ]
)
RAW_LIMIT = 65536
"""Quarantined raw text is cut at 64 KiB (with a marker); the file itself is archived."""


def batch_id(sha256: str, moment: datetime) -> str:
    """The id of one ingestion batch: its start time, then the content hash's first 8 digits."""
    return f"{moment:%Y%m%dT%H%M%S%f}Z-{sha256[:8]}"


@dataclass(frozen=True)
class Origin:
    """Where a set of rows came from: one file (or one API pull) in one batch."""

    dataset: str
    name: str
    sha256: str
    batch_id: str
    ingested_at: datetime


class Quarantined(NamedTuple):
    """One rejected input row: its row/line number, raw text and every reason."""

    row_number: int
    raw: str
    reasons: list[str]


class LogEntry(TypedDict):
    """One `bronze.ingest_log` row as `RecordStore.history` returns it."""

    batch_id: str
    status: str
    dataset: str
    source: str
    logged_at: datetime


class RecordStore:
    """Writes one dataset's rows, quarantine and log entries to Bronze through Spark Connect."""

    def __init__(self, spark: SparkSession, settings: Settings) -> None:
        self.spark = spark
        self.settings = settings
        ensure_database(spark, settings, DATABASE)

    def _append(self, table: pa.Table, name: str, *, merge_schema: bool = False) -> None:
        frame = self.spark.createDataFrame(table)
        append_delta(
            frame,
            self.settings,
            DATABASE,
            name,
            partition_by=(["_ingest_date"] if "_ingest_date" in table.column_names else None),
            merge_schema=merge_schema,
        )

    def _columns(self, name: str) -> set[str] | None:
        if not table_exists(self.spark, DATABASE, name):
            return None
        return {f.name for f in self.spark.table(f"{DATABASE}.{name}").schema.fields}

    def append_rows(self, table: str, columns: pa.Schema, origin: Origin, rows: list[Row]) -> None:
        """Append valid rows to `bronze.<table>`: each holds every field of `columns` and
        `_row_number`; the other lineage columns come from `origin`. A column new to the
        table is added (schema merge)."""
        if not rows:
            return
        meta = {
            "_file": origin.name,
            "_file_sha256": origin.sha256,
            "_ingested_at": origin.ingested_at,
            "_batch_id": origin.batch_id,
            "_ingest_date": origin.ingested_at.date(),
        }
        schema = pa.schema([*columns, *METADATA])
        arrays = {
            field.name: pa.array(
                [meta[field.name]] * len(rows)
                if field.name in meta
                else [row[field.name] for row in rows],
                type=field.type,
            )
            for field in schema
        }
        existing = self._columns(table)
        added = existing is not None and not set(schema.names) <= existing
        self._append(pa.table(arrays, schema=schema), table, merge_schema=added)

    def append_quarantine(self, origin: Origin, rows: list[Quarantined]) -> None:
        """Append quarantined rows to `bronze.ingest_quarantine`."""
        if not rows:
            return
        count = len(rows)
        table = pa.table(
            {
                "dataset": [origin.dataset] * count,
                "_file": [origin.name] * count,
                "_file_sha256": [origin.sha256] * count,
                "_row_number": [row.row_number for row in rows],
                "raw": [_cut(row.raw) for row in rows],
                "reasons": [row.reasons for row in rows],
                "_ingested_at": [origin.ingested_at] * count,
                "_batch_id": [origin.batch_id] * count,
                "_ingest_date": [origin.ingested_at.date()] * count,
            },
            schema=QUARANTINE_SCHEMA,
        )
        self._append(table, QUARANTINE)

    def log(
        self,
        origin: Origin,
        status: str,
        *,
        reason: str | None = None,
        rows_read: int = 0,
        landed: int = 0,
        quarantined: int = 0,
        report: str | None = None,
    ) -> None:
        """Append one `bronze.ingest_log` entry for this origin."""
        row = {
            "batch_id": origin.batch_id,
            "dataset": origin.dataset,
            "source": origin.name,
            "sha256": origin.sha256,
            "status": status,
            "reason": reason,
            "rows_read": rows_read,
            "landed": landed,
            "quarantined": quarantined,
            "report": report,
            "logged_at": datetime.now(UTC),
        }
        self._append(pa.Table.from_pylist([row], schema=LOG_SCHEMA), LOG)

    def history(self, sha256: str) -> list[LogEntry]:
        """Log entries of a content hash, oldest first."""
        if not table_exists(self.spark, DATABASE, LOG):
            return []
        rows = self.spark.sql(
            f"select batch_id, status, dataset, source, logged_at from {DATABASE}.{LOG} "
            f"where sha256 = '{_hex(sha256)}' order by logged_at"
        ).collect()
        return [
            LogEntry(
                batch_id=row["batch_id"],
                status=row["status"],
                dataset=row["dataset"],
                source=row["source"],
                logged_at=row["logged_at"],
            )
            for row in rows
        ]

    def interrupted(self, dataset: str | None = None) -> list[tuple[str, str]]:
        """(dataset, content hash) of attempts whose last log entry is `started`: they
        crashed (ingestion holds `ingest_lock`, so none is in flight)."""
        if not table_exists(self.spark, DATABASE, LOG):
            return []
        where = f"where dataset = '{_ident(dataset)}'" if dataset else ""
        rows = self.spark.sql(
            f"select dataset, sha256, status, logged_at from {DATABASE}.{LOG} {where}"
        ).collect()
        last: dict[tuple[str, str], tuple[datetime, str]] = {}
        for row in rows:
            key = (row["dataset"], row["sha256"])
            if key not in last or row["logged_at"] >= last[key][0]:
                last[key] = (row["logged_at"], row["status"])
        return [key for key, (_, status) in last.items() if status == "started"]

    def abandon(self, table: str, dataset: str, sha256: str) -> None:
        """Remove an interrupted attempt's rows and close its log entry."""
        self.purge(table, sha256)
        origin = Origin(dataset, "-", sha256, "-", datetime.now(UTC))
        self.log(origin, "purged", reason="interrupted attempt: partial rows removed")

    def purge(self, table: str, sha256: str) -> None:
        """Remove the rows an interrupted attempt wrote for this content."""
        digest = _hex(sha256)
        for name in (table, QUARANTINE):
            if table_exists(self.spark, DATABASE, name):
                self.spark.sql(f"delete from {DATABASE}.{name} where _file_sha256 = '{digest}'")

    def newest(self, table: str, column: str) -> object | None:
        """The largest value of a column of `bronze.<table>` (None: no table or no rows)."""
        if not table_exists(self.spark, DATABASE, table):
            return None
        row = self.spark.sql(
            f"select max(`{_ident(column)}`) as newest from {DATABASE}.{_ident(table)}"
        ).collect()[0]
        newest: object | None = row["newest"]
        return newest

    def keys_where(
        self, table: str, column: str, value: object, keys: list[str]
    ) -> set[tuple[object, ...]]:
        """The `keys` of the rows of `bronze.<table>` whose `column` equals `value`."""
        from pyspark.sql import functions as F

        if not table_exists(self.spark, DATABASE, table):
            return set()
        rows = (
            self.spark.table(f"{DATABASE}.{_ident(table)}")
            .where(F.col(column) == F.lit(value))
            .select(*keys)
            .collect()
        )
        return {tuple(row) for row in rows}


@contextmanager
def ingest_lock(settings: Settings, timeout: float = 600.0) -> Iterator[None]:
    """One file/API ingestion at a time per state directory (the CLI and the daily flow)."""
    path = settings.home / "files" / ".ingest.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RunFailed(
                        f"another ingestion has held {path} for {timeout:.0f} s",
                        hint="wait for it to finish, or stop it",
                    ) from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _cut(raw: str) -> str:
    if len(raw) <= RAW_LIMIT:
        return raw
    return raw[:RAW_LIMIT] + f"…[cut: {len(raw):,} characters]"


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not an identifier: {name!r}")
    return name


def _hex(digest: str) -> str:
    if not all(ch in "0123456789abcdef" for ch in digest):
        raise ValueError(f"not a hex digest: {digest!r}")
    return digest
