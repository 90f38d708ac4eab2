"""JVM Spark (Spark 4.2 Spark Connect + Delta Lake 4.4) runs the same pipeline as Sail.

One stack of its own (`jvm_stack_env`: Postgres, metastore, the JVM Spark server and Sail)
with LAKEPULSE_ENGINE=spark: SF 0.01 is captured into Bronze, dbt builds Silver and Gold
(models and their tests) and the three Great Expectations gates pass, all through JVM
Spark; then Sail builds Gold from the same Silver into `gold_sail` and `lakepulse
reconcile --engines spark,sail` finds every table the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from infra.engines.sail_locations import described, register_for_sail
from infra.settings import Settings
from tests.helpers import run_cli

pytestmark = pytest.mark.stack

JVM_ENGINE = "Apache-Spark/4.2.0 Delta-Lake/4.4.0"
CROSS = "xengine"


def cli_ok(env: dict[str, str], *args: str) -> str:
    result = run_cli(*args, env=env, timeout=900)
    assert result.returncode == 0, (
        f"lakepulse {' '.join(args)}:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
    )
    return result.stdout


def engine_info(table_dir: Path) -> set[str]:
    """The engines that wrote a Delta table's commits (commitInfo.engineInfo)."""
    found = set()
    for commit in sorted((table_dir / "_delta_log").glob("*.json")):
        for line in commit.read_text().splitlines():
            info = json.loads(line).get("commitInfo")
            if info:
                found.add(str(info.get("engineInfo", "")))
    return found


def generations(settings: Settings, layer: str, model: str) -> list[Path]:
    return sorted(p for p in (settings.layer_dir(layer) / model).iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def jvm_settings(jvm_stack_env: dict[str, str]) -> Settings:
    return Settings.from_env(jvm_stack_env)


@pytest.fixture(scope="module")
def jvm_gold(jvm_stack_env: dict[str, str], jvm_settings: Settings) -> str:
    """SF 0.01 seeded, captured into Bronze and built into Silver and Gold on JVM Spark."""
    env = jvm_stack_env
    cli_ok(env, "seed", "--scale", "0.01", "--replace")
    cli_ok(env, "ingest", "cdc", "--once")
    return cli_ok(env, "dbt", "build")


def test_jvm_spark_runs_cdc_to_gold_and_every_gate(jvm_stack_env, jvm_settings, jvm_gold):
    assert "Completed successfully" in jvm_gold
    for layer in ("bronze", "silver", "gold"):
        out = cli_ok(jvm_stack_env, "quality", "check", "--layer", layer)
        assert "Data Docs" in out
    # Silver and Gold were written by JVM Spark's Delta Lake, not by Sail
    for layer, model in (("silver", "stg_wwi__orders"), ("gold", "fct_sales")):
        written = engine_info(generations(jvm_settings, layer, model)[-1])
        assert written == {JVM_ENGINE}, (layer, model, written)


def test_reconcile_gold_built_by_jvm_spark_with_gold_built_by_sail(
    jvm_stack_env, jvm_settings, jvm_gold
):
    out = cli_ok(jvm_stack_env, "reconcile", "--engines", "spark,sail")
    assert "Gold reconciles: 13 tables" in out, out[-3000:]
    # gold_sail really is Sail's: its commits name no JVM engine
    sail_written = engine_info(generations(jvm_settings, "gold_sail", "fct_sales")[-1])
    assert sail_written and JVM_ENGINE not in sail_written


@pytest.fixture
def both_engines(jvm_settings: Settings) -> Iterator[tuple[SparkSession, SparkSession]]:
    sail = SparkSession.builder.remote(jvm_settings.engine_remote("sail")).create()
    jvm = SparkSession.builder.remote(jvm_settings.engine_remote("spark")).create()
    yield sail, jvm
    for table in (f"{CROSS}.x_from_sail", f"{CROSS}.x_from_jvm"):
        sail.sql(f"drop table if exists {table}")
    sail.stop()
    jvm.stop()


def test_tables_cross_between_sail_and_jvm_spark_with_utc_instants(both_engines, jvm_settings):
    sail, jvm = both_engines
    instant = datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    expected_epoch = int(instant.timestamp())
    lake = jvm_settings.lake_dir / CROSS
    sail.sql(f"create database if not exists {CROSS} location '{lake}'")
    rows = [(1, "a", instant)]
    schema = "id int, s string, at timestamp"
    sail.createDataFrame(rows, schema).write.format("delta").mode("append").option(
        "path", str(lake / "x_from_sail")
    ).saveAsTable(f"{CROSS}.x_from_sail")
    jvm.createDataFrame(rows, schema).write.format("delta").mode("append").option(
        "path", str(lake / "x_from_jvm")
    ).saveAsTable(f"{CROSS}.x_from_jvm")

    # Sail's tables are EXTERNAL at a plain absolute path: JVM Spark reads them as they are
    info = described(jvm, f"{CROSS}.x_from_sail")
    assert info["Type"] == "EXTERNAL" and info["Location"] == str(lake / "x_from_sail")
    got = jvm.sql(f"select id, s, unix_timestamp(at) e from {CROSS}.x_from_sail").collect()
    assert [(r.id, r.s, r.e) for r in got] == [(1, "a", expected_epoch)]

    # JVM Spark records `file:/...`, which Sail 0.7.2 cannot open until registered again
    assert described(jvm, f"{CROSS}.x_from_jvm")["Location"].startswith("file:/")
    with pytest.raises(Exception, match="(?i)commit"):
        sail.table(f"{CROSS}.x_from_jvm").collect()
    moved = register_for_sail(sail, CROSS)
    assert [m.table for m in moved] == [f"{CROSS}.x_from_jvm"]
    got = sail.sql(f"select id, s, unix_timestamp(at) e from {CROSS}.x_from_jvm").collect()
    assert [(r.id, r.s, r.e) for r in got] == [(1, "a", expected_epoch)]
    # and JVM Spark still reads and appends to it afterwards
    jvm.sql(f"insert into {CROSS}.x_from_jvm values (2, 'b', timestamp'2024-03-31 02:30:00')")
    assert jvm.table(f"{CROSS}.x_from_jvm").count() == 2
    assert sail.table(f"{CROSS}.x_from_jvm").count() == 2
