import base64
import struct
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from ingestion.cdc.convert.values import arrow_type, json_values, parse_timestamptz, to_json
from ingestion.cdc.pgoutput import (
    Begin,
    Change,
    Commit,
    Decoder,
    ProtocolError,
    Relation,
    Truncate,
    int_to_lsn,
    lsn_to_int,
)


def _relation_message(oid: int) -> bytes:
    cols = [(1, "order_id", 23, -1), (0, "status", 25, -1), (0, "amount", 1700, (18 << 16 | 2) + 4)]
    body = b"R" + struct.pack("!I", oid) + b"sales\0orders\0" + b"f" + struct.pack("!h", len(cols))
    for flags, name, typ, mod in cols:
        body += struct.pack("!b", flags) + name.encode() + b"\0" + struct.pack("!Ii", typ, mod)
    return body


def _tuple(*values) -> bytes:
    out = struct.pack("!h", len(values))
    for v in values:
        if v is None:
            out += b"n"
        else:
            raw = v.encode()
            out += b"t" + struct.pack("!i", len(raw)) + raw
    return out


def test_decodes_a_transaction_with_insert_update_delete_and_truncate():
    d = Decoder()
    begin = d.decode(b"B" + struct.pack("!qqI", 0x16B3748, 10**6, 733))
    assert isinstance(begin, Begin) and begin.xid == 733
    assert begin.commit_time == datetime(2000, 1, 1, 0, 0, 1, tzinfo=UTC)
    rel = d.decode(_relation_message(16402))
    assert isinstance(rel, Relation) and rel.qualified == "sales.orders"
    assert [c.is_key for c in rel.columns] == [True, False, False]
    ins = d.decode(b"I" + struct.pack("!I", 16402) + b"N" + _tuple("7", "entered", "12.50"))
    assert ins == Change("c", 16402, None, ("7", "entered", "12.50"))
    upd = d.decode(
        b"U"
        + struct.pack("!I", 16402)
        + b"O"
        + _tuple("7", "entered", "12.50")
        + b"N"
        + _tuple("7", "picked", "12.50")
    )
    assert upd.op == "u" and upd.before[1] == "entered" and upd.after[1] == "picked"
    dele = d.decode(b"D" + struct.pack("!I", 16402) + b"O" + _tuple("7", "picked", None))
    assert dele.op == "d" and dele.after is None and dele.before == ("7", "picked", None)
    trunc = d.decode(b"T" + struct.pack("!Ib", 1, 1) + struct.pack("!I", 16402))
    assert trunc == Truncate((16402,), True, False)
    commit = d.decode(b"C" + struct.pack("!bqqq", 0, 0x16B3748, 0x16B3778, 10**6))
    assert isinstance(commit, Commit) and commit.end_lsn == 0x16B3778


def test_truncated_message_is_a_protocol_error():
    with pytest.raises(ProtocolError):
        Decoder().decode(b"B\x00\x01")


def test_lsn_round_trip():
    assert lsn_to_int("16/B374D848") == (0x16 << 32) + 0xB374D848
    assert int_to_lsn(lsn_to_int("0/C795920")) == "0/C795920"


def test_type_mapping_keeps_precision_and_uses_utc_iso():
    assert to_json("12345678901234.56", 1700) == "12345678901234.56"
    assert to_json("2024-03-05 10:12:00.5+02", 1184) == "2024-03-05T08:12:00.500000Z"
    assert to_json("2024-03-05 10:12:00+00", 1184) == "2024-03-05T10:12:00Z"
    assert to_json("\\x68656c6c6f", 17) == base64.b64encode(b"hello").decode()
    assert to_json("t", 16) is True and to_json("42", 23) == 42 and to_json(None, 23) is None
    assert to_json("2024-02-29", 1082) == "2024-02-29"
    assert parse_timestamptz("2024-01-01 00:00:00-05:30").utcoffset().total_seconds() == -19800
    assert arrow_type(1700, (18 << 16 | 2) + 4) == pa.decimal128(18, 2)
    assert arrow_type(1700, -1) == pa.string()
    assert arrow_type(1184, -1) == pa.timestamp("us", tz="UTC")


def test_row_messages_cut_short_or_malformed_are_protocol_errors():
    d = Decoder()
    d.decode(_relation_message(16402))
    insert = b"I" + struct.pack("!I", 16402) + b"N" + _tuple("7", "entered", "12.50")
    assert d.decode(insert).after == ("7", "entered", "12.50")
    for cut in (3, 6, 9, len(insert) - 1):
        with pytest.raises(ProtocolError):
            d.decode(insert[:cut])
    with pytest.raises(ProtocolError, match="update without a new tuple"):
        d.decode(b"U" + struct.pack("!I", 16402) + b"O" + _tuple("7", "a", None) + b"X")
    with pytest.raises(ProtocolError, match="delete without an old tuple"):
        d.decode(b"D" + struct.pack("!I", 16402) + b"N" + _tuple("7", "a", None))
    with pytest.raises(ProtocolError, match="unknown tuple column kind"):
        d.decode(b"I" + struct.pack("!I", 16402) + b"N" + struct.pack("!h", 1) + b"z")
    toast = d.decode(
        b"U"
        + struct.pack("!I", 16402)
        + b"N"
        + struct.pack("!h", 2)
        + b"u"
        + b"t"
        + struct.pack("!i", 2)
        + b"ok"
    )
    assert toast.before is None and toast.after[1] == "ok" and toast.after[0] is not None


def test_timestamps_in_utc_take_the_fast_path_and_odd_ones_the_exact_one():
    assert to_json("2024-03-05 10:12:00.123+00", 1184) == "2024-03-05T10:12:00.123000Z"
    assert to_json("2024-03-05 10:12:07", 1114) == "2024-03-05T10:12:07Z"
    assert to_json("2024-03-05 23:30:00-01", 1184) == "2024-03-06T00:30:00Z"
    with pytest.raises(ValueError):
        to_json("infinity", 1184)


def test_values_no_converter_accepts_are_kept_as_text():
    texts = pa.array(["infinity", "2024-01-01 00:00:00+00", None])
    assert json_values(texts, 1184) == ["infinity", "2024-01-01T00:00:00Z", None]
    assert json_values(pa.array(["1", "x"]), 23) == [1, "x"]
