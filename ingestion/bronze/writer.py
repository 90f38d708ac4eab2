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

from pyspark.sql import SparkSession

from infra.settings import Settings
from infra.spark import append_delta, ensure_database, table_exists
from ingestion.cdc import values
from ingestion.cdc.events import ChangeEvent
from ingestion.cdc.pgoutput import Relation

DATABASE = "bronze"
METADATA = (
    ("_op", "string"), ("_lsn", "bigint"), ("_tx_id", "bigint"), ("_commit_ts", "timestamp"),
    ("_seq", "int"), ("_ingested_at", "timestamp"), ("_ingest_date", "date"),
    ("_batch_id", "string"), ("_envelope", "string"),
)
NO_MARK = (-1, -1)


def bronze_name(relation: Relation) -> str:
    return f"{relation.schema}__{relation.name}"


def _typed(value, spark_type: str):
    if value is None:
        return None
    if spark_type.startswith("decimal"):
        return Decimal(value)
    if spark_type == "timestamp":
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if spark_type == "date":
        return date.fromisoformat(value)
    if spark_type == "binary":
        return base64.b64decode(value)
    if spark_type in ("int", "bigint", "smallint"):
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

    def __post_init__(self) -> None:
        ensure_database(self.spark, self.settings, DATABASE)

    def high_water_mark(self, table: str) -> tuple[int, int]:
        if table not in self.marks:
            if not table_exists(self.spark, DATABASE, table):
                self.marks[table] = NO_MARK
            else:
                row = self.spark.sql(
                    f"select max(case when _op <> 'r' then _lsn end) as s, "
                    f"max(case when _op = 'r' then _lsn end) as r from {DATABASE}.{table}"
                ).collect()[0]
                if row["s"] is not None:
                    self.marks[table] = (row["s"], 1)
                elif row["r"] is not None:
                    self.marks[table] = (row["r"], 0)
                else:
                    self.marks[table] = NO_MARK
        return self.marks[table]

    def _bronze_schema(self, table: str) -> dict[str, str] | None:
        """Column -> Spark type of the Bronze table (None when it does not exist yet); cached."""
        if table not in self.schemas:
            self.schemas[table] = (
                {f.name: f.dataType.simpleString()
                 for f in self.spark.table(f"{DATABASE}.{table}").schema.fields}
                if table_exists(self.spark, DATABASE, table) else None
            )
        return self.schemas[table]

    def _drift(self, message: str) -> None:
        if message not in self.schema_drift:
            self.schema_drift.append(message)

    def _layout(self, table: str, relation: Relation) -> tuple[list[tuple[str, str, str]], bool]:
        """Columns to write as (name, Spark type, kind: src | meta | gone), and whether any is new.

        Bronze keeps its existing column types; a column the source no longer sends is
        written as null; a new source column is added (merge schema). All drift is recorded.
        """
        source = {c.name: values.spark_type(c.type_oid, c.type_modifier) for c in relation.columns}
        existing = self._bronze_schema(table)
        meta = dict(METADATA)
        if existing is None:
            return [(n, t, "src") for n, t in source.items()] + [
                (n, t, "meta") for n, t in METADATA], False
        layout = []
        for name, kind in existing.items():
            if name in meta:
                layout.append((name, kind, "meta"))
            elif name in source:
                if source[name] != kind:
                    self._drift(f"{table}: column {name} retyped at the source "
                                f"({kind} -> {source[name]}); Bronze keeps {kind}")
                layout.append((name, kind, "src"))
            else:
                self._drift(f"{table}: column {name} no longer sent by the source (null)")
                layout.append((name, kind, "gone"))
        added = [(n, t, "src") for n, t in source.items() if n not in existing]
        for name, kind, _ in added:
            self._drift(f"{table}: column {name} added ({kind})")
        return layout + added, bool(added)

    def write(
        self, relation: Relation, events: Iterable[ChangeEvent], batch_id: str
    ) -> Counter[str]:
        """Append the events of one table not yet in Bronze; returns what was written, by op."""
        table = bronze_name(relation)
        mark = self.high_water_mark(table)
        now = datetime.now(UTC)
        read_ms = int(now.timestamp() * 1000)
        layout, adds_columns = self._layout(table, relation)
        rows = []
        written: Counter[str] = Counter()
        last = mark
        for event in events:
            key = (event.lsn, 0 if event.op == "r" else 1)
            # a snapshot arrives in several chunks that share one position: only
            # change events at or below the mark were written before
            if key < mark or (key == mark and event.op != "r"):
                continue
            image = event.after if event.after is not None else (event.before or {})
            meta = {
                "_op": event.op, "_lsn": event.lsn, "_tx_id": event.tx_id,
                "_commit_ts": event.commit_time, "_seq": event.seq, "_ingested_at": now,
                "_ingest_date": now.date(), "_batch_id": batch_id,
                "_envelope": event.envelope_json(
                    db=self.settings.pg_database, server_name=self.server_name, read_ms=read_ms
                ),
            }
            rows.append(tuple(
                meta[name] if kind == "meta"
                else self._convert(table, name, image.get(name), spark_type) if kind == "src"
                else None
                for name, spark_type, kind in layout
            ))
            written[event.op] += 1
            last = max(last, key)
        if not rows:
            return written
        schema = ", ".join(f"`{name}` {spark_type}" for name, spark_type, _ in layout)
        df = self.spark.createDataFrame(rows, schema)
        append_delta(df, self.settings, DATABASE, table, partition_by=["_ingest_date"],
                     merge_schema=adds_columns)
        self.schemas[table] = {name: spark_type for name, spark_type, _ in layout}
        self.marks[table] = last
        return written

    def _convert(self, table: str, column: str, value, spark_type: str):
        try:
            return _typed(value, spark_type)
        except (ValueError, TypeError, ArithmeticError):
            self._drift(f"{table}: values of {column} do not fit Bronze type {spark_type} "
                        "(written as null; kept in _envelope)")
            return None
