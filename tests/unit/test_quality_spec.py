"""Suites as code: the shipped suites load; bad suite files are one clear ConfigError each."""

from __future__ import annotations

import pytest

from expectations.spec import LAYERS, load_suite
from infra.errors import ConfigError


@pytest.mark.parametrize("layer", LAYERS)
def test_shipped_suites_load(layer):
    suite = load_suite(layer)
    assert suite.checks
    for check in suite.checks:
        assert check.expectations
        assert all(e.severity in ("error", "warn") for e in check.expectations)
        assert all("{key}" not in str(e.kwargs) for e in check.expectations)


def test_group_and_key_expand():
    suite = load_suite("bronze")
    keys = next(c for c in suite.checks if c.name == "sales__orders__keys")
    assert keys.expectations[0].kwargs == {"column": "order_id"}
    assert "where _op <> 't'" in keys.sql()
    orders = next(c for c in suite.checks if c.name == "sales__orders")
    assert orders.sql() == "select * from bronze.sales__orders"
    assert len(orders.expectations) == 10


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("layer: silver\nchecks: [\n", "is not valid YAML"),
        ("layer: gold\n", "must declare `layer: silver`"),
        (
            "layer: silver\nchecks:\n  - {table: t, query: select 1, expectations: [{type: x}]}\n",
            "exactly one of `table` or `query`",
        ),
        ("layer: silver\nchecks:\n  - {table: t, include: [nope]}\n", "unknown group 'nope'"),
        ("layer: silver\nchecks:\n  - {table: t, expectations: [{column: a}]}\n", "needs a `type`"),
        (
            "layer: silver\nchecks:\n  - {table: t, expectations: [{type: x, column: '{key}'}]}\n",
            "uses {key} but the check has no `key`",
        ),
        (
            "layer: silver\nchecks:\n  - {table: t, expectations: [{type: x, severity: fatal}]}\n",
            "severity must be error or warn",
        ),
        (
            "layer: silver\nchecks:\n  - {table: t, expectations: [{type: x}]}\n"
            "  - {table: t, expectations: [{type: x}]}\n",
            "is used twice",
        ),
        (
            "layer: silver\nchecks:\n  - {table: t, expectation: [{type: x}]}\n",
            "check 1: expectation: Extra inputs are not permitted",
        ),
        ("layer: silver\nchecks:\n  - just a name\n", "check 1: file: Input should be"),
        ("layer: silver\nchecks: 3\n", "checks: Input should be a valid list"),
        (
            "layer: silver\nchecks:\n  - {name: q, query: select 1, optional: true, "
            "expectations: [{type: x}]}\n",
            "only a `table` check can be optional",
        ),
    ],
)
def test_bad_suite_files_name_the_problem(tmp_path, text, message):
    path = tmp_path / "silver.yml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=None) as caught:
        load_suite("silver", path)
    assert message in str(caught.value)
    assert "\n" not in caught.value.line() and caught.value.hint


def test_a_suite_without_checks_is_empty(tmp_path):
    path = tmp_path / "gold.yml"
    path.write_text("layer: gold\ngroups:\nchecks:\n")
    assert load_suite("gold", path).checks == []


def test_unknown_layer():
    with pytest.raises(ConfigError, match="unknown layer 'platinum'") as caught:
        load_suite("platinum")
    assert caught.value.line() == "unknown layer 'platinum' (hint: use one of bronze, silver, gold)"
