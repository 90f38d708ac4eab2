"""pgoutput row messages (Insert, Update, Delete) -> each column's text values, all rows at once.

numpy walks every message's TupleData together, column by column, over one
concatenated buffer (kind byte, length, value offsets); each column's value
bytes are then gathered into one Arrow string array. An unchanged TOAST value
(kind 'u') of an update's new tuple is taken from the old tuple when pgoutput
sent one, and is otherwise absent from the row image (null in Bronze).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ingestion.cdc.pgoutput import ProtocolError

Ints = npt.NDArray[np.int64]
Bytes = npt.NDArray[np.uint8]
Bools = npt.NDArray[np.bool_]
ColumnSpans = tuple[Bytes, Ints, Ints]  # per row: kind byte, value start, value length

TEXT, NULL, TOAST = ord("t"), ord("n"), ord("u")
INSERT, UPDATE, DELETE = ord("I"), ord("U"), ord("D")
_NEW, _KEY, _OLD = ord("N"), ord("K"), ord("O")
GATHER_BYTES = 1 << 24  # value bytes of one column gathered at once


class RowTuples:
    """Where each value of each row sits in the concatenated buffer.

    first: the tuple right after the relation id (new tuple of inserts and of updates without
    an old image, old tuple of deletes and of updates with one); second: the new tuple of
    updates with an old image (in the order of old_rows).
    """

    def __init__(
        self,
        buf: Bytes,
        kinds: Bytes,
        first: list[ColumnSpans],
        second: list[ColumnSpans] | None,
        has_old: Bools,
    ) -> None:
        self.buf, self.kinds, self.first, self.second = buf, kinds, first, second
        self.old_rows: Ints = np.flatnonzero(has_old)

    def __len__(self) -> int:
        return len(self.kinds)

    def image(self, column: int) -> tuple[pa.StringArray, Bools | None]:
        """The row image Bronze keeps (the new tuple; the old one for deletes) of a column:
        its texts, and where the value is absent (unchanged TOAST; None: nowhere)."""
        first_kind, first_start, first_length = self.first[column]
        kind, start, length = first_kind.copy(), first_start.copy(), first_length.copy()
        if self.second is not None:
            new_kind, new_start, new_length = self.second[column]
            sent = new_kind != TOAST  # unchanged TOAST values: keep the old tuple's
            rows = self.old_rows[sent]
            kind[rows], start[rows], length[rows] = (
                new_kind[sent],
                new_start[sent],
                new_length[sent],
            )
        return strings(self.buf, kind, start, length), _absent(kind)

    def old(self, column: int) -> tuple[pa.StringArray, Bools | None]:
        """The old tuple of updates that carry one (in the order of old_rows)."""
        kind, start, length = self.first[column]
        rows = self.old_rows
        return strings(self.buf, kind[rows], start[rows], length[rows]), _absent(kind[rows])


def _absent(kind: Bytes) -> Bools | None:
    toast: Bools = kind == TOAST
    return toast if toast.any() else None


def parse(messages: list[bytes], columns: int) -> RowTuples:
    """Parse row messages of one relation version (`columns` columns each)."""
    lengths = np.fromiter(map(len, messages), np.int64, len(messages))
    if (lengths < 7).any():
        raise ProtocolError("message ended early")
    ends = np.cumsum(lengths)
    starts = ends - lengths
    buf = np.frombuffer(b"".join(messages), np.uint8)
    kinds = buf[starts]
    marker = buf[starts + 5]
    is_update = kinds == UPDATE
    has_old = is_update & ((marker == _KEY) | (marker == _OLD))
    if ((kinds == INSERT) & (marker != _NEW)).any():
        raise ProtocolError("insert without a new tuple")
    if ((kinds == DELETE) & (marker != _KEY) & (marker != _OLD)).any():
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
    return RowTuples(buf, kinds, first, second, has_old)


def _tuples(buf: Bytes, pos: Ints, ends: Ints, columns: int) -> tuple[list[ColumnSpans], Ints]:
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
    out: list[ColumnSpans] = []
    for _ in range(columns):
        if (pos >= ends).any():
            raise ProtocolError("message ended early")
        kind = buf[pos]
        text = kind == TEXT
        if not (text | (kind == NULL) | (kind == TOAST)).all():
            bad = chr(int(kind[~(text | (kind == NULL) | (kind == TOAST))][0]))
            if bad == "b":  # only sent when the 'binary' option is on, which capture never sets
                raise ProtocolError("binary-format column value, which capture does not request")
            raise ProtocolError(f"unknown tuple column kind {bad!r}")
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


def strings(buf: Bytes, kind: Bytes, start: Ints, length: Ints) -> pa.StringArray:
    """Gather each row's value bytes into one Arrow string array (null where not text)."""
    valid = kind == TEXT
    length = np.where(valid, length, 0)
    offsets = np.zeros(len(kind) + 1, np.int64)
    np.cumsum(length, out=offsets[1:])
    if offsets[-1] > GATHER_BYTES and len(kind) > 1:  # the index takes 8 bytes per byte
        half = len(kind) // 2
        return pa.concat_arrays(
            [
                strings(buf, kind[:half], start[:half], length[:half]),
                strings(buf, kind[half:], start[half:], length[half:]),
            ]
        )
    gather: slice | Ints
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
