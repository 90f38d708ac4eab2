"""The Bronze writer: change events to one append-only Delta table per source table.

Each Bronze table (`bronze.<schema>__<table>`, e.g. `bronze.sales__orders`)
holds the source columns, typed, plus metadata: `_op`, `_lsn` (commit LSN),
`_tx_id`, `_commit_ts`, `_seq` (order within the transaction), `_ingested_at`,
`_ingest_date` (partition column), `_batch_id` and `_envelope` (the raw
Debezium-style JSON). Writes go through Spark Connect at explicit absolute
locations and are registered in the metastore.

Idempotence: a per-table high-water mark read from Bronze ((lsn, phase):
phase 0 for snapshot rows, 1 for streamed changes) filters out events that a
crashed run already wrote, so a replay writes every missing event and none
twice. A transaction's changes to one table always land in one Delta commit.
The writer takes any iterable of ChangeEvent, so another transport (e.g.
Debezium envelopes from Kafka) could feed it.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import SparkSession

from infra.engines.spark import append_delta, ensure_database
from infra.settings import Settings
from ingestion.cdc import values
from ingestion.cdc.events import ChangeEvent
from ingestion.cdc.pgoutput import Relation

DATABASE = "bronze"
METADATA = (
    ("_op", "string"),
    ("_lsn", "bigint"),
    ("_tx_id", "bigint"),
    ("_commit_ts", "timestamp"),
    ("_seq", "int"),
    ("_ingested_at", "timestamp"),
    ("_ingest_date", "date"),
    ("_batch_id", "string"),
    ("_envelope", "string"),
)
NO_MARK = (-1, -1)
_ARROW_TYPES = {
    "bigint": pa.int64(),
    "int": pa.int32(),
    "smallint": pa.int16(),
    "tinyint": pa.int8(),
    "float": pa.float32(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "binary": pa.binary(),
    "string": pa.string(),
}
_SPARK_TYPES = {str(arrow): spark for spark, arrow in _ARROW_TYPES.items()}
_PARSED_FROM_TEXT = {"timestamp", "date"}  # JSON carries them as ISO text; Arrow parses them


def arrow_type(spark_type: str) -> pa.DataType:
    if spark_type.startswith("decimal("):
        precision, scale = spark_type[8:-1].split(",")
        return pa.decimal128(int(precision), int(scale))
    if spark_type not in _ARROW_TYPES:
        raise ValueError(f"Bronze column type {spark_type} has no Arrow mapping")
    return _ARROW_TYPES[spark_type]


def spark_type_of(arrow: pa.DataType) -> str:
    if pa.types.is_decimal(arrow):
        return f"decimal({arrow.precision},{arrow.scale})"
    return _SPARK_TYPES[str(arrow)]


@dataclass(frozen=True)
class Prepared:
    """One table's share of a batch, converted and ready to append."""

    table: str
    rows: pa.Table | None
    written: Counter[str]
    mark: tuple[int, int]
    adds_columns: bool


def batch_constants(now: datetime, batch_id: str, rows: int) -> dict[str, pa.Array]:
    """The metadata columns every row of a batch shares (pa.repeat: a Python list of n
    datetimes would cost more than the whole row conversion)."""
    return {
        "_ingested_at": pa.repeat(pa.scalar(now, arrow_type("timestamp")), rows),
        "_ingest_date": pa.repeat(pa.scalar(now.date(), pa.date32()), rows),
        "_batch_id": pa.repeat(pa.scalar(batch_id, pa.string()), rows),
    }


def bronze_name(relation: Relation) -> str:
    return f"{relation.schema}__{relation.name}"


def _typed(value, spark_type: str):
    if value is None:
        return None
    if spark_type.startswith("decimal"):
        return Decimal(str(value))  # str: a float keeps its shortest repr
    if spark_type == "timestamp":
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if spark_type == "date":
        return date.fromisoformat(value)
    if spark_type == "binary":
        return base64.b64decode(value)
    if spark_type in ("int", "bigint", "smallint", "tinyint"):
        return int(value)
    if spark_type in ("double", "float"):
        return float(value)
    if spark_type == "boolean" and not isinstance(value, bool):
        raise ValueError(f"not a boolean: {value!r}")
    if spark_type == "string" and not isinstance(value, str):
        return str(value)
    return value


