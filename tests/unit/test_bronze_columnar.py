"""The columnar fast path gives the same Bronze rows and envelopes as the per-event path."""

import struct
from datetime import UTC, datetime

import numpy as np
import orjson
import pyarrow as pa
import pytest

from infra.settings import Settings
from ingestion.bronze import columnar
from ingestion.bronze.writer import NO_MARK, BronzeWriter, Prepared
from ingestion.cdc.batch import collect
from ingestion.cdc.pgoutput import Decoder, ProtocolError

OID = 16500
COLUMNS = [  # (is key, name, type oid, type modifier)
    (1, "id", 23, -1),
    (0, "big", 20, -1),
    (0, "label", 25, -1),
    (0, "amount", 1700, (18 << 16 | 2) + 4),
    (0, "ratio", 1700, -1),
    (0, "flag", 16, -1),
    (0, "edited", 1184, -1),
    (0, "local", 1114, -1),
    (0, "day", 1082, -1),
    (0, "blob", 17, -1),
    (0, "score", 701, -1),
    (0, "doc", 3802, -1),
    (0, "ref", 2950, -1),
]
NOW = datetime(2026, 11, 23, 5, 0, 0, 123456, tzinfo=UTC)


def relation_message(columns=COLUMNS, oid=OID) -> bytes:
    body = b"R" + struct.pack("!I", oid) + b"sales\0things\0" + b"f"
    body += struct.pack("!h", len(columns))
    for flags, name, typ, mod in columns:
        body += struct.pack("!b", flags) + name.encode() + b"\0" + struct.pack("!Ii", typ, mod)
    return body


def tuple_data(values) -> bytes:
    out = struct.pack("!h", len(values))
    for v in values:
        if v is None:
            out += b"n"
        elif v is ...:
            out += b"u"  # unchanged TOAST value
        else:
            raw = v.encode()
            out += b"t" + struct.pack("!i", len(raw)) + raw
    return out


def begin(xid: int, lsn: int, micros: int) -> bytes:
    return b"B" + struct.pack("!qqI", lsn, micros, xid)


def commit(lsn: int, micros: int) -> bytes:
    return b"C" + struct.pack("!bqqq", 0, lsn, lsn + 40, micros)


def insert(values, oid=OID) -> bytes:
    return b"I" + struct.pack("!I", oid) + b"N" + tuple_data(values)


def update(old, new, oid=OID) -> bytes:
    head = b"U" + struct.pack("!I", oid)
    return head + (b"O" + tuple_data(old) if old is not None else b"") + b"N" + tuple_data(new)


def delete(old, oid=OID) -> bytes:
    return b"D" + struct.pack("!I", oid) + b"O" + tuple_data(old)


ROW_A = [
    "1",
    "9007199254740993",
    "plain",
    "12.50",
    "3.14159265358979323846",
    "t",
    "2024-03-05 10:12:00.5+00",
    "2024-03-05 10:12:00",
    "2024-02-29",
    "\\x68656c6c6f",
    "1.5",
    '{"a": [1, 2]}',
    "0e8b2a8e-8f0b-4c3e-9a8f-0123456789ab",
]
ROW_B = [
    "2",
    None,
    'quote " back \\ tab \t nl \n é ☃',
    None,
    "NaN",
    "f",
    "0005-01-01 00:00:00+00",
    None,
    "infinity",
    None,
    "NaN",
    None,
    None,
]
ROW_C = [
    "3",
    "-5",
    "",
    "-0.01",
    "1e-3",
    "t",
    "infinity",
    "2024-03-05 10:12:00.000001",
    "2024-01-01",
    "\\x",
    "-Infinity",
    "[]",
    None,
]


def stream() -> list[bytes]:
    return [
        begin(700, 0x1000, 10**15),
        relation_message(),
        insert(ROW_A),
        insert(ROW_B),
        insert(ROW_C),
        commit(0x1000, 10**15),
        begin(701, 0x2000, 10**15 + 999),
        update(ROW_A, ["1", *ROW_A[1:6], "2024-03-06 00:00:00+00", *ROW_A[7:]]),
        update(None, ["2", *ROW_B[1:]]),
        delete(ROW_C),
        commit(0x2000, 10**15 + 999),
    ]


