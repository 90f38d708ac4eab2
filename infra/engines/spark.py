"""Spark Connect sessions and table creation with explicit absolute locations.

All Spark work in LakePulse goes through this module: the embedded Sail server
by default, or any Spark Connect endpoint named by LAKEPULSE_SPARK_REMOTE.
With a Hive Metastore catalog every table must carry an absolute LOCATION
(the metastore returns `file:` database URIs that Sail treats as relative).
"""

from __future__ import annotations

import contextlib
import re
import socket

from pyspark.sql import DataFrame, SparkSession

from infra import storage
from infra.errors import ConfigError, EngineUnavailable
from infra.settings import LAYERS, Settings

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _endpoint(remote: str) -> tuple[str, int]:
    """Host and port of an sc://host:port[/;params] URL (Spark Connect's default port 15002)."""
    rest = remote.removeprefix("sc://").split("/", 1)[0].split(";", 1)[0]
    host, _, port = rest.rpartition(":")
    return (host, int(port)) if host and port.isdigit() else (rest, 15002)


def _reachable(remote: str, timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection(_endpoint(remote), timeout=timeout):
            return True
    except OSError:
        return False


_OPENED: list[SparkSession] = []


def session(settings: Settings | None = None) -> SparkSession:
    """A Spark Connect session to the configured endpoint (one per process, reused)."""
    settings = settings or Settings.from_env()
    # the client retries a dead endpoint for minutes: fail fast instead
    if not _reachable(settings.spark_remote):
        raise EngineUnavailable(
            f"Spark Connect at {settings.spark_remote} does not answer (connection refused): "
            "run `lakepulse up` or fix LAKEPULSE_SPARK_REMOTE"
        )
    try:
        spark = SparkSession.builder.remote(settings.spark_remote).getOrCreate()
        if not any(spark is opened for opened in _OPENED):
            _OPENED.append(spark)
        spark.sql("select 1").collect()
    except Exception as exc:  # grpc errors come in several types
        raise EngineUnavailable(
            f"Spark Connect at {settings.spark_remote} does not answer "
            f"({type(exc).__name__}): run `lakepulse up` or fix LAKEPULSE_SPARK_REMOTE"
        ) from exc
    return spark


_METASTORE_SIGNS = ("HMS", "hive metastore", "thrift", "transport error")


def explain_error(exc: BaseException, settings: Settings | None = None) -> str:
    """One line naming the cause and the fix of a failed Spark Connect request."""
    settings = settings or Settings.from_env()
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if any(sign.lower() in text.lower() for sign in _METASTORE_SIGNS):
        return (
            f"the Hive Metastore at {settings.metastore_uri} does not answer ({text[:160]}): "
            "run `lakepulse up` (or `lakepulse status` to see what is down)"
        )
    if not storage.s3_reachable(settings):
        endpoint = storage.s3_access(settings).endpoint
        return (
            f"the lake's S3 endpoint {endpoint} does not answer ({text[:160]}): run "
            "`lakepulse up` (embedded S3) or fix LAKEPULSE_S3_ENDPOINT, then rerun "
            "(Delta commits are atomic: nothing half-written is visible)"
        )
    if "UNAVAILABLE" in text or "Connection refused" in text:
        return (
            f"Spark Connect at {settings.spark_remote} stopped answering: run `lakepulse up` "
            "and rerun (nothing unconfirmed was acknowledged)"
        )
    return f"Spark request failed: {text[:300]} (see {settings.log_file(settings.engine)})"


def new_session(settings: Settings | None = None, *, remote: str | None = None) -> SparkSession:
    """A fresh, independent Spark Connect session (not the process default).

    `remote`: another endpoint than the configured one (e.g. one engine of the stack).
    """
    settings = settings or Settings.from_env()
    spark = SparkSession.builder.remote(remote or settings.spark_remote).create()
    _OPENED.append(spark)
    return spark


def stop_sessions() -> None:
    """Close this process's Spark Connect sessions while the server still answers.

    A session left open when its server has gone makes the client retry at
    interpreter exit for minutes; stop them before stopping the stack.
    """
    while _OPENED:
        spark = _OPENED.pop()
        # already closed, or the server is gone: nothing left to release
        with contextlib.suppress(Exception):
            spark.stop()


def _check_ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ConfigError(
            f"{name!r} is not a valid table or database identifier: use letters, digits and _"
        )
    return name


def table_location(settings: Settings, database: str, table: str) -> str:
    """The absolute lake location of a table: <lake>/<database>/<table> (a path or s3:// URI)."""
    return storage.location(settings, _check_ident(database), _check_ident(table))


def ensure_database(spark: SparkSession, settings: Settings, database: str) -> None:
    storage.ensure_dir(settings, _check_ident(database))
    location = storage.location(settings, database)
    spark.sql(f"create database if not exists {database} location '{location}'")


def ensure_layers(spark: SparkSession, settings: Settings) -> None:
    for layer in LAYERS:
        ensure_database(spark, settings, layer)


def table_exists(spark: SparkSession, database: str, table: str) -> bool:
    rows = spark.sql(f"show tables in {_check_ident(database)}").collect()
    return any(row["tableName"] == table for row in rows)


def append_delta(
    df: DataFrame,
    settings: Settings,
    database: str,
    table: str,
    *,
    partition_by: list[str] | None = None,
    merge_schema: bool = False,
) -> str:
    """Append df to database.table, creating it at its absolute lake location when new.

    Uses append (never overwrite, which the metastore catalog rejects as REPLACE and
    which Sail would apply to the whole table). Returns the qualified table name.
    """
    location = table_location(settings, database, table)
    writer = df.write.format("delta").mode("append").option("path", location)
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    if merge_schema:
        writer = writer.option("mergeSchema", "true")
    qualified = f"{database}.{table}"
    writer.saveAsTable(qualified)
    return qualified
