"""The Bronze writer's schema reconciliation and marks, without Spark."""

from collections import Counter

import pyarrow as pa

from ingestion.bronze.writer import NO_MARK, BronzeWriter, MarkQuery, Prepared


def make_writer(existing: pa.Schema | None) -> BronzeWriter:
    w = BronzeWriter.__new__(BronzeWriter)  # no Spark: the reconciliation only
    w.mark_query = MarkQuery("max(x) as m", lambda row: (row["m"], 0))
    w.marks, w.schemas, w.schema_drift, w.tables = {}, {"t": existing}, [], {"t"}
    return w


def test_a_new_table_takes_the_source_schema():
    source = pa.schema([("a", pa.int32()), ("b", pa.string())])
    assert make_writer(None).layout("t", source) == (source, False)


def test_bronze_keeps_its_types_nulls_gone_columns_and_adds_new_ones():
    writer = make_writer(pa.schema([("a", pa.int32()), ("gone", pa.string())]))
    layout, adds = writer.layout("t", pa.schema([("a", pa.int64()), ("new", pa.date32())]))
    assert layout == pa.schema([("a", pa.int32()), ("gone", pa.string()), ("new", pa.date32())])
    assert adds is True
    assert writer.schema_drift == [
        "t: column a retyped at the source (int -> bigint); Bronze keeps int",
        "t: column gone no longer sent by the source (null)",
        "t: column new added (date)",
    ]
    writer.layout("t", pa.schema([("a", pa.int64()), ("new", pa.date32())]))
    assert len(writer.schema_drift) == 3  # recorded once


def test_parts_combine_into_one_commit_and_marks_only_rise():
    writer = make_writer(None)
    writer.marks["t"] = (5, 1)
    writer.raise_mark("t", (4, 0))
    assert writer.high_water_mark("t") == (5, 1)
    one = pa.table({"a": [1]})
    two = pa.table({"a": [2], "b": ["x"]})
    merged = writer.combine(
        [
            Prepared("t", one, Counter({"c": 1}), (6, 1), False),
            Prepared("t", None, Counter(), NO_MARK, False),
            Prepared("t", two, Counter({"u": 1}), (7, 1), True),
        ]
    )
    assert merged.rows is not None and merged.rows.to_pylist() == [
        {"a": 1, "b": None},
        {"a": 2, "b": "x"},
    ]
    assert merged.written == {"c": 1, "u": 1} and merged.mark == (7, 1) and merged.adds_columns
