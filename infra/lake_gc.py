"""Remove table generations the metastore no longer points at.

dbt tables on Sail + Hive Metastore live at `<lake>/<layer>/<model>/<generation>`
(see dbt_project/macros/sail/create_table_as.sql): a full refresh or a column
change creates a new generation and drops the old table, whose files stay
(every table is EXTERNAL). This removes those orphaned generation folders,
never the one a table's location names. It also drops metastore entries of dbt tables
that never got a Delta commit (`drop_uncommitted_tables`): the metastore registers a
`create table ... as select` before its first commit, so a build interrupted in between
(the lake's S3 stopped, Sail killed) leaves a table that cannot be read and that dbt
would try to replace; dropping the entry loses no data, and the daily pipeline does it
before each dbt build (flows/pipeline.py), which then creates the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyspark.sql import SparkSession

from infra import storage
from infra.settings import Settings

GENERATION = re.compile(r"^\d{8}T\d{6}-[0-9a-f]{8}$")
DBT_LAYERS = ("silver", "gold")


@dataclass(frozen=True)
class Pruned:
    path: str
    bytes: int


def described_location(spark: SparkSession, table: str) -> str | None:
    """The location the metastore records for `database.table` (None for a view or no table)."""
    try:
        described = spark.sql(f"describe table extended {table}").collect()
    except Exception:  # a view, or a table being dropped meanwhile
        return None
    for info in described:
        if info["col_name"] == "Location" and info["data_type"]:
            return str(info["data_type"]).removeprefix("file:")
    return None


def table_locations(spark: SparkSession, database: str) -> dict[str, str]:
    locations = {}
    for row in spark.sql(f"show tables in {database}").collect():
        location = described_location(spark, f"{database}.{row['tableName']}")
        if location is not None:
            locations[row["tableName"]] = location
    return locations


def prune_generations(spark: SparkSession, settings: Settings) -> list[Pruned]:
    pruned: list[Pruned] = []
    for layer in DBT_LAYERS:
        root = storage.location(settings, layer)
        live = {storage.fs_path(where) for where in table_locations(spark, layer).values()}
        for model_dir in storage.subfolders(settings, root):
            for generation in storage.subfolders(settings, model_dir):
                name = generation.rstrip("/").rsplit("/", 1)[-1]
                if GENERATION.match(name) and storage.fs_path(generation) not in live:
                    size = sum(size for _, size in storage.files_under(settings, generation))
                    storage.remove_tree(settings, generation)
                    pruned.append(Pruned(generation, size))
    return pruned


def has_commit(settings: Settings, location: str) -> bool:
    """True when the Delta log under `location` holds at least one commit or checkpoint."""
    return any(
        name.endswith((".json", ".checkpoint.parquet"))
        for name, _ in storage.files_under(settings, f"{location.rstrip('/')}/_delta_log")
    )


def drop_uncommitted_tables(spark: SparkSession, settings: Settings) -> list[str]:
    """Drop dbt tables (Silver, Gold) the metastore lists but that have no Delta commit."""
    dropped = []
    for layer in DBT_LAYERS:
        for name, location in table_locations(spark, layer).items():
            if not has_commit(settings, location):
                spark.sql(f"drop table if exists {layer}.{name}")
                dropped.append(f"{layer}.{name}")
    return dropped
