"""The one CDC conversion path: Bronze rows and envelopes equal a per-row reference.

The reference below decodes each message on its own (`pgoutput.Decoder`), builds
each row's images and envelope as Python objects written by orjson, and types
each value one by one, as the per-event path that the columnar conversion
replaced did; the conversion must give the same rows and envelopes, byte for byte.
"""

from __future__ import annotations

import base64
import struct
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pytest

from infra.settings import Settings
from ingestion.bronze.writer import NO_MARK, BronzeWriter, Prepared
from ingestion.cdc.batch import UNIX_EPOCH, collect
from ingestion.cdc.convert import rows
from ingestion.cdc.convert.tables import (
    CHANGE_COLUMNS,
    MARK,
    prepare_changes,
    prepare_snapshot,
    prepare_truncates,
)
from ingestion.cdc.convert.values import arrow_type, json_converter, json_value
from ingestion.cdc.pgoutput import (
    UNCHANGED_TOAST,
    Begin,
    Change,
    Commit,
    Decoder,
    ProtocolError,
    Relation,
    Truncate,
)

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


def make_writer(**marks: tuple[int, int]) -> BronzeWriter:
    w = BronzeWriter.__new__(BronzeWriter)  # no Spark: only the preparation is exercised
    w.settings = Settings.from_env()
    w.mark_query = MARK
    w.marks = {"sales__things": NO_MARK, **marks}
    w.schemas = {"sales__things": None}
    w.schema_drift = []
    w.tables = set()
    return w


# --- the reference: one message, one row, one value at a time ---


def _ref_image(relation: Relation, row: tuple[object, ...] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        c.name: json_value(text, json_converter(c.type_oid))  # type: ignore[arg-type]
        for c, text in zip(relation.columns, row, strict=True)
        if text is not UNCHANGED_TOAST
    }


def ref_events(messages: list[bytes]) -> list[dict[str, Any]]:
    """Each committed row change or truncate as a dict, as the per-event path made them."""
    decoder, done, pending = Decoder(), [], []
    begin: Begin | None = None
    seq, order = 0, Counter[int]()
    for data in messages:
        message = decoder.decode(data)
        if isinstance(message, Begin):
            begin, seq, order, pending = message, 0, Counter(), []
        elif isinstance(message, Commit):
            done += pending
        elif isinstance(message, Change | Truncate):
            assert begin is not None
            oids = [message.relation_oid] if isinstance(message, Change) else message.relation_oids
            for oid in oids:
                relation = decoder.relations[oid]
                op, before, after = "t", None, None
                if isinstance(message, Change):
                    op = message.op
                    before = _ref_image(relation, message.before)
                    after = _ref_image(relation, message.after)
                    if after is not None and before is not None:
                        after = {**before, **after}
                order[oid] += 1
                pending.append(
                    dict(
                        relation=relation,
                        op=op,
                        before=before,
                        after=after,
                        lsn=begin.final_lsn,
                        xid=begin.xid,
                        commit=begin.commit_time,
                        seq=seq,
                        order=order[oid],
                        snapshot="false",
                    )
                )
                seq += 1  # noqa: SIM113 (one per row change and per truncated table)
    return done


def ref_envelope(e: dict[str, Any]) -> str:
    relation = e["relation"]
    return orjson.dumps(
        {
            "before": e["before"],
            "after": e["after"],
            "source": {
                "version": "lakepulse-0.1",
                "connector": "postgresql",
                "name": "wwi",
                "ts_ms": (e["commit"] - UNIX_EPOCH) // timedelta(milliseconds=1),
                "snapshot": e["snapshot"],
                "db": Settings.from_env().pg_database,
                "schema": relation.schema,
                "table": relation.name,
                "txId": e["xid"],
                "lsn": e["lsn"],
            },
            "op": e["op"],
            "ts_ms": int(NOW.timestamp() * 1000),
            "transaction": {
                "id": f"{e['xid']}:{e['lsn']}",
                "total_order": e["seq"] + 1,
                "data_collection_order": e["order"],
            },
        }
    ).decode()


