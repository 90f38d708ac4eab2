"""Trino live on the session stack: catalogs on the shared metastore and the OLTP source,
`lakepulse query`, dbt Gold built by Trino and reconciled with Sail's, and its failures."""

from __future__ import annotations

import csv
import io
import json
import shutil
import socket
from decimal import Decimal
from pathlib import Path

import pytest

from infra.engines import trino
from ingestion.cdc.capture import run as capture
from ingestion.source.seeder import seed
from tests.helpers import reset_capture, run_cli

pytestmark = pytest.mark.stack

SLOT = "lakepulse_cdc"
JOIN = (
    "select c.customer_id, count(*) as lines, sum(f.extended_amount) as revenue "
    "from source.sales.customers c join lake.gold.fct_sales f on f.customer_id = c.customer_id "
    "group by c.customer_id order by revenue desc limit 5"
)


@pytest.fixture(scope="module")
def gold(spark, settings):
    """SF 0.01 seeded, captured into Bronze and built into Silver and Gold by Sail."""
    from flows.dbt_runner import run_dbt

    reset_capture(spark, settings, SLOT, layers=("bronze", "silver", "gold"))
    seed(settings, scale=0.01, seed=11, dirty_rate=0.1, replace=True)
    capture(settings, slot=SLOT)
    result = run_dbt(["build"], settings, capture=True)
    assert result.returncode == 0, result.stdout[-5000:]
    yield
    reset_capture(spark, settings, SLOT, layers=("bronze", "silver", "gold"))


def test_trino_sees_every_layer_sail_wrote_and_reads_the_source_read_only(
    trino_env, gold, spark, settings
):
    catalogs = {row[0] for row in trino.query(settings, "show catalogs").rows}
    assert {"lake", "source", "memory"} <= catalogs
    for layer, table in (("bronze", "sales__orders"), ("silver", "stg_wwi__orders")):
        got = trino.query(settings, f"select count(*) from lake.{layer}.{table}").rows[0][0]
        assert got == spark.table(f"{layer}.{table}").count()
    revenue = trino.query(settings, "select sum(extended_amount) from lake.gold.fct_sales")
    expected = spark.sql("select sum(extended_amount) s from gold.fct_sales").first()["s"]
    assert revenue.rows[0][0] == expected
    orders = trino.query(settings, "select count(*) from source.sales.orders").rows[0][0]
    assert orders == spark.table("silver.stg_wwi__orders").count()
    with pytest.raises(Exception, match="read-only"):
        trino.query(settings, "delete from source.sales.order_lines where order_line_id = 1")
    trino.query(settings, "create table memory.default.scratch as select 1 as a")
    assert trino.query(settings, "select a from memory.default.scratch").rows == [(1,)]


def test_query_command_joins_live_postgres_to_gold_as_table_csv_and_json(trino_env, gold):
    shown = run_cli("query", JOIN, env=trino_env)
    assert shown.returncode == 0, shown.stderr
    assert "customer_id" in shown.stdout and "5 rows" in shown.stdout
    as_csv = run_cli("query", JOIN, "--format", "csv", env=trino_env)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    as_json = json.loads(run_cli("query", JOIN, "--format", "json", env=trino_env).stdout)
    assert len(rows) == len(as_json) == 5
    assert [Decimal(r["revenue"]) for r in rows] == [Decimal(r["revenue"]) for r in as_json]
    bad = run_cli("query", "select * from lake.gold.no_such_table", env=trino_env)
    assert bad.returncode == 1
    assert bad.stderr.count("\n") == 1 and "TABLE_NOT_FOUND" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_reconcile_builds_gold_on_trino_and_matches_sail(trino_env, gold, spark, settings):
    result = run_cli("reconcile", "--engines", "sail,trino", env=trino_env, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    assert "Gold reconciles" in result.stdout
    tables = trino.query(settings, "show tables from lake.gold_trino").rows
    assert {"fct_sales", "dim_customer", "sales_metrics"} <= {row[0] for row in tables}
    located = trino.query(settings, 'select distinct "$path" from lake.gold_trino.dim_date').rows[
        0
    ][0]
    assert str(settings.lake_dir / "gold_trino") in located


def fresh_env(home_factory, name: str) -> dict[str, str]:
    """A new state directory on free ports: `up` must fail before starting anything."""
    from tests.helpers import stack_env

    return stack_env(home_factory(name))


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def assert_nothing_started(env: dict[str, str]) -> None:
    status = run_cli("status", env=env)
    assert "healthy" not in status.stdout.replace("unhealthy", "")


def test_trino_port_in_use_is_one_line_naming_the_variable(home_factory):
    env = fresh_env(home_factory, "trino-port")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        env["LAKEPULSE_TRINO_PORT"] = str(sock.getsockname()[1])
        result = run_cli("up", "--only", "trino", env=env)
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1
    assert "LAKEPULSE_TRINO_PORT" in result.stderr and "trino" in result.stderr
    assert_nothing_started(env)


def test_corrupt_or_missing_trino_archive_is_one_line_naming_the_fix(home_factory, tmp_path):
    from infra.services import trino as service

    mirror = tmp_path / "mirror"
    target = mirror / service.ARCHIVE.url.split("/maven2/", 1)[1]
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not a tarball")
    env = fresh_env(home_factory, "trino-archive")
    env["LAKEPULSE_CACHE"] = str(tmp_path / "cache")
    env["LAKEPULSE_MAVEN_URL"] = mirror.as_uri()
    corrupt = run_cli("up", "--only", "trino", env=env)
    assert corrupt.returncode == 3, corrupt.stderr
    assert "Traceback" not in corrupt.stderr
    [line] = error_lines(corrupt.stderr)  # download progress may precede it
    assert "sha1" in line and "hint:" in line
    shutil.rmtree(mirror)
    missing = run_cli("up", "--only", "trino", env=env)
    assert missing.returncode == 3
    [line] = error_lines(missing.stderr)
    assert "cannot download" in line and "LAKEPULSE_MAVEN_URL" in line
    assert_nothing_started(env)


def test_too_old_jdk_is_one_line_naming_the_fix(home_factory):
    jdk17 = next(
        home
        for home in sorted(Path("/usr/lib/jvm").iterdir())
        if (home / "release").exists() and 'JAVA_VERSION="17' in (home / "release").read_text()
    )
    env = fresh_env(home_factory, "trino-jdk")
    env["LAKEPULSE_TRINO_JAVA_HOME"] = str(jdk17)
    result = run_cli("up", "--only", "trino", env=env)
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1
    assert "Java 24 or newer" in result.stderr and "LAKEPULSE_TRINO_JAVA_HOME" in result.stderr
    assert_nothing_started(env)
