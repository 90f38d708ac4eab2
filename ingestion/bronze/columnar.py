"""pgoutput row messages to a Bronze Arrow table, column by column (the streaming fast path).

The per-event path (decode each message, a ChangeEvent with JSON dicts per
row, `BronzeWriter.prepare`) builds Python objects for every value, which
caps it near 30,000 events/s on one core. Here one table version's row
messages are parsed together:

1. numpy walks every message's TupleData at once, column by column, over one
   concatenated buffer (kind byte, length, value offsets);
2. each column's values are gathered into an Arrow string array, and Arrow
   compute casts it to the Bronze type;
3. each row's before/after JSON objects and its Debezium envelope are
   assembled with Arrow string kernels from per-column JSON texts.

The rows and envelopes are the same, byte for byte, as the per-event path's
(tests/unit/test_bronze_columnar.py checks both on the same messages). Values
Arrow cannot take in bulk (e.g. `infinity` timestamps, bytea, strings that
need JSON escapes) go value by value through the same converters; row sets
holding unchanged TOAST values or binary-format columns go whole through the
per-event path.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.bronze.writer import (
    BronzeWriter,
    Prepared,
    arrow_type,
    batch_constants,
    bronze_name,
)
from ingestion.cdc import values
from ingestion.cdc.batch import TableRows, Transactions
from ingestion.cdc.events import CONNECTOR_VERSION, UNIX_EPOCH
from ingestion.cdc.pgoutput import ProtocolError, Relation
from ingestion.cdc.source import row_event

_TEXT, _NULL = ord("t"), ord("n")
_INSERT, _UPDATE, _DELETE = ord("I"), ord("U"), ord("D")
_NEW, _KEY, _OLD = ord("N"), ord("K"), ord("O")
_OPS = pa.array(["c", "u", "d"])
_NEEDS_ESCAPE = r'["\\\x00-\x1f]'  # what orjson escapes in a string
_GATHER_BYTES = 1 << 24  # value bytes of one column gathered at once
_UTC_TEXT = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?"  # 4-digit AD years, as Postgres prints


class Unsupported(Exception):
    """Row messages this path does not parse (unchanged TOAST values, binary columns)."""


def prepare(
    writer: BronzeWriter,
    rows: TableRows,
    txs: Transactions,
    batch_id: str,
    *,
    target: Relation | None = None,
    now: datetime | None = None,
) -> Prepared:
    """The Arrow table of one table version's row messages not yet in Bronze, laid out for
    `target` (the table's latest version in the batch; default: this one)."""
    relation = rows.relation
    target = target or relation
    table = bronze_name(target)
    mark = writer.high_water_mark(table)
    xids, lsns, commit_us = txs.arrays()
    all_tx = np.asarray(rows.tx, np.int64)
    all_lsn = lsns[all_tx]
    # streamed changes are (lsn, 1): keep those above the mark
    picked = np.flatnonzero((all_lsn > mark[0]) | ((all_lsn == mark[0]) & (mark[1] < 1)))
    messages = (
        rows.messages if len(picked) == len(all_tx) else [rows.messages[i] for i in picked.tolist()]
    )
    if not messages:
        return Prepared(table, None, Counter(), mark, False)
    try:
        parsed = _parse(messages, len(relation.columns))
    except Unsupported:
        return writer.prepare(target, _events(rows, txs, picked), batch_id, now=now)
    tx, lsn = all_tx[picked], all_lsn[picked]
    op_index = np.where(parsed.kinds == _INSERT, 0, np.where(parsed.kinds == _UPDATE, 1, 2))
    ops = _OPS.take(pa.array(op_index))
    image_texts = [parsed.image_texts(i) for i in range(len(relation.columns))]
    before, after = _images(relation, parsed, image_texts, ops)
    rows_table, adds_columns = _assemble(
        writer,
        target,
        relation,
        image_texts,
        _Meta(
            ops,
            before,
            after,
            xids[tx],
            lsn,
            commit_us[tx],
            np.asarray(rows.seq, np.int64)[picked],
            np.asarray(rows.order, np.int64)[picked],
            "false",
        ),
        batch_id,
        now or datetime.now(UTC),
    )
    written = Counter(dict(zip("cud", np.bincount(op_index, minlength=3).tolist(), strict=True)))
    return Prepared(table, rows_table, +written, max(mark, (int(lsn.max()), 1)), adds_columns)


def prepare_snapshot(
    writer: BronzeWriter,
    relation: Relation,
    rows: list[tuple],
    first: int,
    *,
    lsn: int,
    xid: int,
    taken: datetime,
    batch_id: str,
    now: datetime | None = None,
) -> Prepared:
    """The Arrow table of a chunk of snapshot rows (each value its type's output text, as
    `source.snapshot_texts` reads them; `first` is the chunk's position in the table)."""
    table = bronze_name(relation)
    mark = writer.high_water_mark(table)
    if not rows or (lsn, 0) < mark:  # nothing, or a snapshot Bronze already has
        return Prepared(table, None, Counter(), mark, False)
    n = len(rows)
    image_texts = [pa.array(values_, pa.string()) for values_ in zip(*rows, strict=True)]
    if len(image_texts) != len(relation.columns):
        raise ProtocolError(
            f"snapshot rows of {relation.qualified} have {len(image_texts)} "
            f"columns, the table {len(relation.columns)}"
        )
    seq = np.arange(first, first + n, dtype=np.int64)
    taken_us = (taken - UNIX_EPOCH) // timedelta(microseconds=1)
    after = (
        _image_json(relation, image_texts) if image_texts else pa.repeat(pa.scalar("{}"), n)
    )  # a table without columns
    meta = _Meta(
        pa.repeat(pa.scalar("r"), n),
        pa.repeat(pa.scalar("null"), n),
        after,
        np.full(n, xid, np.int64),
        np.full(n, lsn, np.int64),
        np.full(n, taken_us, np.int64),
        seq,
        seq + 1,
        "true",
    )
    rows_table, adds_columns = _assemble(
        writer, relation, relation, image_texts, meta, batch_id, now or datetime.now(UTC)
    )
    return Prepared(table, rows_table, Counter({"r": n}), max(mark, (lsn, 0)), adds_columns)


@dataclass(frozen=True)
class _Meta:
    """Per-row change metadata: op, JSON images, transaction, position."""

    ops: pa.StringArray
    before: pa.StringArray  # JSON text, "null" where there is none
    after: pa.StringArray
    xid: np.ndarray
    lsn: np.ndarray
    commit_us: np.ndarray  # Unix microseconds
    seq: np.ndarray
    order: np.ndarray
    snapshot: str  # source.snapshot: "true" or "false"


def _assemble(
    writer: BronzeWriter,
    target: Relation,
    relation: Relation,
    image_texts: list[pa.StringArray],
    meta: _Meta,
    batch_id: str,
    now: datetime,
) -> tuple[pa.Table, bool]:
    """Bronze's Arrow table (laid out for target) from a relation version's column texts."""
    table = bronze_name(target)
    layout, adds_columns = writer.layout(table, target)
    n = len(meta.ops)
    columns = {
        "_op": meta.ops,
        "_lsn": pa.array(meta.lsn),
        "_tx_id": pa.array(meta.xid),
        "_commit_ts": pa.array(meta.commit_us).cast(arrow_type("timestamp")),
        "_seq": pa.array(meta.seq, pa.int32()),
        **batch_constants(now, batch_id, n),
        "_envelope": _envelopes(writer, relation, meta, now),
    }
    index = {c.name: i for i, c in enumerate(relation.columns)}
    fields, arrays = [], []
    for name, spark_type, kind in layout:
        arrow = arrow_type(spark_type)
        fields.append(pa.field(name, arrow))
        if kind == "meta":
            arrays.append(columns[name].cast(arrow))
        elif kind == "src" and name in index:
            column = relation.columns[index[name]]
            arrays.append(
                _typed(writer, table, column, image_texts[index[name]], spark_type, arrow)
            )
        else:  # no longer sent, or not yet in this version of the table
            arrays.append(pa.nulls(n, arrow))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields)), adds_columns