def ref_typed(value: Any, kind: pa.DataType) -> Any:
    """One JSON value as a Bronze value (None when it does not fit)."""
    try:
        if value is None:
            return None
        if pa.types.is_decimal(kind):
            typed: Any = Decimal(str(value))
        elif pa.types.is_timestamp(kind):
            typed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        elif kind == pa.date32():
            typed = date.fromisoformat(value)
        elif kind == pa.binary():
            typed = base64.b64decode(value)
        elif pa.types.is_integer(kind):
            typed = int(value)
        elif pa.types.is_floating(kind):
            typed = float(value)
        elif kind == pa.bool_():
            if not isinstance(value, bool):
                return None
            typed = value
        else:
            typed = value if isinstance(value, str) else str(value)
        pa.scalar(typed, kind)
        return typed
    except (ValueError, TypeError, ArithmeticError, AttributeError, pa.ArrowException):
        return None


def reference(target: Relation, events: list[dict[str, Any]], mark=NO_MARK) -> pa.Table:
    """Bronze's Arrow table of events above the mark, for a new Bronze table."""
    kept = [
        e
        for e in events
        if (e["lsn"], 0 if e["op"] == "r" else 1) > mark
        or ((e["lsn"], 0) == mark and e["op"] == "r")
    ]
    images = [e["after"] if e["after"] is not None else (e["before"] or {}) for e in kept]
    n = len(kept)
    meta = {
        "_op": [e["op"] for e in kept],
        "_lsn": [e["lsn"] for e in kept],
        "_tx_id": [e["xid"] for e in kept],
        "_commit_ts": [e["commit"] for e in kept],
        "_seq": [e["seq"] for e in kept],
        "_ingested_at": [NOW] * n,
        "_ingest_date": [NOW.date()] * n,
        "_batch_id": ["b"] * n,
        "_envelope": [ref_envelope(e) for e in kept],
    }
    fields = [pa.field(c.name, arrow_type(c.type_oid, c.type_modifier)) for c in target.columns]
    arrays = [pa.array([ref_typed(i.get(f.name), f.type) for i in images], f.type) for f in fields]
    arrays += [pa.array(meta[f.name], f.type) for f in CHANGE_COLUMNS]
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields + list(CHANGE_COLUMNS)))


def assert_same(fast: pa.Table, slow: pa.Table) -> None:
    assert fast.schema == slow.schema
    for name in fast.column_names:
        assert repr(fast[name].to_pylist()) == repr(slow[name].to_pylist()), name


def changes(writer: BronzeWriter, batch: Any, **kwargs: Any) -> Prepared:
    return writer.combine(
        [
            *(
                prepare_changes(writer, t, batch.transactions, "b", now=NOW, **kwargs)
                for t in batch.tables
            ),
            *(
                prepare_truncates(writer, t, batch.transactions, "b", now=NOW, **kwargs)
                for t in batch.truncates
            ),
        ]
    )


# --- tests ---


def test_stream_rows_and_envelopes_equal_the_reference():
    messages = stream()
    batch = collect(messages, Decoder())
    writer = make_writer()
    fast = prepare_changes(writer, batch.tables[0], batch.transactions, "b", now=NOW)
    assert_same(fast.rows, reference(batch.tables[0].relation, ref_events(messages)))
    assert fast.written == {"c": 3, "u": 2, "d": 1} and fast.mark == (0x2000, 1)
    assert writer.schema_drift == [  # 'infinity' values; one entry per column, not per value
        "sales__things: values of edited do not fit Bronze type timestamp "
        "(written as null; kept in _envelope)",
        "sales__things: values of day do not fit Bronze type date "
        "(written as null; kept in _envelope)",
    ]
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


