"""Gold built by two engines, compared: row counts, sums of every measure, checksums of the rest.

`lakepulse reconcile --engines sail,trino` keeps the first engine's Gold (schema `gold`,
built by the pipeline) as the reference, builds Gold again with the second engine from
the same Silver into `gold_<engine>` (dbt `build --select marts` with
LAKEPULSE_DBT_SCHEMA_SUFFIX, so every dbt test of Gold runs on that engine too), and
compares every table of the two schemas through one Spark session:

- the row count;
- numeric columns: their sum (integers and decimals exactly, floating point within a
  relative 1e-9) and their count of non-nulls;
- every other column (keys, names, dates, flags): the sum of a hash of its text, which
  catches any changed, missing or extra value, and its count of non-nulls.

Nothing here depends on which engines built the tables: both are read as Delta tables
through the metastore.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from pyspark.sql import SparkSession
from pyspark.sql.types import (
    ByteType,
    DataType,
    DecimalType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    ShortType,
)

from infra.engines.sail_locations import register_for_sail
from infra.engines.spark import ensure_database, new_session
from infra.errors import ConfigError
from infra.settings import Settings

ENGINE_TARGETS = {"sail": "local", "spark": "spark", "trino": "trino"}
"""Engine name -> the dbt target (profiles/profiles.yml) that builds with it."""
REFERENCE_SCHEMA = "gold"
RELATIVE_TOLERANCE = 1e-9
_ENGINE = re.compile(r"^[a-z][a-z0-9_]*$")

Value = int | Decimal | float | None


@dataclass(frozen=True)
class ColumnProfile:
    """What is compared of one column: `measure` is a sum (numeric) or a text checksum."""

    kind: str  # "sum" | "float-sum" | "checksum"
    measure: Value
    non_null: int


@dataclass(frozen=True)
class TableProfile:
    table: str
    rows: int
    columns: dict[str, ColumnProfile] = field(default_factory=dict)


@dataclass(frozen=True)
class Difference:
    table: str
    column: str  # "" for the table itself
    what: str
    left: object
    right: object

    def line(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        return f"{where}: {self.what} differs ({self.left} vs {self.right})"


@dataclass(frozen=True)
class TableResult:
    table: str
    left_rows: int | None
    right_rows: int | None
    columns: int
    differences: list[Difference]


@dataclass(frozen=True)
class Reconciliation:
    left_schema: str
    right_schema: str
    tables: list[TableResult]

    @property
    def differences(self) -> list[Difference]:
        return [d for t in self.tables for d in t.differences]

    @property
    def ok(self) -> bool:
        return bool(self.tables) and not self.differences


def engine_schema(engine: str) -> str:
    """Where the second engine's Gold goes: `gold_<engine>`."""
    return f"{REFERENCE_SCHEMA}_{check_engine(engine)}"


def check_engine(engine: str) -> str:
    if engine not in ENGINE_TARGETS or not _ENGINE.match(engine):
        raise ConfigError(
            f"unknown engine {engine!r}",
            hint=f"choose from {', '.join(ENGINE_TARGETS)}",
        )
    return engine


