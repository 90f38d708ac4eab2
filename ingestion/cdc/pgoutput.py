"""Decoder of the pgoutput logical replication protocol (version 1).

Messages come from `pg_logical_slot_peek_binary_changes(..., 'proto_version',
'1', 'publication_names', ...)` or a replication stream; each is decoded into
a small dataclass. Column values stay as Postgres text (or None); typing is
the job of `ingestion.cdc.values`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

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


@dataclass(frozen=True)
class Change:
    """An insert ('c'), update ('u') or delete ('d') of one row."""

    op: str
    relation_oid: int
    before: tuple | None
    after: tuple | None


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

    def unpack(self, fmt: str):
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

    def tuple_data(self) -> tuple:
        count = self.unpack("!h")
        values: list = []
        for _ in range(count):
            kind = self.byte()
            if kind == "n":
                values.append(None)
            elif kind == "u":
                values.append(UNCHANGED_TOAST)
            elif kind in ("t", "b"):
                length = self.unpack("!i")
                raw = self.data[self.pos : self.pos + length]
                self.pos += length
                values.append(raw.decode("utf-8") if kind == "t" else raw)
            else:
                raise ProtocolError(f"unknown tuple column kind {kind!r}")
        return tuple(values)


def pg_time(micros: int) -> datetime:
    return PG_EPOCH + timedelta(microseconds=micros)


@dataclass
class Decoder:
    """Stateful: Relation messages describe the tables later messages refer to."""

    relations: dict[int, Relation] = field(default_factory=dict)

    def decode(self, data: bytes):
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
        if kind == "I":
            oid = reader.unpack("!I")
            if reader.byte() != "N":
                raise ProtocolError("insert without a new tuple")
            return Change("c", oid, None, reader.tuple_data())
        if kind == "U":
            oid = reader.unpack("!I")
            before = None
            marker = reader.byte()
            if marker in ("K", "O"):
                before = reader.tuple_data()
                marker = reader.byte()
            if marker != "N":
                raise ProtocolError("update without a new tuple")
            return Change("u", oid, before, reader.tuple_data())
        if kind == "D":
            oid = reader.unpack("!I")
            if reader.byte() not in ("K", "O"):
                raise ProtocolError("delete without an old tuple")
            return Change("d", oid, reader.tuple_data(), None)
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