def test_an_envelope_is_exactly_the_debezium_layout():
    cols = [(1, "id", 23, -1), (0, "at", 1184, -1)]
    messages = [
        begin(5, 0x10, 10**15),
        relation_message(cols),
        insert(["7", "2024-03-05 10:12:00.5+00"]),
        commit(0x10, 10**15),
    ]
    batch = collect(messages, Decoder())
    fast = prepare_changes(make_writer(), batch.tables[0], batch.transactions, "b", now=NOW)
    db = Settings.from_env().pg_database
    assert fast.rows["_envelope"].to_pylist() == [
        '{"before":null,"after":{"id":7,"at":"2024-03-05T10:12:00.500000Z"},'
        '"source":{"version":"lakepulse-0.1","connector":"postgresql","name":"wwi",'
        f'"ts_ms":1946684800000,"snapshot":"false","db":"{db}","schema":"sales",'
        '"table":"things","txId":5,"lsn":16},"op":"c","ts_ms":1795410000123,'
        '"transaction":{"id":"5:16","total_order":1,"data_collection_order":1}}'
    ]


def test_unchanged_toast_values_come_from_the_old_tuple_or_stay_out():
    messages = stream()
    messages[7] = update(ROW_A, ["1", None, ..., *ROW_A[3:]])  # old tuple sent: taken from it
    messages[8] = update(None, ["2", None, ..., *ROW_B[3:]])  # no old tuple: left out
    batch = collect(messages, Decoder())
    fast = prepare_changes(make_writer(), batch.tables[0], batch.transactions, "b", now=NOW)
    assert_same(fast.rows, reference(batch.tables[0].relation, ref_events(messages)))
    envelopes = [orjson.loads(e) for e in fast.rows["_envelope"].to_pylist()]
    assert envelopes[3]["after"]["label"] == ROW_A[2]
    assert "label" not in envelopes[4]["after"] and list(envelopes[4]["after"])[:2] == ["id", "big"]
    assert fast.rows["label"].to_pylist()[4] is None


