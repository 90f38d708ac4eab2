"""The type mapping: Postgres types to Bronze column types, JSON values to typed columns."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa

from ingestion.cdc.convert.values import arrow_type, typed_column, typed_from_json


class Misfits:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


def column(values, kind: pa.DataType, misfit=None) -> list:
    return typed_from_json(values, kind, misfit or Misfits()).to_pylist()


def test_every_postgres_type_has_its_bronze_type():
    assert arrow_type(20, -1) == pa.int64() and arrow_type(21, -1) == pa.int16()
    assert arrow_type(23, -1) == pa.int32() and arrow_type(700, -1) == pa.float32()
    assert arrow_type(1184, -1) == arrow_type(1114, -1) == pa.timestamp("us", tz="UTC")
    assert arrow_type(1700, (18 << 16 | 2) + 4) == pa.decimal128(18, 2)
    assert arrow_type(1700, -1) == pa.string()  # unconstrained numeric: every digit kept
    assert arrow_type(17, -1) == pa.binary() and arrow_type(2950, -1) == pa.string()


def test_values_convert_column_wise():
    misfit = Misfits()
    assert column(["12.50", None, "0.01"], pa.decimal128(18, 2), misfit) == [
        Decimal("12.50"),
        None,
        Decimal("0.01"),
    ]
    assert column(["2024-03-05T10:12:00.500000Z", None], arrow_type(1184, -1), misfit) == [
        datetime(2024, 3, 5, 10, 12, 0, 500000, tzinfo=UTC),
        None,
    ]
    assert column(["2024-02-29"], pa.date32(), misfit) == [date(2024, 2, 29)]
    assert column(["aGVsbG8="], pa.binary(), misfit) == [b"hello"]
    assert column([1.5, "NaN"], pa.float64(), misfit)[0] == 1.5
    assert misfit.calls == 0


def test_values_that_do_not_fit_become_null_and_are_reported():
    misfit = Misfits()
    assert column([1, "x", 2**40], pa.int32(), misfit) == [1, None, None]
    assert column(["1.005"], pa.decimal128(18, 2), misfit) == [None]
    assert column(["infinity", "2024-01-01T00:00:00Z"], arrow_type(1184, -1), misfit)[0] is None
    assert column([5, "a"], pa.string(), misfit) == ["5", "a"]  # retyped to text: kept as text
    assert misfit.calls == 4


def test_text_columns_cast_in_bulk_or_value_by_value():
    texts = pa.array(["t", "f", None])
    assert typed_column(texts, 16, -1, pa.bool_(), Misfits()).to_pylist() == [True, False, None]
    stamps = pa.array(["2024-03-05 10:12:00.5+00", "infinity"])
    misfit = Misfits()
    got = typed_column(stamps, 1184, -1, arrow_type(1184, -1), misfit).to_pylist()
    assert got == [datetime(2024, 3, 5, 10, 12, 0, 500000, tzinfo=UTC), None]
    assert misfit.calls == 1
    # Bronze kept int while the source now sends bigint: values that overflow become null
    misfit = Misfits()
    wide = pa.array(["5", "6000000000"])
    assert typed_column(wide, 20, -1, pa.int32(), misfit).to_pylist() == [5, None]
    assert misfit.calls == 1
    assert typed_column(pa.array(["\\x6869"]), 17, -1, pa.binary(), Misfits()).to_pylist() == [
        b"hi"
    ]