def _events(rows: TableRows, txs: Transactions, picked: np.ndarray):
    for i in picked.tolist():
        t = rows.tx[i]
        yield row_event(
            rows.relation,
            rows.messages[i],
            txs.lsn[t],
            txs.xid[t],
            txs.commit_time(t),
            rows.seq[i],
            rows.order[i],
        )


class _Parsed:
    """Where each value of each row sits in the concatenated buffer.

    first: the tuple right after the relation id (new tuple of inserts and of updates without
    an old image, old tuple of deletes and of updates with one); second: the new tuple of
    updates with an old image.
    """

    def __init__(self, buf: np.ndarray, kinds: np.ndarray, first, second, has_old: np.ndarray):
        self.buf, self.kinds, self.first, self.second = buf, kinds, first, second
        self.old_rows = np.flatnonzero(has_old)

    def image_texts(self, column: int) -> pa.StringArray:
        """The row image Bronze keeps (the new tuple; the old one for deletes) of a column."""
        kind, start, length = (a.copy() for a in self.first[column])
        if len(self.old_rows):
            kind[self.old_rows], start[self.old_rows], length[self.old_rows] = self.second[column]
        return _strings(self.buf, kind, start, length)

    def old_texts(self, column: int) -> pa.StringArray:
        """The old tuple of updates that carry one (in the order of old_rows)."""
        kind, start, length = (a[self.old_rows] for a in self.first[column])
        return _strings(self.buf, kind, start, length)


