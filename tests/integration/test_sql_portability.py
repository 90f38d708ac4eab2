"""The dbt project is portable: Trino compile + parse offline, sqlfluff in both dialects."""

from __future__ import annotations

import pytest

from flows.sql_checks import check_trino, sqlfluff_lint
from infra.settings import Settings


def test_whole_project_compiles_for_trino_and_parses(monkeypatch, tmp_path):
    monkeypatch.setenv("LAKEPULSE_HOME", str(tmp_path))
    result = check_trino(Settings.from_env())
    assert result.compile_ok, result.compile_output[-3000:]
    assert result.compiled, "no compiled files"
    assert result.failures == {}
    names = {p.name for p in result.compiled}
    assert {
        "stg_wwi__orders.sql",
        "dim_customer.sql",
        "fct_sales.sql",
        "dim_date.sql",
        "sales_metrics.sql",
        "customer_analytics.sql",
        "operational_reports.sql",
    } <= names
    compiled = {p.name: p.read_text() for p in result.compiled}
    # incremental CDC filter against the model itself, Trino's spellings of the dispatched macros
    assert '"lake"."bronze"."sales__orders"' in compiled["stg_wwi__orders.sql"]
    assert "seen_lsn" in compiled["stg_wwi__orders.sql"]
    assert "unnest(sequence(" in compiled["dim_date.sql"]
    assert "from_base(substr(to_hex(md5(to_utf8(" in compiled["dim_customer.sql"]


def test_sqlfluff_trino_dialect_passes(monkeypatch, tmp_path):
    monkeypatch.setenv("LAKEPULSE_HOME", str(tmp_path))
    assert sqlfluff_lint(Settings.from_env(), "trino") == 0


@pytest.mark.stack
def test_sqlfluff_sparksql_dialect_passes_with_the_dbt_templater(settings):
    assert sqlfluff_lint(settings, "sparksql") == 0
