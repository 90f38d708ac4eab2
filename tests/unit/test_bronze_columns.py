"""Bronze column conversion: JSON values of change events to typed Arrow columns."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from ingestion.bronze.writer import BronzeWriter, arrow_type, spark_type_of


@pytest.fixture
def writer() -> BronzeWriter:
    w = BronzeWriter.__new__(BronzeWriter)  # no Spark: only the conversion is exercised
    w.schema_drift = []
    return w


def column(writer, values, spark_type):
    return writer.column("t", "c", values, spark_type, arrow_type(spark_type)).to_pylist()


def test_every_bronze_type_round_trips_through_arrow():
    for t in (
        "bigint",
        "int",
        "smallint",
        "float",
        "double",
        "boolean",
        "date",
        "timestamp",
        "binary",
        "string",
        "decimal(18,2)",
    ):
        assert spark_type_of(arrow_type(t)) == t


def test_values_convert_column_wise(writer):
    assert column(writer, ["12.50", None, "0.01"], "decimal(18,2)") == [
        Decimal("12.50"),
        None,
        Decimal("0.01"),
    ]
    assert column(writer, ["2024-03-05T10:12:00.500000Z", None], "timestamp") == [
        datetime(2024, 3, 5, 10, 12, 0, 500000, tzinfo=UTC),
        None,
    ]
    assert column(writer, ["2024-02-29"], "date") == [date(2024, 2, 29)]
    assert column(writer, ["aGVsbG8="], "binary") == [b"hello"]
    assert column(writer, [1.5, "NaN"], "double")[0] == 1.5
    assert writer.schema_drift == []


def test_values_that_do_not_fit_become_null_and_are_recorded(writer):
    assert column(writer, [1, "x", 2**40], "int") == [1, None, None]
    assert column(writer, ["1.005"], "decimal(18,2)") == [None]
    assert column(writer, ["infinity", "2024-01-01T00:00:00Z"], "timestamp")[0] is None
    assert column(writer, [5, "a"], "string") == ["5", "a"]  # retyped to text: kept as text
    assert len(writer.schema_drift) == 3  # one entry per table column, not per value
    assert all("do not fit Bronze type" in d for d in writer.schema_drift)
    with pytest.raises(ValueError, match="no Arrow mapping"):
        arrow_type("map<string,int>")
    assert isinstance(arrow_type("decimal(38,10)"), pa.Decimal128Type)
