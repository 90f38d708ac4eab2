"""Make tables that JVM Spark registered readable by Sail.

JVM Spark (and the Hive Metastore itself) record a table's location as a qualified
`file:/abs/path` URI. Sail 0.7.2 cannot open a Delta table recorded that way ("No commit
files found in _delta_log"), while it reads `/abs/path` and `file:///abs/path`; JVM Spark
reads tables Sail registered (`/abs/path`) as they are. So before Sail reads tables JVM
Spark created, they are registered again through Sail, at the same files: `drop table`
(every table is EXTERNAL: the files stay) and `create table ... using delta location`.
The Delta log is the table; nothing is rewritten. Views are not handled here: dbt
creates them again through Sail (see flows/reconcile.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import SparkSession

from infra.engines.spark import _check_ident

JVM_PREFIX = "file:/"


@dataclass(frozen=True)
class Reregistered:
    table: str
    location: str


def described(spark: SparkSession, table: str) -> dict[str, str]:
    """`describe table extended` as {field: value} (Type, Location, Provider, ...)."""
    return {
        str(row["col_name"]): str(row["data_type"])
        for row in spark.sql(f"describe table extended {table}").collect()
    }


def unreadable_location(location: str) -> str | None:
    """The absolute path of a `file:/abs` location Sail cannot open, else None."""
    if location.startswith(JVM_PREFIX) and not location.startswith("file://"):
        return location.removeprefix("file:")
    return None


def register_for_sail(sail: SparkSession, database: str) -> list[Reregistered]:
    """Register again through Sail every table of `database` recorded at `file:/...`."""
    done: list[Reregistered] = []
    for row in sail.sql(f"show tables in {_check_ident(database)}").collect():
        table = f"{database}.{_check_ident(row['tableName'])}"
        info = described(sail, table)
        path = unreadable_location(info.get("Location", ""))
        if info.get("Type", "").upper() == "VIEW" or path is None:
            continue
        sail.sql(f"drop table {table}")
        sail.sql(f"create table {table} using delta location '{path}'")
        done.append(Reregistered(table, path))
    return done