def _parse(messages: list[bytes], columns: int) -> _Parsed:
    if not columns:
        raise Unsupported  # a table without columns: nothing to gather
    lengths = np.fromiter(map(len, messages), np.int64, len(messages))
    if (lengths < 7).any():
        raise ProtocolError("message ended early")
    ends = np.cumsum(lengths)
    starts = ends - lengths
    buf = np.frombuffer(b"".join(messages), np.uint8)
    kinds = buf[starts]
    marker = buf[starts + 5]
    is_update = kinds == _UPDATE
    has_old = is_update & ((marker == _KEY) | (marker == _OLD))
    if ((kinds == _INSERT) & (marker != _NEW)).any():
        raise ProtocolError("insert without a new tuple")
    if ((kinds == _DELETE) & (marker != _KEY) & (marker != _OLD)).any():
        raise ProtocolError("delete without an old tuple")
    if (is_update & ~has_old & (marker != _NEW)).any():
        raise ProtocolError("update without a new tuple")
    first, after_first = _tuples(buf, starts + 6, ends, columns)
    second = None
    if has_old.any():
        pos = after_first[has_old]
        if (pos >= ends[has_old]).any() or (buf[np.minimum(pos, len(buf) - 1)] != _NEW).any():
            raise ProtocolError("update without a new tuple")
        second, _ = _tuples(buf, pos + 1, ends[has_old], columns)
    return _Parsed(buf, kinds, first, second, has_old)


def _tuples(buf: np.ndarray, pos: np.ndarray, ends: np.ndarray, columns: int):
    """TupleData at pos of every row -> per column (kind, value start, value length), and the
    position after each tuple."""
    if (pos + 2 > ends).any():
        raise ProtocolError("message ended early")
    count = (buf[pos].astype(np.int64) << 8) | buf[pos + 1]
    if (count != columns).any():
        raise ProtocolError(
            f"row with {int(count[count != columns][0])} columns, its relation has {columns}"
        )
    pos = pos + 2
    out = []
    for _ in range(columns):
        if (pos >= ends).any():
            raise ProtocolError("message ended early")
        kind = buf[pos]
        text = kind == _TEXT
        if not (text | (kind == _NULL)).all():
            if np.isin(kind, np.frombuffer(b"ub", np.uint8)).any():
                raise Unsupported  # unchanged TOAST value or binary-format column
            raise ProtocolError(f"unknown tuple column kind {chr(int(kind[~text][0]))!r}")
        length = np.zeros(len(pos), np.int64)
        at = pos[text]
        if (at + 5 > ends[text]).any():
            raise ProtocolError("message ended early")
        length[text] = (
            (buf[at + 1].astype(np.int64) << 24)
            | (buf[at + 2].astype(np.int64) << 16)
            | (buf[at + 3].astype(np.int64) << 8)
            | buf[at + 4]
        )
        out.append((kind, pos + 5, length))
        pos = pos + 1 + np.where(text, 4 + length, 0)
        if (pos > ends).any():
            raise ProtocolError("message ended early")
    return out, pos


