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
    assert "stg_demo__customers.sql" in names
    compiled = next(p for p in result.compiled if p.name == "stg_demo__customers.sql").read_text()
    assert '"delta"."bronze"."demo__customers"' in compiled


def test_sqlfluff_trino_dialect_passes(monkeypatch, tmp_path):
    monkeypatch.setenv("LAKEPULSE_HOME", str(tmp_path))
    assert sqlfluff_lint(Settings.from_env(), "trino") == 0


@pytest.mark.stack
def test_sqlfluff_sparksql_dialect_passes_with_the_dbt_templater(settings):
    assert sqlfluff_lint(settings, "sparksql") == 0
