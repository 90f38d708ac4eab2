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
    if spark_type == "string" and not isinstance(value, str):
        return str(value)
    return value


@dataclass
class BronzeWriter:
    spark: SparkSession
    settings: Settings
    server_name: str = "wwi"
    marks: dict[str, tuple[int, int]] = field(default_factory=dict)
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

    def write(
        self, relation: Relation, events: Iterable[ChangeEvent], batch_id: str
    ) -> Counter[str]:
        """Append the events of one table not yet in Bronze; returns what was written, by op."""
        table = bronze_name(relation)
        mark = self.high_water_mark(table)
        now = datetime.now(UTC)
        read_ms = int(now.timestamp() * 1000)
        columns = [(c.name, values.spark_type(c.type_oid, c.type_modifier))
                   for c in relation.columns]
        rows = []
        written: Counter[str] = Counter()
        last = mark
        for event in events:
            key = (event.lsn, 0 if event.op == "r" else 1)
            if key <= mark:
                continue
            image = event.after if event.after is not None else (event.before or {})
            rows.append((
                *(_typed(image.get(name), kind) for name, kind in columns),
                event.op, event.lsn, event.tx_id, event.commit_time, event.seq, now, now.date(),
                batch_id,
                event.envelope_json(db=self.settings.pg_database, server_name=self.server_name,
                                    read_ms=read_ms),
            ))
            written[event.op] += 1
            last = max(last, key)
        if not rows:
            return written
        schema = ", ".join(f"`{name}` {kind}" for name, kind in (*columns, *METADATA))
        df = self.spark.createDataFrame(rows, schema)
        evolving = self._note_drift(table, columns)
        append_delta(df, self.settings, DATABASE, table, partition_by=["_ingest_date"],
                     merge_schema=evolving)
        self.marks[table] = last
        return written

    def _note_drift(self, table: str, columns: list[tuple[str, str]]) -> bool:
        """Compare the source columns with Bronze's; record drift; True if columns were added."""
        if not table_exists(self.spark, DATABASE, table):
            return False
        existing = {
            f.name: f.dataType.simpleString()
            for f in self.spark.table(f"{DATABASE}.{table}").schema.fields
        }
        added = [name for name, _ in columns if name not in existing]
        dropped = [name for name in existing
                   if not name.startswith("_") and name not in dict(columns)]
        retyped = [name for name, kind in columns if name in existing and existing[name] != kind]
        for name in added:
            self.schema_drift.append(f"{table}: column {name} added")
        for name in dropped:
            self.schema_drift.append(f"{table}: column {name} no longer sent (kept, null)")
        for name in retyped:
            self.schema_drift.append(f"{table}: column {name} retyped at the source")
        return bool(added)