def _strings(
    buf: np.ndarray, kind: np.ndarray, start: np.ndarray, length: np.ndarray
) -> pa.StringArray:
    """Gather each row's value bytes into one Arrow string array (null where not text)."""
    valid = kind == _TEXT
    length = np.where(valid, length, 0)
    offsets = np.zeros(len(kind) + 1, np.int64)
    np.cumsum(length, out=offsets[1:])
    if offsets[-1] > _GATHER_BYTES and len(kind) > 1:  # the index takes 8 bytes per byte
        half = len(kind) // 2
        return pa.concat_arrays(
            [
                _strings(buf, kind[:half], start[:half], length[:half]),
                _strings(buf, kind[half:], start[half:], length[half:]),
            ]
        )
    if len(kind) == 1:
        gather = slice(int(start[0]), int(start[0] + length[0]))
    else:
        gather = np.repeat(start - offsets[:-1], length) + np.arange(offsets[-1])
    null_count = int(len(kind) - valid.sum())
    array = pa.Array.from_buffers(
        pa.large_string(),
        len(kind),
        [
            pa.py_buffer(np.packbits(valid, bitorder="little")) if null_count else None,
            pa.py_buffer(offsets),
            pa.py_buffer(buf[gather]),
        ],
        null_count=null_count,
    )
    try:
        array.validate(full=True)
    except pa.ArrowInvalid as exc:
        raise ProtocolError(f"column value is not UTF-8 ({exc})") from exc
    return array.cast(pa.string())


def _typed(
    writer: BronzeWriter,
    table: str,
    column,
    texts: pa.StringArray,
    spark_type: str,
    arrow: pa.DataType,
) -> pa.Array:
    """A column's text values as its Bronze type: Arrow casts in bulk where the Bronze type is
    the source type's own; otherwise (or when a value does not parse) value by value, as the
    per-event path does."""
    oid = column.type_oid
    if spark_type == values.spark_type(oid, column.type_modifier):
        try:
            if oid == values.BOOL_OID:
                return pc.equal(texts, "t")
            if oid == values.TIMESTAMP_OID:
                return pc.cast(pc.cast(texts, pa.timestamp("us")), arrow)
            if spark_type == "float":  # through double, as float() does
                return pc.cast(pc.cast(texts, pa.float64()), arrow)
            if values.json_converter(oid) is None and spark_type == "string":
                return texts
            if spark_type != "binary":
                return pc.cast(texts, arrow)
        except (pa.ArrowException, ValueError):
            pass
    return writer.column(table, column.name, _json_objects(texts, oid), spark_type, arrow)


def _json_objects(texts: pa.StringArray, oid: int) -> list:
    """Text values -> JSON values (Python objects), as the per-event path makes them."""
    convert = values.json_converter(oid)
    return [values.json_value(text, convert) for text in texts.to_pylist()]


def _json_texts(texts: pa.StringArray, oid: int) -> pa.StringArray:
    """Each value's JSON text under the envelope's type mapping ("null" for nulls)."""
    out = None  # floats stay value by value: orjson's float text is not Postgres's
    if oid in values.INT_OIDS:
        if pc.all(pc.match_substring_regex(texts, r"^-?\d+$")).as_py() in (True, None):
            out = texts  # Postgres's integer text is already JSON
    elif oid == values.BOOL_OID:
        out = pc.if_else(pc.equal(texts, "t"), "true", "false")
    elif oid in (values.TIMESTAMPTZ_OID, values.TIMESTAMP_OID):
        suffix = r"\+00$" if oid == values.TIMESTAMPTZ_OID else "$"
        if pc.all(pc.match_substring_regex(texts, _UTC_TEXT + suffix)).as_py() in (True, None):
            out = _iso_utc(texts)
    elif (
        values.json_converter(oid) is None
        and not pc.any(pc.match_substring_regex(texts, _NEEDS_ESCAPE)).as_py()
    ):
        out = _quoted(texts)
    if out is None:  # value by value
        out = pa.array([orjson.dumps(v).decode() for v in _json_objects(texts, oid)], pa.string())
    return pc.fill_null(out, "null")


