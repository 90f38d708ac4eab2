"""Quality gates on the real stack: pass on clean data, fail on planted faults at each layer,
results recorded, Data Docs written and naming the failure."""

from __future__ import annotations

import pytest

from expectations.gate import docs_index, run_gate
from expectations.spec import load_suite
from flows.dbt_runner import run_dbt
from infra.errors import ConfigError
from ingestion.cdc.capture import run as capture
from ingestion.source.seeder import seed
from tests.helpers import append_modified_copy, reset_capture, run_cli

pytestmark = pytest.mark.stack

SLOT = "lakepulse_cdc"
LAYERS = ("bronze", "silver", "gold")


def build(settings, *args: str) -> None:
    result = run_dbt(["build", *args], settings, capture=True)
    assert result.returncode == 0, result.stdout[-4000:]


@pytest.fixture(scope="module")
def clean(spark, settings):
    # quality too: the row-count anomaly guard compares with earlier runs (other modules' data)
    reset_capture(spark, settings, SLOT, layers=("bronze", "silver", "gold", "quality"))
    seed(settings, scale=0.02, seed=3, dirty_rate=0.05, replace=True)
    capture(settings, slot=SLOT)
    build(settings)
    yield
    # quality too: the row-count anomaly guard compares with earlier runs (other modules' data)
    reset_capture(spark, settings, SLOT, layers=("bronze", "silver", "gold", "quality"))


def quality_cli(env, layer: str, check: str | None = None):
    args = ["quality", "check", "--layer", layer] + (["--table", check] if check else [])
    return run_cli(*args, env=env)


def failed_docs_pages(settings, check: str) -> str:
    pages = sorted((docs_index(settings).parent / "validations").rglob(f"*{check}*.html"))
    assert pages, f"no Data Docs page for {check}"
    return pages[-1].read_text()


def test_every_gate_passes_on_clean_data_and_records_results(clean, spark, settings):
    for layer in LAYERS:
        decision = run_gate(settings, layer)
        assert decision.passed, [
            (f.check, f.expectation, f.observed_value) for f in decision.failures
        ]
        assert len(decision.outcomes) >= len(load_suite(layer).checks)
        recorded = spark.sql(
            "select count(*) n, sum(case when success then 1 else 0 end) ok "
            f"from quality.results where run_id = '{decision.run_id}'"
        ).collect()[0]
        assert recorded["n"] == len(decision.outcomes) == recorded["ok"]
        scores = spark.sql(
            f"select check_name, score from quality.scores where run_id = '{decision.run_id}'"
        ).collect()
        assert {r["check_name"] for r in scores} == set(decision.scores())
        assert all(r["score"] == 1.0 for r in scores)
    assert docs_index(settings).is_file()


def test_bronze_gate_fails_on_a_null_key(clean, spark, settings, stack_env_vars):
    append_modified_copy(
        spark,
        "bronze.sales__customers",
        {
            "customer_id": "cast(null as int)",
            "_op": "'c'",
            "_lsn": "_lsn + 1",
            "_batch_id": "'planted-null-key'",
        },
        order_by="_lsn desc, _seq desc",
    )
    try:
        result = quality_cli(stack_env_vars, "bronze", "sales__customers__keys")
        assert result.returncode == 1, result.stdout
        assert "gate FAILED" in result.stdout
        assert "sales__customers__keys: expect_column_values_to_not_be_null(customer_id)" in (
            result.stdout.replace("\n", "")
        )
        page = failed_docs_pages(settings, "sales__customers__keys")
        assert "expect_column_values_to_not_be_null(customer_id)" in page
        failed = spark.sql(
            "select count(*) n from quality.results where check_name = 'sales__customers__keys' "
            "and not success and unexpected_count = 1"
        ).collect()[0]["n"]
        assert failed >= 1
    finally:
        spark.sql("delete from bronze.sales__customers where _batch_id = 'planted-null-key'")
    assert quality_cli(stack_env_vars, "bronze", "sales__customers__keys").returncode == 0


def test_silver_gate_fails_on_duplicate_keys_and_a_bad_email(clean, spark, settings):
    spark.sql(
        "insert into silver.stg_wwi__customers "
        "select * from silver.stg_wwi__customers order by customer_id limit 1"
    )
    _set_bad_email(spark)
    try:
        decision = run_gate(settings, "silver", "stg_wwi__customers")
        failed = {f.expectation for f in decision.failures}
        assert not decision.passed
        assert "expect_column_values_to_be_unique(customer_id)" in failed
        assert "expect_column_values_to_match_regex(email_address)" in failed
        page = failed_docs_pages(settings, "stg_wwi__customers")
        assert "expect_column_values_to_match_regex(email_address)" in page
    finally:
        build(
            settings,
            "--select",
            "stg_wwi__customers",
            "--full-refresh",
            "--indirect-selection",
            "cautious",
        )
    assert run_gate(settings, "silver", "stg_wwi__customers").passed


def _set_bad_email(spark) -> None:
    last = spark.sql("select max(customer_id) m from silver.stg_wwi__customers").collect()[0]["m"]
    spark.sql(
        "update silver.stg_wwi__customers set email_address = 'not an email' "
        f"where customer_id = {last}"
    )


def test_gold_gate_fails_on_an_orphan_key_and_a_revenue_mismatch(
    clean, spark, settings, stack_env_vars
):
    append_modified_copy(
        spark,
        "gold.fct_sales",
        {"order_line_id": "order_line_id + 10000000", "customer_key": "cast(42 as bigint)"},
        order_by="order_line_id",
    )
    day = spark.sql("select max(order_date) d from gold.sales_metrics").collect()[0]["d"]
    spark.sql(
        "update gold.sales_metrics set total_revenue = total_revenue + 100 "
        f"where order_date = date '{day}'"
    )
    try:
        result = quality_cli(stack_env_vars, "gold")
        assert result.returncode == 1, result.stdout
        out = result.stdout.replace("\n", "")
        assert "fct_sales_orphan_keys: expect_table_row_count_to_equal" in out
        assert "revenue_reconciles_with_silver: expect_table_row_count_to_equal" in out
        page = failed_docs_pages(settings, "revenue_reconciles_with_silver")
        assert "expect_table_row_count_to_equal" in page
    finally:
        build(settings, "--select", "marts")
    assert quality_cli(stack_env_vars, "gold").returncode == 0


def test_warn_severity_is_reported_but_does_not_block(clean, settings):
    from dataclasses import replace

    suite = load_suite("silver")
    check = next(c for c in suite.checks if c.name == "stg_wwi__orders")
    strict = [
        replace(e, kwargs={**e.kwargs, "mostly": 1.0}) if "mostly" in e.kwargs else e
        for e in check.expectations
    ]
    suite.checks = [replace(check, expectations=tuple(strict))]
    decision = run_gate(settings, "silver", suite=suite)
    assert decision.passed
    assert [w.expectation for w in decision.warnings] == [
        "expect_column_values_to_not_be_null(order_status)"
    ]


def test_unknown_layer_and_check_are_one_line_errors(clean, settings, stack_env_vars):
    # the exit code of each error class is the CLI's (tests/integration/test_cli_errors.py)
    result = quality_cli(stack_env_vars, "platinum")
    assert result.returncode != 0 and "Traceback" not in result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: unknown layer 'platinum'")
    result = quality_cli(stack_env_vars, "silver", "no_such_table")
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1
    assert "no silver check named 'no_such_table'" in result.stderr
    with pytest.raises(ConfigError) as caught:
        run_gate(settings, "silver", "no_such_table")
    assert caught.value.hint and "stg_wwi__orders" in caught.value.hint