def make_writer(**marks) -> BronzeWriter:
    w = BronzeWriter.__new__(BronzeWriter)  # no Spark: only the preparation is exercised
    w.settings = Settings.from_env()
    w.server_name = "wwi"
    w.marks = {"sales__things": NO_MARK, **marks}
    w.schemas = {"sales__things": None}
    w.schema_drift = []
    w.tables = set()
    return w


def per_event(writer: BronzeWriter, batch) -> Prepared:
    rows = batch.tables[0]
    events = columnar._events(rows, batch.transactions, np.arange(len(rows.messages)))
    return writer.prepare(rows.relation, list(events), "b", now=NOW)


def assert_same(fast: Prepared, slow: Prepared) -> None:
    assert fast.written == slow.written and fast.mark == slow.mark
    assert fast.rows.schema == slow.rows.schema
    for name in fast.rows.column_names:
        assert repr(fast.rows[name].to_pylist()) == repr(slow.rows[name].to_pylist()), name


def test_columnar_rows_and_envelopes_equal_the_per_event_path():
    batch = collect(stream(), Decoder())
    fast_writer, slow_writer = make_writer(), make_writer()
    fast = columnar.prepare(fast_writer, batch.tables[0], batch.transactions, "b", now=NOW)
    slow = per_event(slow_writer, batch)
    assert_same(fast, slow)
    assert fast.written == {"c": 3, "u": 2, "d": 1}
    assert fast_writer.schema_drift == slow_writer.schema_drift != []  # 'infinity' values
    envelopes = [orjson.loads(e) for e in fast.rows["_envelope"].to_pylist()]
    first, moved, no_old, gone = envelopes[0], envelopes[3], envelopes[4], envelopes[5]
    assert first["after"]["amount"] == "12.50" and first["after"]["edited"] == (
        "2024-03-05T10:12:00.500000Z"
    )
    assert first["after"]["blob"] == "aGVsbG8=" and first["after"]["big"] == 9007199254740993
    assert envelopes[1]["after"]["label"] == ROW_B[2] and envelopes[1]["after"]["edited"] == (
        "0005-01-01T00:00:00Z"
    )
    assert moved["before"]["edited"] == "2024-03-05T10:12:00.500000Z"
    assert moved["after"]["edited"] == "2024-03-06T00:00:00Z"
    assert moved["transaction"] == {"id": "701:8192", "total_order": 1, "data_collection_order": 1}
    assert no_old["before"] is None and gone["after"] is None and gone["before"]["id"] == 3
    assert gone["source"]["ts_ms"] == (10**15 + 999) // 1000 + 946_684_800_000


def test_unchanged_toast_values_take_the_per_event_path():
    messages = stream()
    messages[8] = update(["2", *ROW_B[1:]], ["2", None, ..., *ROW_B[3:]])
    batch = collect(messages, Decoder())
    fast = columnar.prepare(make_writer(), batch.tables[0], batch.transactions, "b", now=NOW)
    assert_same(fast, per_event(make_writer(), batch))
    toasted = orjson.loads(fast.rows["_envelope"].to_pylist()[4])
    assert toasted["after"]["label"] == ROW_B[2]  # taken from the before image


def test_rows_at_or_below_the_high_water_mark_are_skipped():
    batch = collect(stream(), Decoder())
    writer = make_writer(sales__things=(0x1000, 1))
    fast = columnar.prepare(writer, batch.tables[0], batch.transactions, "b", now=NOW)
    assert fast.written == {"u": 2, "d": 1} and fast.mark == (0x2000, 1)
    assert set(fast.rows["_lsn"].to_pylist()) == {0x2000}
    done = make_writer(sales__things=(0x2000, 1))
    assert columnar.prepare(done, batch.tables[0], batch.transactions, "b").rows is None
    # the snapshot at the same position (phase 0) does not hide later streamed changes
    snap = make_writer(sales__things=(0x2000, 0))
    assert columnar.prepare(snap, batch.tables[0], batch.transactions, "b").written == {
        "u": 2,
        "d": 1,
    }