def _quoted(texts: pa.StringArray) -> pa.StringArray:
    return pc.binary_join_element_wise('"', texts, '"', "")


def _iso_utc(texts: pa.StringArray) -> pa.StringArray:
    """'YYYY-MM-DD HH:MM:SS[.f][+00]' -> '"YYYY-MM-DDTHH:MM:SS[.ffffff]Z"' (the fraction padded
    to six digits, none when there is none), as `values._iso_utc_text` writes it."""
    body = pc.replace_substring_regex(texts, r"\+00$", "")
    fraction = pc.utf8_slice_codeunits(body, 19)
    fraction = pc.if_else(pc.equal(fraction, ""), "", pc.utf8_rpad(fraction, 7, "0"))
    return pc.binary_join_element_wise(
        '"',
        pc.utf8_slice_codeunits(body, 0, 10),
        "T",
        pc.utf8_slice_codeunits(body, 11, 19),
        fraction,
        'Z"',
        "",
    )


def _image_json(relation: Relation, texts: list[pa.StringArray]) -> pa.StringArray:
    """{"column": value, ...} per row, keys in the relation's column order."""
    parts: list = []
    for i, (column, values_) in enumerate(zip(relation.columns, texts, strict=True)):
        key = orjson.dumps(column.name).decode()
        parts.append(("{" if i == 0 else ",") + key + ":")
        parts.append(_json_texts(values_, column.type_oid))
    parts.append("}")
    return pc.binary_join_element_wise(*parts, "")


def _images(
    relation: Relation, parsed: _Parsed, image_texts: list[pa.StringArray], ops: pa.StringArray
) -> tuple[pa.StringArray, pa.StringArray]:
    """(before, after) JSON per row: after for inserts and updates; before for deletes (their
    image) and for updates whose old tuple pgoutput sent; "null" otherwise."""
    n = len(ops)
    image = _image_json(relation, image_texts)
    after = pc.if_else(pc.equal(ops, "d"), "null", image)
    candidates = [image, pa.array(["null"])]
    m = len(parsed.old_rows)
    pick = np.where(parsed.kinds == _DELETE, np.arange(n), n + m)  # n + m: "null"
    if m:
        candidates.insert(
            1, _image_json(relation, [parsed.old_texts(i) for i in range(len(relation.columns))])
        )
        pick[parsed.old_rows] = n + np.arange(m)
    return pa.concat_arrays(candidates).take(pa.array(pick)), after


def _envelopes(
    writer: BronzeWriter, relation: Relation, meta: _Meta, now: datetime
) -> pa.StringArray:
    """Each row's envelope JSON, laid out exactly as `ChangeEvent.envelope_json` writes it."""
    text = lambda a: pa.array(a).cast(pa.string())  # noqa: E731
    xid_text, lsn_text = text(meta.xid), text(meta.lsn)
    dumps = lambda v: orjson.dumps(v).decode()  # noqa: E731
    source = (
        f',"source":{{"version":{dumps(CONNECTOR_VERSION)},"connector":"postgresql",'
        f'"name":{dumps(writer.server_name)},"ts_ms":'
    )
    return pc.binary_join_element_wise(
        '{"before":',
        meta.before,
        ',"after":',
        meta.after,
        source,
        text(meta.commit_us // 1000),
        f',"snapshot":{dumps(meta.snapshot)},"db":{dumps(writer.settings.pg_database)},'
        f'"schema":{dumps(relation.schema)},"table":{dumps(relation.name)},"txId":',
        xid_text,
        ',"lsn":',
        lsn_text,
        '},"op":"',
        meta.ops,
        f'","ts_ms":{int(now.timestamp() * 1000)},"transaction":{{"id":"',
        xid_text,
        ":",
        lsn_text,
        '","total_order":',
        text(meta.seq + 1),
        ',"data_collection_order":',
        text(meta.order),
        "}}",
        "",
    )
