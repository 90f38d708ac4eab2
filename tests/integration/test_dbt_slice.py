"""The minimal slice: Bronze via Spark Connect, Silver via `dbt build --target local`."""

from __future__ import annotations

import pytest

from flows.dbt_runner import run_dbt
from ingestion.sample.slice import write_slice

pytestmark = pytest.mark.stack

MODEL = "stg_demo__customers"


def test_demo_command_builds_bronze_and_silver(stack_env_vars):
    from tests.helpers import run_cli

    result = run_cli("demo", env=stack_env_vars)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bronze.demo__customers" in result.stdout
    assert "silver.stg_demo__customers" in result.stdout
    assert f"http://127.0.0.1:{stack_env_vars['LAKEPULSE_PREFECT_PORT']}" in result.stdout


def test_silver_model_applies_changes_and_cleans(settings, spark):
    write_slice(spark, settings)
    build = run_dbt(["build", "--select", MODEL], settings, capture=True)
    assert build.returncode == 0, build.stdout[-3000:]
    rows = {r["customer_id"]: r for r in spark.sql(f"select * from silver.{MODEL}").collect()}
    assert sorted(rows) == [1, 2, 3, 5]  # 4 was deleted
    assert rows[3]["email"] == "eric.torres@example.com"  # the update won over the snapshot
    assert rows[1]["email"] == "sales@tailspintoys.com"
    assert rows[3]["phone"] == "12175550199"
    assert rows[1]["customer_name"] == "Tailspin Toys (Head Office)"


def test_rebuild_replaces_contents_as_a_new_delta_version(settings, spark):
    from deltalake import DeltaTable

    write_slice(spark, settings)
    assert run_dbt(["run", "--select", MODEL], settings, capture=True).returncode == 0
    location = _location(spark, f"silver.{MODEL}")
    version_before = DeltaTable(location).version()
    assert run_dbt(["run", "--select", MODEL], settings, capture=True).returncode == 0
    assert _location(spark, f"silver.{MODEL}") == location
    assert DeltaTable(location).version() == version_before + 1
    assert spark.sql(f"select count(*) n from silver.{MODEL}").collect()[0]["n"] == 4


def test_dbt_test_catches_a_planted_bad_row(settings, spark):
    write_slice(spark, settings)
    planted = [(None, "No Key Ltd", "nokey@example.com", "555", "c", 999, 0)]
    write_slice(spark, settings, extra_events=planted, batch_id="planted-null-key")
    try:
        build = run_dbt(["build", "--select", MODEL], settings, capture=True)
        assert build.returncode != 0
        assert "not_null_stg_demo__customers_customer_id" in build.stdout
        assert "FAIL 1" in build.stdout
    finally:
        spark.sql("delete from bronze.demo__customers where _batch_id = 'planted-null-key'")
    assert run_dbt(["build", "--select", MODEL], settings, capture=True).returncode == 0


def _location(spark, table: str) -> str:
    rows = spark.sql(f"describe table extended {table}").collect()
    return next(r["data_type"] for r in rows if r["col_name"] == "Location")


def test_full_refresh_makes_a_new_generation_and_removes_the_old_files(
    stack_env_vars, settings, spark
):
    from pathlib import Path

    from tests.helpers import run_cli

    write_slice(spark, settings)
    first = run_cli("dbt", "run", "--select", MODEL, env=stack_env_vars)
    assert first.returncode == 0, first.stdout[-2000:]
    old = Path(_location(spark, f"silver.{MODEL}").removeprefix("file:"))
    assert (old / "_delta_log").is_dir()
    refresh = run_cli("dbt", "run", "--full-refresh", "--select", MODEL, env=stack_env_vars)
    assert refresh.returncode == 0, refresh.stdout[-2000:]
    new = Path(_location(spark, f"silver.{MODEL}").removeprefix("file:"))
    assert new != old and (new / "_delta_log").is_dir()
    assert not old.exists()
    assert f"removed old table generation {old}" in refresh.stdout.replace("\n", "")
    assert spark.sql(f"select count(*) n from silver.{MODEL}").collect()[0]["n"] == 4