def test_rows_at_or_below_the_high_water_mark_are_skipped():
    batch = collect(stream(), Decoder())
    writer = make_writer(sales__things=(0x1000, 1))
    fast = prepare_changes(writer, batch.tables[0], batch.transactions, "b", now=NOW)
    assert fast.written == {"u": 2, "d": 1} and fast.mark == (0x2000, 1)
    assert set(fast.rows["_lsn"].to_pylist()) == {0x2000}
    assert_same(fast.rows, reference(batch.tables[0].relation, ref_events(stream()), (0x1000, 1)))
    done = make_writer(sales__things=(0x2000, 1))
    assert prepare_changes(done, batch.tables[0], batch.transactions, "b").rows is None
    # the snapshot at the same position (phase 0) does not hide later streamed changes
    snap = make_writer(sales__things=(0x2000, 0))
    assert prepare_changes(snap, batch.tables[0], batch.transactions, "b").written == {
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
    assert [(t.seq, t.order) for t in batch.truncates] == [([1], [2])]
    merged = changes(make_writer(), batch, target=batch.latest[OID])
    assert merged.written == {"c": 4, "u": 2, "d": 1, "t": 1}
    assert merged.rows.num_rows == 8 and merged.adds_columns is False
    assert merged.rows["note"].to_pylist() == [None] * 6 + ["new", None]
    assert_same(merged.rows, reference(batch.latest[OID], ref_events(messages)))


def test_malformed_row_messages_are_protocol_errors():
    good = insert(ROW_A)
    binary = b"I" + struct.pack("!I", OID) + b"N" + struct.pack("!h", 1) + b"b" + good[8:]
    for bad, columns in (
        (good[:-3], COLUMNS),
        (good[:12], COLUMNS),
        (b"I" + struct.pack("!I", OID) + b"X" + good[6:], COLUMNS),
        (good[:6] + struct.pack("!h", 2) + good[8:], COLUMNS),
        (binary, COLUMNS[:1]),
    ):
        messages = [begin(1, 1, 1), relation_message(columns), bad, commit(1, 1)]
        batch = collect(messages, Decoder())
        with pytest.raises(ProtocolError):
            prepare_changes(make_writer(), batch.tables[0], batch.transactions, "b")


def test_strings_are_gathered_with_nulls_and_utf8_checked():
    buf = np.frombuffer(b"xxhello\xc3\xa9yy", np.uint8)
    kind = np.frombuffer(b"tnt", np.uint8)
    got = rows.strings(buf, kind, np.array([2, 0, 7]), np.array([5, 0, 2]))
    assert got.to_pylist() == ["hello", None, "é"] and got.type == pa.string()
    with pytest.raises(ProtocolError, match="not UTF-8"):
        rows.strings(buf, kind[:1], np.array([7]), np.array([1]))  # half a character


def test_large_columns_are_gathered_in_pieces(monkeypatch):
    monkeypatch.setattr(rows, "GATHER_BYTES", 4)
    buf = np.frombuffer(b"abcdefghij", np.uint8)
    kind = np.frombuffer(b"ttnt", np.uint8)
    got = rows.strings(buf, kind, np.array([0, 3, 0, 4]), np.array([3, 1, 0, 6]))
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
    merged = changes(make_writer(), batch, target=target)
    assert merged.rows.schema.field("c").type == pa.int64()
    assert merged.rows["c"].to_pylist() == [5, 6000000000, None]
    assert_same(merged.rows, reference(target, ref_events(messages)))


def test_integer_text_that_is_not_an_integer_is_escaped_not_spliced():
    cols = [(1, "id", 23, -1)]
    messages = [begin(1, 0x10, 1), relation_message(cols), insert(['1,"x":2']), commit(0x10, 1)]
    batch = collect(messages, Decoder())
    fast = prepare_changes(make_writer(), batch.tables[0], batch.transactions, "b", now=NOW)
    assert orjson.loads(fast.rows["_envelope"][0].as_py())["after"] == {"id": '1,"x":2'}
    assert_same(fast.rows, reference(batch.tables[0].relation, ref_events(messages)))


def test_a_table_without_columns():
    messages = [
        begin(1, 0x10, 1),
        relation_message([]),
        insert([]),
        delete([]),
        b"T" + struct.pack("!Ib", 1, 0) + struct.pack("!I", OID),
        commit(0x10, 1),
    ]
    batch = collect(messages, Decoder())
    merged = changes(make_writer(), batch)
    envelopes = [orjson.loads(e) for e in merged.rows["_envelope"].to_pylist()]
    assert [(e["op"], e["before"], e["after"]) for e in envelopes] == [
        ("c", None, {}),
        ("d", {}, None),
        ("t", None, None),
    ]
    assert_same(merged.rows, reference(batch.latest[OID], ref_events(messages)))


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


def test_snapshot_chunks_equal_the_reference():
    relation = Decoder().decode(relation_message())
    assert isinstance(relation, Relation)
    snapshot_rows = [tuple(r) for r in (ROW_A, ROW_B, ROW_C)]
    taken = datetime(2026, 11, 23, 4, 0, 0, 999, tzinfo=UTC)
    writer = make_writer()
    fast = prepare_snapshot(
        writer, relation, snapshot_rows, 100, lsn=0x5000, xid=9, taken=taken, batch_id="b", now=NOW
    )
    events = [
        dict(
            relation=relation,
            op="r",
            before=None,
            after=_ref_image(relation, row),
            lsn=0x5000,
            xid=9,
            commit=taken,
            seq=100 + i,
            order=101 + i,
            snapshot="true",
        )
        for i, row in enumerate(snapshot_rows)
    ]
    assert_same(fast.rows, reference(relation, events))
    assert fast.written == {"r": 3} and fast.mark == (0x5000, 0)
    assert len(writer.schema_drift) == 2
    envelope = orjson.loads(fast.rows["_envelope"][0].as_py())
    assert envelope["source"]["snapshot"] == "true" and envelope["after"]["flag"] is True
    assert envelope["transaction"]["total_order"] == 101
    # a snapshot older than what Bronze holds is not written again; an equal one is
    old = make_writer(sales__things=(0x5000, 1))
    chunk = dict(lsn=0x5000, xid=9, taken=taken, batch_id="b")
    assert prepare_snapshot(old, relation, snapshot_rows, 0, **chunk).rows is None
    same = make_writer(sales__things=(0x5000, 0))
    assert prepare_snapshot(same, relation, snapshot_rows, 0, **chunk).written == {"r": 3}
    with pytest.raises(ProtocolError, match="columns"):
        prepare_snapshot(make_writer(), relation, [("1",)], 0, **chunk)
