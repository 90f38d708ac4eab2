"""Decoder of the pgoutput logical replication protocol (version 1).

Messages come from `pg_logical_slot_peek_binary_changes(..., 'proto_version',
'1', 'publication_names', ...)` or a replication stream; each is decoded into
a small dataclass. Column values stay as Postgres text (or None); typing is
the job of `ingestion.cdc.convert`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
UNCHANGED_TOAST = object()  # a column value pgoutput did not send (unchanged TOAST)


class ProtocolError(ValueError):
    """A pgoutput message could not be decoded."""


@dataclass(frozen=True)
class Column:
    name: str
    type_oid: int
    type_modifier: int
    is_key: bool


@dataclass(frozen=True)
class Relation:
    oid: int
    schema: str
    name: str
    replica_identity: str
    columns: tuple[Column, ...]

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class Begin:
    final_lsn: int
    commit_time: datetime
    xid: int


@dataclass(frozen=True)
class Commit:
    commit_lsn: int
    end_lsn: int
    commit_time: datetime


@dataclass(slots=True)  # built per row: not frozen, which would slow __init__ down
class Change:
    """An insert ('c'), update ('u') or delete ('d') of one row."""

    op: str
    relation_oid: int
    before: tuple[object, ...] | None
    after: tuple[object, ...] | None


@dataclass(frozen=True)
class Truncate:
    relation_oids: tuple[int, ...]
    cascade: bool
    restart_identity: bool


@dataclass
class _Reader:
    data: bytes
    pos: int = 0

    def byte(self) -> str:
        value = self.data[self.pos : self.pos + 1]
        if not value:
            raise ProtocolError("message ended early")
        self.pos += 1
        return value.decode("ascii")

    def unpack(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ProtocolError("message ended early")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values[0] if len(values) == 1 else values

    def string(self) -> str:
        end = self.data.index(b"\0", self.pos)
        value = self.data[self.pos : end].decode("utf-8")
        self.pos = end + 1
        return value


_COUNT = struct.Struct("!h").unpack_from
_LENGTH = struct.Struct("!i").unpack_from
_TEXT, _NULL, _TOAST, _BINARY = b"t"[0], b"n"[0], b"u"[0], b"b"[0]


def read_tuple(data: bytes, pos: int) -> tuple[tuple[object, ...], int]:
    """TupleData at pos -> (column values, position after it); the decoder's hot loop."""
    try:
        (count,) = _COUNT(data, pos)
        pos += 2
        values: list[object] = []
        append = values.append
        for _ in range(count):
            kind = data[pos]
            pos += 1
            if kind == _TEXT:
                (length,) = _LENGTH(data, pos)
                start, pos = pos + 4, pos + 4 + length
                if pos > len(data):
                    raise ProtocolError("message ended early")
                append(data[start:pos].decode("utf-8"))
            elif kind == _NULL:
                append(None)
            elif kind == _TOAST:
                append(UNCHANGED_TOAST)
            elif kind == _BINARY:
                (length,) = _LENGTH(data, pos)
                start, pos = pos + 4, pos + 4 + length
                if pos > len(data):
                    raise ProtocolError("message ended early")
                append(data[start:pos])
            else:
                raise ProtocolError(f"unknown tuple column kind {chr(kind)!r}")
    except (struct.error, IndexError) as exc:
        raise ProtocolError("message ended early") from exc
    return tuple(values), pos


_OID = struct.Struct("!I").unpack_from
_NEW, _KEY, _OLD = b"N"[0], b"K"[0], b"O"[0]


def row_change(data: bytes) -> Change:
    """Insert, Update and Delete messages (the bulk of the stream), parsed in place."""
    if len(data) < 6:
        raise ProtocolError("message ended early")
    kind = data[0]
    (oid,) = _OID(data, 1)
    marker = data[5]
    if kind == b"I"[0]:
        if marker != _NEW:
            raise ProtocolError("insert without a new tuple")
        return Change("c", oid, None, read_tuple(data, 6)[0])
    if kind == b"D"[0]:
        if marker not in (_KEY, _OLD):
            raise ProtocolError("delete without an old tuple")
        return Change("d", oid, read_tuple(data, 6)[0], None)
    before, pos = None, 6
    if marker in (_KEY, _OLD):
        before, pos = read_tuple(data, 6)
        if pos >= len(data):
            raise ProtocolError("message ended early")
        marker, pos = data[pos], pos + 1
    if marker != _NEW:
        raise ProtocolError("update without a new tuple")
    return Change("u", oid, before, read_tuple(data, pos)[0])


def pg_time(micros: int) -> datetime:
    return PG_EPOCH + timedelta(microseconds=micros)


@dataclass
class Decoder:
    """Stateful: Relation messages describe the tables later messages refer to."""

    relations: dict[int, Relation] = field(default_factory=dict)

    def decode(self, data: bytes) -> Begin | Commit | Relation | Truncate | Change | None:
        """One pgoutput message (None: a kind capture has no use for)."""
        if data[:1] in (b"I", b"U", b"D"):
            return row_change(bytes(data))
        reader = _Reader(bytes(data))
        kind = reader.byte()
        if kind == "B":
            final_lsn, ts, xid = reader.unpack("!qqI")
            return Begin(final_lsn=final_lsn, commit_time=pg_time(ts), xid=xid)
        if kind == "C":
            _flags, commit_lsn, end_lsn, ts = reader.unpack("!bqqq")
            return Commit(commit_lsn=commit_lsn, end_lsn=end_lsn, commit_time=pg_time(ts))
        if kind == "R":
            oid = reader.unpack("!I")
            schema, name = reader.string(), reader.string()
            ident = reader.byte()
            columns = []
            for _ in range(reader.unpack("!h")):
                flags = reader.unpack("!b")
                col_name = reader.string()
                type_oid, modifier = reader.unpack("!Ii")
                columns.append(Column(col_name, type_oid, modifier, bool(flags & 1)))
            relation = Relation(oid, schema, name, ident, tuple(columns))
            self.relations[oid] = relation
            return relation
        if kind == "T":
            count, options = reader.unpack("!Ib")
            oids = tuple(reader.unpack("!I") for _ in range(count))
            return Truncate(oids, bool(options & 1), bool(options & 2))
        if kind in ("Y", "O", "M"):  # type, origin, logical message: nothing to capture
            return None
        raise ProtocolError(f"unknown pgoutput message {kind!r}")


def lsn_to_int(lsn: str) -> int:
    high, low = lsn.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def int_to_lsn(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"
