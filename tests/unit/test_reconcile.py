"""The comparison behind `lakepulse reconcile`: every kind of difference is found, only those."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flows.reconcile import ColumnProfile, TableProfile, compare, parse_engines
from infra.errors import ConfigError


def profile(rows: int = 3, **columns: ColumnProfile) -> TableProfile:
    base = {
        "order_id": ColumnProfile("sum", Decimal("6.000000"), rows),
        "name": ColumnProfile("checksum", 123456789, rows),
        "amount": ColumnProfile("float-sum", 10.5, rows),
    }
    return TableProfile("fct", rows, base | columns)


def test_identical_profiles_agree():
    assert compare(profile(), profile(), "fct") == []


def test_a_float_sum_within_the_tolerance_agrees_and_outside_it_differs():
    close = profile(amount=ColumnProfile("float-sum", 10.5 + 1e-12, 3))
    far = profile(amount=ColumnProfile("float-sum", 10.51, 3))
    assert compare(profile(), close, "fct") == []
    assert [d.what for d in compare(profile(), far, "fct")] == ["sum"]


def test_each_kind_of_difference_is_named():
    other = TableProfile(
        "fct",
        4,
        {
            "order_id": ColumnProfile("sum", Decimal("7.000000"), 4),
            "name": ColumnProfile("checksum", 987, 3),
            "extra": ColumnProfile("sum", Decimal(1), 4),
        },
    )
    found = {(d.column, d.what) for d in compare(profile(), other, "fct")}
    assert found == {
        ("", "row count"),
        ("order_id", "sum"),
        ("order_id", "non-null count"),
        ("name", "checksum"),
        ("amount", "presence"),
        ("extra", "presence"),
    }


def test_an_integer_against_a_double_compares_numerically_and_text_against_a_number_differs():
    as_double = profile(order_id=ColumnProfile("float-sum", 6.0, 3))
    as_text = profile(order_id=ColumnProfile("checksum", 42, 3))
    assert compare(profile(), as_double, "fct") == []
    assert [d.what for d in compare(profile(), as_text, "fct")] == ["type"]


def test_nulls_only_match_nulls():
    empty = profile(amount=ColumnProfile("float-sum", None, 0), rows=3)
    found = {d.what for d in compare(profile(), empty, "fct")}
    assert found == {"sum", "non-null count"}


@pytest.mark.parametrize("value", ["sail", "sail,sail", "sail,presto", "sail,trino,spark", ""])
def test_engines_must_be_two_known_different_names(value):
    with pytest.raises(ConfigError):
        parse_engines(value)


def test_engines_parse_in_order():
    assert parse_engines(" sail , trino ") == ("sail", "trino")
    assert parse_engines("spark,sail") == ("spark", "sail")
