"""Bronze tables for files and API pulls: validated rows, quarantined rows, and the ingest log.

- `bronze.<source>__<dataset>`: the contract's columns, typed, plus `_file`,
  `_file_sha256`, `_row_number`, `_ingested_at`, `_batch_id` and `_ingest_date`
  (partition column). Append only.
- `bronze.ingest_quarantine`: one row per rejected input row with the dataset,
  the file, its row/line number, the raw text and every reason.
- `bronze.ingest_log`: one `started` row before a file's rows are written and
  one `landed` / `rejected` row after, so a crashed attempt is recognised and
  its partial rows removed before the file is ingested again (exactly once).

Rows travel as Arrow tables (typed on the client) through Spark Connect.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
from pyspark.sql import SparkSession

from infra.engines.spark import append_delta, ensure_database, table_exists
from infra.errors import ConfigError
from infra.settings import Settings
from ingestion.files.contract import Contract

DATABASE = "bronze"
QUARANTINE = "ingest_quarantine"
LOG = "ingest_log"
_ARROW = {
    "string": pa.string(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
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


def arrow_type(contract_type: str) -> pa.DataType:
    if contract_type.startswith("decimal"):
        precision, scale = contract_type[8:-1].split(",")
        return pa.decimal128(int(precision), int(scale))
    return _ARROW[contract_type]


def dataset_schema(contract: Contract) -> pa.Schema:
    return pa.schema([(c.name, arrow_type(c.type)) for c in contract.columns] + METADATA)


@dataclass(frozen=True)
class Origin:
    """Where a set of rows came from: one file (or one API pull) in one batch."""

    dataset: str
    name: str
    sha256: str
    batch_id: str
    ingested_at: datetime


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

    def append_rows(
        self, contract: Contract, origin: Origin, rows: list[dict[str, object]]
    ) -> None:
        """Append valid rows (each holds every contract column and `_row_number`)."""
        if not rows:
            return
        meta = {
            "_file": origin.name,
            "_file_sha256": origin.sha256,
            "_ingested_at": origin.ingested_at,
            "_batch_id": origin.batch_id,
            "_ingest_date": origin.ingested_at.date(),
        }
        schema = dataset_schema(contract)
        columns = {
            field.name: pa.array(
                [meta[field.name]] * len(rows)
                if field.name in meta
                else [row[field.name] for row in rows],
                type=field.type,
            )
            for field in schema
        }
        existing = self._columns(contract.table)
        added = existing is not None and not set(schema.names) <= existing
        self._append(pa.table(columns, schema=schema), contract.table, merge_schema=added)

    def append_quarantine(self, origin: Origin, rows: list[tuple[int, str, list[str]]]) -> None:
        """Append quarantined rows as (row number, raw text, reasons)."""
        if not rows:
            return
        count = len(rows)
        table = pa.table(
            {
                "dataset": [origin.dataset] * count,
                "_file": [origin.name] * count,
                "_file_sha256": [origin.sha256] * count,
                "_row_number": [number for number, _, _ in rows],
                "raw": [
                    raw
                    if len(raw) <= RAW_LIMIT
                    else raw[:RAW_LIMIT] + f"…[cut: {len(raw):,} characters]"
                    for _, raw, _ in rows
                ],
                "reasons": [reasons for _, _, reasons in rows],
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

    def history(self, sha256: str) -> list[dict[str, object]]:
        """Log entries of a content hash, oldest first."""
        if not table_exists(self.spark, DATABASE, LOG):
            return []
        rows = self.spark.sql(
            f"select batch_id, status, dataset, source, logged_at from {DATABASE}.{LOG} "
            f"where sha256 = '{_hex(sha256)}' order by logged_at"
        ).collect()
        return [row.asDict() for row in rows]

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

    def abandon(self, contract_table: str, dataset: str, sha256: str) -> None:
        """Remove an interrupted attempt's rows and close its log entry."""
        self.purge(contract_table, sha256)
        origin = Origin(dataset, "-", sha256, "-", datetime.now(UTC))
        self.log(origin, "purged", reason="interrupted attempt: partial rows removed")

    def purge(self, contract_table: str, sha256: str) -> None:
        """Remove the rows an interrupted attempt wrote for this content."""
        digest = _hex(sha256)
        for table in (contract_table, QUARANTINE):
            if table_exists(self.spark, DATABASE, table):
                self.spark.sql(f"delete from {DATABASE}.{table} where _file_sha256 = '{digest}'")


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
                    raise ConfigError(
                        f"another ingestion has held {path} for {timeout:.0f} s: "
                        "wait for it to finish, or stop it"
                    ) from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not an identifier: {name!r}")
    return name


def _hex(digest: str) -> str:
    if not all(ch in "0123456789abcdef" for ch in digest):
        raise ValueError(f"not a hex digest: {digest!r}")
    return digest
