"""The Bronze writer: Arrow tables appended to Delta tables exactly once, by high-water mark.

A reader (CDC, files, APIs) converts its input into Arrow tables of Bronze
rows (`bronze.<name>`) and hands them over as `Prepared` parts: the rows, the
counts by kind, and the high-water mark the rows reach. The writer knows no
reader: it only

- reads each table's high-water mark with the reader's `MarkQuery` (an
  aggregate over the table), so a replay can drop what a crashed run wrote;
- reconciles a reader's schema with the table's (`layout`): Bronze keeps its
  column types, a column the reader no longer sends is written as null, a new
  one is added (merge schema); every difference is recorded as schema drift;
- appends one table's parts in one Delta commit (partitioned by
  `_ingest_date`), through Spark Connect at explicit absolute locations,
  registered in the metastore.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa
from pyspark.sql import SparkSession
from pyspark.sql.pandas.types import from_arrow_type, to_arrow_schema

from infra.engines.spark import append_delta, ensure_database
from infra.settings import Settings

DATABASE = "bronze"
PARTITION = "_ingest_date"
LINEAGE = pa.schema(
    [
        ("_ingested_at", pa.timestamp("us", tz="UTC")),
        (PARTITION, pa.date32()),
        ("_batch_id", pa.string()),
    ]
)
NO_MARK = (-1, -1)
Mark = tuple[int, int]


@dataclass(frozen=True)
class MarkQuery:
    """How a reader's high-water mark is read from a Bronze table: `select` is the list of
    aggregates of one `select ... from <table>`, `mark` turns its row into the mark."""

    select: str
    mark: Callable[[dict[str, Any]], Mark]


@dataclass(frozen=True)
class Prepared:
    """One table's share of a batch, converted and ready to append (rows None: nothing new)."""

    table: str
    rows: pa.Table | None
    written: Counter[str]  # rows by kind (e.g. change operation)
    mark: Mark
    adds_columns: bool


def lineage_columns(now: datetime, batch_id: str, rows: int) -> dict[str, pa.Array]:
    """The lineage columns every row of a batch shares (pa.repeat: a Python list of n
    datetimes would cost more than the whole row conversion)."""
    values = (now, now.date(), batch_id)
    return {
        f.name: pa.repeat(pa.scalar(v, f.type), rows) for f, v in zip(LINEAGE, values, strict=True)
    }


def spark_name(arrow: pa.DataType) -> str:
    """The Spark SQL name of an Arrow type (as schema drift reports it)."""
    return str(from_arrow_type(arrow).simpleString())


@dataclass
class BronzeWriter:
    """Appends prepared Arrow tables to Bronze; marks and schemas are cached per writer."""

    spark: SparkSession
    settings: Settings
    mark_query: MarkQuery
    marks: dict[str, Mark] = field(default_factory=dict)
    schemas: dict[str, pa.Schema | None] = field(default_factory=dict)
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

    def high_water_mark(self, table: str) -> Mark:
        """The newest mark Bronze holds for the table (NO_MARK when it holds none)."""
        if table not in self.marks:
            if not self.exists(table):
                self.marks[table] = NO_MARK
            else:
                row = self.spark.sql(
                    f"select {self.mark_query.select} from {DATABASE}.{table}"
                ).collect()[0]
                self.marks[table] = self.mark_query.mark(row.asDict())
        return self.marks[table]

    def raise_mark(self, table: str, mark: Mark) -> None:
        """Nothing at or below mark is to be written (e.g. an empty table's snapshot point)."""
        self.marks[table] = max(self.high_water_mark(table), mark)

    def schema(self, table: str) -> pa.Schema | None:
        """The Bronze table's Arrow schema (None when it does not exist yet); cached."""
        if table not in self.schemas:
            self.schemas[table] = (
                to_arrow_schema(self.spark.table(f"{DATABASE}.{table}").schema, timezone="UTC")
                if self.exists(table)
                else None
            )
        return self.schemas[table]

    def record_drift(self, message: str) -> None:
        """Note a schema difference once per writer (reported in the run's summary)."""
        if message not in self.schema_drift:
            self.schema_drift.append(message)

    def layout(self, table: str, source: pa.Schema) -> tuple[pa.Schema, bool]:
        """The schema to write a reader's columns with, and whether it adds columns.

        Bronze keeps its existing columns and their types (a column the reader no longer
        sends is written as null); a new reader column is added. All drift is recorded.
        """
        existing = self.schema(table)
        if existing is None:
            return source, False
        fields: list[pa.Field] = []
        for kept in existing:
            index = source.get_field_index(kept.name)
            if index < 0:
                self.record_drift(
                    f"{table}: column {kept.name} no longer sent by the source (null)"
                )
            elif source.field(index).type != kept.type:
                self.record_drift(
                    f"{table}: column {kept.name} retyped at the source "
                    f"({spark_name(kept.type)} -> {spark_name(source.field(index).type)}); "
                    f"Bronze keeps {spark_name(kept.type)}"
                )
            fields.append(pa.field(kept.name, kept.type))  # nullable: gone columns are null
        added = [f for f in source if existing.get_field_index(f.name) < 0]
        for new in added:
            self.record_drift(f"{table}: column {new.name} added ({spark_name(new.type)})")
        return pa.schema(fields + added), bool(added)

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
        return Prepared(
            parts[0].table,
            rows,
            sum((p.written for p in parts), Counter()),
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
            partition_by=[PARTITION],
            merge_schema=prepared.adds_columns,
        )
        self.schemas[prepared.table] = prepared.rows.schema
        self.marks[prepared.table] = prepared.mark
        if self.tables is not None:
            self.tables.add(prepared.table)
        return prepared.written