def test_open_transaction_is_left_for_the_next_batch_and_relation_changes_split_rows():
    added = [*COLUMNS, (0, "note", 25, -1)]
    messages = [
        *stream(),
        begin(702, 0x3000, 10**15 + 5000),
        relation_message(added),
        insert([*ROW_A[:-1], None, "new"]),
        b"T" + struct.pack("!Ib", 1, 0) + struct.pack("!I", OID),
        commit(0x3000, 10**15 + 5000),
        begin(703, 0x4000, 10**15 + 6000),
        insert([*ROW_A, "open"]),
    ]
    batch = collect(messages, Decoder())
    assert len(batch.transactions) == 3 and batch.end_lsn == 0x3000 + 40
    assert [len(t.messages) for t in batch.tables] == [6, 1]  # the open insert is left out
    assert [(e.op, e.seq, e.data_collection_order) for e in batch.truncates] == [("t", 1, 2)]
    writer = make_writer()
    parts = [columnar.prepare(writer, t, batch.transactions, "b", now=NOW) for t in batch.tables]
    merged = writer.combine(
        [*parts, writer.prepare(batch.truncates[0].relation, batch.truncates, "b", now=NOW)]
    )
    assert merged.written == {"c": 4, "u": 2, "d": 1, "t": 1}
    assert merged.rows.num_rows == 8 and merged.adds_columns is False
    assert merged.rows["note"].to_pylist() == [None] * 6 + ["new", None]


def test_malformed_row_messages_are_protocol_errors():
    good = insert(ROW_A)
    for bad in (
        good[:-3],
        good[:12],
        b"I" + struct.pack("!I", OID) + b"X" + good[6:],
        good[:6] + struct.pack("!h", 2) + good[8:],
    ):
        batch = collect([begin(1, 1, 1), relation_message(), bad, commit(1, 1)], Decoder())
        with pytest.raises(ProtocolError):
            columnar.prepare(make_writer(), batch.tables[0], batch.transactions, "b")


def test_strings_are_gathered_with_nulls_and_utf8_checked():
    buf = np.frombuffer(b"xxhello\xc3\xa9yy", np.uint8)
    kind = np.frombuffer(b"tnt", np.uint8)
    got = columnar._strings(buf, kind, np.array([2, 0, 7]), np.array([5, 0, 2]))
    assert got.to_pylist() == ["hello", None, "é"] and got.type == pa.string()
    with pytest.raises(ProtocolError, match="not UTF-8"):
        columnar._strings(buf, kind[:1], np.array([7]), np.array([1]))  # half a character


def test_large_columns_are_gathered_in_pieces(monkeypatch):
    monkeypatch.setattr(columnar, "_GATHER_BYTES", 4)
    buf = np.frombuffer(b"abcdefghij", np.uint8)
    kind = np.frombuffer(b"ttnt", np.uint8)
    got = columnar._strings(buf, kind, np.array([0, 3, 0, 4]), np.array([3, 1, 0, 6]))
    assert got.to_pylist() == ["abc", "d", None, "efghij"]


def test_a_column_retyped_mid_batch_lands_in_one_layout():
    """The table's latest version sets the layout of every part of the batch."""
    wide = [(1, "id", 23, -1), (0, "c", 20, -1)]
    narrow = [(1, "id", 23, -1), (0, "c", 23, -1)]
    messages = [
        begin(1, 0x10, 1),
        relation_message(narrow),
        insert(["1", "5"]),
        relation_message(wide),
        insert(["2", "6000000000"]),
        b"T" + struct.pack("!Ib", 1, 0) + struct.pack("!I", OID),
        commit(0x10, 1),
    ]
    batch = collect(messages, Decoder())
    target = batch.latest[OID]
    assert [c.type_oid for c in target.columns] == [23, 20] and len(batch.tables) == 2
    writer = make_writer()
    merged = writer.combine(
        [
            *(
                columnar.prepare(writer, t, batch.transactions, "b", target=target, now=NOW)
                for t in batch.tables
            ),
            writer.prepare(target, batch.truncates, "b", now=NOW),
        ]
    )
    assert merged.rows.schema.field("c").type == pa.int64()
    assert merged.rows["c"].to_pylist() == [5, 6000000000, None]