def parse_engines(value: str) -> tuple[str, str]:
    """`sail,trino` -> ("sail", "trino"): the reference engine and the one to compare."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    if len(names) != 2 or names[0] == names[1]:
        raise ConfigError(
            f"--engines {value!r} must name two different engines",
            hint="e.g. --engines sail,trino (the first built `gold`, the second builds gold_trino)",
        )
    return check_engine(names[0]), check_engine(names[1])


def build_gold(settings: Settings, engine: str, spark: SparkSession) -> str:
    """Build Gold with `engine` into `gold_<engine>` (models and their dbt tests); its schema.

    Sail cannot open tables JVM Spark registered (`file:/` locations) nor its views, so
    before Sail builds, Silver is handed over to it (`hand_over_to_sail`); after JVM Spark
    built, its Gold is registered for Sail when Sail compares.
    """
    from flows.dbt_runner import run_dbt_command

    schema = engine_schema(engine)
    ensure_database(spark, settings, schema)  # at an absolute lake location, for every engine
    if engine == "sail":
        hand_over_to_sail(settings)
    run_dbt_command(
        ["build", "--select", "marts"],
        settings,
        target=ENGINE_TARGETS[engine],
        extra_env={"LAKEPULSE_DBT_SCHEMA_SUFFIX": schema.removeprefix(REFERENCE_SCHEMA)},
    )
    if engine == "spark" and settings.spark_remote == settings.engine_remote("sail"):
        register_for_sail(spark, schema)
    return schema


def hand_over_to_sail(settings: Settings) -> None:
    """Silver as Sail can read it: tables JVM Spark registered registered again through
    Sail (same files), and the views created again by dbt on Sail."""
    from flows.dbt_runner import run_dbt_command

    sail = new_session(settings, remote=settings.engine_remote("sail"))
    try:
        register_for_sail(sail, "silver")
    finally:
        sail.stop()
    run_dbt_command(["run", "--select", "config.materialized:view"], settings, target="local")


_INTEGRAL = (ByteType, ShortType, IntegerType, LongType)


def _column_kind(data_type: DataType) -> str:
    if isinstance(data_type, (*_INTEGRAL, DecimalType)):
        return "sum"
    if isinstance(data_type, FloatType | DoubleType):
        return "float-sum"
    return "checksum"


def _measure_sql(column: str, kind: str) -> str:
    quoted = f"`{column.replace('`', '``')}`"
    if kind == "sum":
        return f"sum(cast({quoted} as decimal(38, 6)))"
    if kind == "float-sum":
        return f"sum(cast({quoted} as double))"
    return f"sum(cast(hash(cast({quoted} as string)) as bigint))"


def profile_table(spark: SparkSession, table: str) -> TableProfile:
    """Row count and, per column, its sum or checksum and non-null count (one query)."""
    fields = spark.table(table).schema.fields
    kinds = {f.name: _column_kind(f.dataType) for f in fields}
    selects = ["count(*) as c0"]
    for i, (name, kind) in enumerate(kinds.items(), start=1):
        quoted = f"`{name.replace('`', '``')}`"
        selects.append(f"{_measure_sql(name, kind)} as m{i}")
        selects.append(f"count({quoted}) as n{i}")
    row = spark.sql(f"select {', '.join(selects)} from {table}").collect()[0]
    columns = {
        name: ColumnProfile(kind, row[f"m{i}"], int(row[f"n{i}"]))
        for i, (name, kind) in enumerate(kinds.items(), start=1)
    }
    return TableProfile(table, int(row["c0"]), columns)


def _same(kind: str, left: Value, right: Value) -> bool:
    if left is None or right is None:
        return left is right
    if kind == "float-sum":
        return math.isclose(float(left), float(right), rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-6)
    return Decimal(str(left)) == Decimal(str(right))


def compare(left: TableProfile, right: TableProfile, name: str) -> list[Difference]:
    """Every way `right` differs from `left` (empty when they agree)."""
    found: list[Difference] = []
    if left.rows != right.rows:
        found.append(Difference(name, "", "row count", left.rows, right.rows))
    for column, mine in left.columns.items():
        theirs = right.columns.get(column)
        if theirs is None:
            found.append(Difference(name, column, "presence", "present", "missing"))
            continue
        if mine.non_null != theirs.non_null:
            found.append(Difference(name, column, "non-null count", mine.non_null, theirs.non_null))
        if (mine.kind == "checksum") != (theirs.kind == "checksum"):
            found.append(Difference(name, column, "type", mine.kind, theirs.kind))
            continue
        # an integer on one engine and a double on the other compares within the tolerance
        kind = mine.kind if mine.kind == theirs.kind else "float-sum"
        if not _same(kind, mine.measure, theirs.measure):
            what = "checksum" if kind == "checksum" else "sum"
            found.append(Difference(name, column, what, mine.measure, theirs.measure))
    for column in right.columns.keys() - left.columns.keys():
        found.append(Difference(name, column, "presence", "missing", "present"))
    return found


def tables_in(spark: SparkSession, schema: str) -> list[str]:
    return sorted(
        row["tableName"]
        for row in spark.sql(f"show tables in {schema}").collect()
        if not row["isTemporary"]
    )


def readable_by_spark(spark: SparkSession, schema: str, engine: str) -> dict[str, str]:
    """What Spark reads for each table of `schema` that `engine` built (table -> name).

    Trino registers its Delta tables in the metastore with a placeholder column list
    (as JVM Spark does) and a `file:` location; Sail takes the metastore's columns and
    cannot read them that way, but reads the Delta table at its path: each becomes a
    temporary view `<schema>__<table>`. Other engines' tables read as they are.
    """
    names = {table: f"{schema}.{table}" for table in tables_in(spark, schema)}
    if engine != "trino":
        return names
    for table in names:
        rows = spark.sql(f"describe table extended {schema}.{table}").collect()
        location = next(str(r["data_type"]) for r in rows if r["col_name"] == "Location")
        view = f"{schema}__{table}"
        spark.read.format("delta").load(location.removeprefix("file:")).createOrReplaceTempView(
            view
        )
        names[table] = view
    return names


def reconcile_schemas(
    spark: SparkSession,
    left_schema: str,
    right_schema: str,
    right_names: dict[str, str] | None = None,
) -> Reconciliation:
    """Compare every table of `left_schema` with its namesake in `right_schema`.

    `right_names` maps a table of `right_schema` to what Spark reads for it
    (`readable_by_spark`); by default its qualified name.
    """
    left_tables = tables_in(spark, left_schema)
    right_tables = set(tables_in(spark, right_schema))
    results: list[TableResult] = []
    for table in left_tables:
        left = profile_table(spark, f"{left_schema}.{table}")
        if table not in right_tables:
            missing = Difference(table, "", "presence", "present", "missing")
            results.append(TableResult(table, left.rows, None, len(left.columns), [missing]))
            continue
        right_name = (right_names or {}).get(table, f"{right_schema}.{table}")
        right = profile_table(spark, right_name)
        results.append(
            TableResult(
                table, left.rows, right.rows, len(left.columns), compare(left, right, table)
            )
        )
    for table in sorted(right_tables - set(left_tables)):
        extra = Difference(table, "", "presence", "missing", "present")
        results.append(TableResult(table, None, None, 0, [extra]))
    return Reconciliation(left_schema, right_schema, results)