@dataclass
class BronzeWriter:
    spark: SparkSession
    settings: Settings
    server_name: str = "wwi"
    marks: dict[str, tuple[int, int]] = field(default_factory=dict)
    schemas: dict[str, dict[str, str] | None] = field(default_factory=dict)
    schema_drift: list[str] = field(default_factory=list)
    tables: set[str] | None = None

    def __post_init__(self) -> None:
        ensure_database(self.spark, self.settings, DATABASE)

    def exists(self, table: str) -> bool:
        """Whether the Bronze table exists; the database is listed once per writer."""
        if self.tables is None:
            self.tables = {
                row["tableName"] for row in self.spark.sql(f"show tables in {DATABASE}").collect()
            }
        return table in self.tables

    def high_water_mark(self, table: str) -> tuple[int, int]:
        if table not in self.marks:
            if not self.exists(table):
                self.marks[table] = NO_MARK
            else:
                row = self.spark.sql(
                    f"select max(case when _op <> 'r' then _lsn end) as s, "
                    f"max(case when _op = 'r' then _lsn end) as r from {DATABASE}.{table}"
                ).collect()[0]
                # a table published after the slot was made may hold streamed changes
                # older than its own snapshot: the newer of the two is the mark
                self.marks[table] = max(
                    (row["s"], 1) if row["s"] is not None else NO_MARK,
                    (row["r"], 0) if row["r"] is not None else NO_MARK,
                )
        return self.marks[table]

    def raise_mark(self, table: str, mark: tuple[int, int]) -> None:
        """Nothing at or below mark is to be written (e.g. an empty table's snapshot point)."""
        self.marks[table] = max(self.high_water_mark(table), mark)

    def _bronze_schema(self, table: str) -> dict[str, str] | None:
        """Column -> Spark type of the Bronze table (None when it does not exist yet); cached."""
        if table not in self.schemas:
            self.schemas[table] = (
                {
                    f.name: f.dataType.simpleString()
                    for f in self.spark.table(f"{DATABASE}.{table}").schema.fields
                }
                if self.exists(table)
                else None
            )
        return self.schemas[table]

    def _drift(self, message: str) -> None:
        if message not in self.schema_drift:
            self.schema_drift.append(message)

    def layout(self, table: str, relation: Relation) -> tuple[list[tuple[str, str, str]], bool]:
        """Columns to write as (name, Spark type, kind: src | meta | gone), and whether any is new.

        Bronze keeps its existing column types; a column the source no longer sends is
        written as null; a new source column is added (merge schema). All drift is recorded.
        """
        source = {c.name: values.spark_type(c.type_oid, c.type_modifier) for c in relation.columns}
        existing = self._bronze_schema(table)
        meta = dict(METADATA)
        if existing is None:
            return [(n, t, "src") for n, t in source.items()] + [
                (n, t, "meta") for n, t in METADATA
            ], False
        layout = []
        for name, kind in existing.items():
            if name in meta:
                layout.append((name, kind, "meta"))
            elif name in source:
                if source[name] != kind:
                    self._drift(
                        f"{table}: column {name} retyped at the source "
                        f"({kind} -> {source[name]}); Bronze keeps {kind}"
                    )
                layout.append((name, kind, "src"))
            else:
                self._drift(f"{table}: column {name} no longer sent by the source (null)")
                layout.append((name, kind, "gone"))
        added = [(n, t, "src") for n, t in source.items() if n not in existing]
        for name, kind, _ in added:
            self._drift(f"{table}: column {name} added ({kind})")
        return layout + added, bool(added)

    def prepare(
        self,
        relation: Relation,
        events: Iterable[ChangeEvent],
        batch_id: str,
        *,
        now: datetime | None = None,
    ) -> Prepared:
        """The Arrow table of one table's events not yet in Bronze (CPU only, nothing written)."""
        table = bronze_name(relation)
        mark = self.high_water_mark(table)
        now = now or datetime.now(UTC)
        read_ms = int(now.timestamp() * 1000)
        db, server = self.settings.pg_database, self.server_name
        layout, adds_columns = self.layout(table, relation)
        kept: list[ChangeEvent] = []
        images: list[dict] = []
        envelopes: list[str] = []
        written: Counter[str] = Counter()
        last = mark
        for event in events:
            key = (event.lsn, 0 if event.op == "r" else 1)
            # a snapshot arrives in several chunks that share one position: only
            # change events at or below the mark were written before
            if key < mark or (key == mark and event.op != "r"):
                continue
            kept.append(event)
            images.append(event.after if event.after is not None else (event.before or {}))
            envelopes.append(event.envelope_json(db=db, server_name=server, read_ms=read_ms))
            written[event.op] += 1
            if key > last:
                last = key
        if not kept:
            return Prepared(table, None, written, last, adds_columns)
        n = len(kept)
        meta = {
            "_op": [e.op for e in kept],
            "_lsn": [e.lsn for e in kept],
            "_tx_id": [e.tx_id for e in kept],
            "_commit_ts": [e.commit_time for e in kept],
            "_seq": [e.seq for e in kept],
            **batch_constants(now, batch_id, n),
            "_envelope": envelopes,
        }
        fields, arrays = [], []
        for name, spark_type, kind in layout:
            arrow = arrow_type(spark_type)
            fields.append(pa.field(name, arrow))
            if kind == "meta":
                column = meta[name]
                arrays.append(column if isinstance(column, pa.Array) else pa.array(column, arrow))
            elif kind == "src":
                arrays.append(
                    self.column(table, name, [i.get(name) for i in images], spark_type, arrow)
                )
            else:
                arrays.append(pa.nulls(n, arrow))
        return Prepared(
            table,
            pa.Table.from_arrays(arrays, schema=pa.schema(fields)),
            written,
            last,
            adds_columns,
        )

    def combine(self, parts: list[Prepared]) -> Prepared:
        """One table's prepared parts (e.g. before and after a source column was added) as
        one Prepared, so they land in one Delta commit; columns missing from a part are null."""
        tables = [p.rows for p in parts if p.rows is not None]
        rows = (
            None
            if not tables
            else tables[0]
            if len(tables) == 1
            else pa.concat_tables(tables, promote_options="default")
        )
        written = sum((p.written for p in parts), Counter())
        return Prepared(
            parts[0].table,
            rows,
            written,
            max(p.mark for p in parts),
            any(p.adds_columns for p in parts),
        )

    def commit(self, prepared: Prepared) -> Counter[str]:
        """Append a prepared table to Bronze in one Delta commit; safe from worker threads."""
        if prepared.rows is None:
            return prepared.written
        append_delta(
            self.spark.createDataFrame(prepared.rows),
            self.settings,
            DATABASE,
            prepared.table,
            partition_by=["_ingest_date"],
            merge_schema=prepared.adds_columns,
        )
        self.schemas[prepared.table] = {f.name: spark_type_of(f.type) for f in prepared.rows.schema}
        self.marks[prepared.table] = prepared.mark
        if self.tables is not None:
            self.tables.add(prepared.table)
        return prepared.written

    def column(
        self, table: str, column: str, items: list, spark_type: str, arrow: pa.DataType
    ) -> pa.Array:
        """JSON values -> an Arrow array of the Bronze type, vectorised; values that do not
        fit become null (kept in _envelope) and are recorded as drift."""
        try:
            if spark_type in _PARSED_FROM_TEXT or spark_type.startswith("decimal"):
                return pc.cast(pa.array(items, pa.string()), arrow)
            if spark_type != "binary":
                return pa.array(items, arrow)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            pass
        return pa.array([self._convert(table, column, v, spark_type, arrow) for v in items], arrow)

    def _convert(self, table: str, column: str, value, spark_type: str, arrow: pa.DataType):
        try:
            typed = _typed(value, spark_type)
            pa.scalar(typed, arrow)  # range and scale checks
            return typed
        except (ValueError, TypeError, ArithmeticError, pa.ArrowException):
            self._drift(
                f"{table}: values of {column} do not fit Bronze type {spark_type} "
                "(written as null; kept in _envelope)"
            )
            return None