def test_integer_text_that_is_not_an_integer_is_escaped_not_spliced():
    cols = [(1, "id", 23, -1)]
    batch = collect(
        [begin(1, 0x10, 1), relation_message(cols), insert(['1,"x":2']), commit(0x10, 1)], Decoder()
    )
    fast = columnar.prepare(make_writer(), batch.tables[0], batch.transactions, "b", now=NOW)
    assert orjson.loads(fast.rows["_envelope"][0].as_py())["after"] == {"id": '1,"x":2'}
    assert_same(fast, per_event(make_writer(), batch))


def test_a_table_without_columns_takes_the_per_event_path():
    batch = collect(
        [begin(1, 0x10, 1), relation_message([]), insert([]), commit(0x10, 1)], Decoder()
    )
    fast = columnar.prepare(make_writer(), batch.tables[0], batch.transactions, "b", now=NOW)
    assert orjson.loads(fast.rows["_envelope"][0].as_py())["after"] == {}


def test_a_lookahead_peek_drops_the_transactions_already_written():
    """The lookahead re-reads the batch in hand: its transactions are left out by commit
    position, while its Relation messages still reach the decoder."""
    decoder = Decoder()
    first = collect(stream(), decoder)
    added = [*COLUMNS, (0, "note", 25, -1)]
    again = [
        *stream()[:-1],
        relation_message(added),
        stream()[-1],
        begin(702, 0x3000, 10**15 + 5000),
        insert([*ROW_A, "new"]),
        commit(0x3000, 10**15 + 5000),
    ]
    later = collect(again, decoder, after_lsn=first.end_lsn)
    assert later.transactions.xid == [702] and later.first_lsn == 0x3000
    assert [len(t.messages) for t in later.tables] == [1]
    assert later.tables[0].relation.columns[-1].name == "note"
    assert later.messages == len(again)


def test_snapshot_chunks_equal_the_per_event_path():
    from ingestion.cdc.events import ChangeEvent
    from ingestion.cdc.source import _as_json

    relation = Decoder().decode(relation_message())
    rows = [tuple(r) for r in (ROW_A, ROW_B, ROW_C)]
    taken = datetime(2026, 11, 23, 4, 0, 0, 999, tzinfo=UTC)
    fast_writer, slow_writer = make_writer(), make_writer()
    fast = columnar.prepare_snapshot(
        fast_writer, relation, rows, 100, lsn=0x5000, xid=9, taken=taken, batch_id="b", now=NOW
    )
    events = [
        ChangeEvent(
            relation, "r", None, _as_json(relation, row), 0x5000, 9, taken, 100 + i, 101 + i, "true"
        )
        for i, row in enumerate(rows)
    ]
    assert_same(fast, slow_writer.prepare(relation, events, "b", now=NOW))
    assert fast.written == {"r": 3} and fast.mark == (0x5000, 0)
    assert fast_writer.schema_drift == slow_writer.schema_drift
    envelope = orjson.loads(fast.rows["_envelope"][0].as_py())
    assert envelope["source"]["snapshot"] == "true" and envelope["after"]["flag"] is True
    assert envelope["transaction"]["total_order"] == 101
    # a snapshot older than what Bronze holds is not written again; an equal one is
    old = make_writer(sales__things=(0x5000, 1))
    assert (
        columnar.prepare_snapshot(
            old, relation, rows, 0, lsn=0x5000, xid=9, taken=taken, batch_id="b"
        ).rows
        is None
    )
    same = make_writer(sales__things=(0x5000, 0))
    assert columnar.prepare_snapshot(
        same, relation, rows, 0, lsn=0x5000, xid=9, taken=taken, batch_id="b"
    ).written == {"r": 3}
