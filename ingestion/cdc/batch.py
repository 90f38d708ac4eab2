"""A batch of whole transactions peeked from the slot, kept as raw row messages per table.

Reading does as little per message as it can: Begin, Commit, Relation and
Truncate messages are decoded, while Insert, Update and Delete messages (the
bulk of the stream) are only filed, undecoded, under their table version with
their transaction context (transaction, position in it, position among the
table's changes in it). `ingestion.cdc.convert` then parses each table's
messages all at once. A transaction still open at the end of the peek is left
out: it is read again, whole, by the next batch.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg

from ingestion.cdc.pgoutput import (
    Begin,
    Commit,
    Decoder,
    ProtocolError,
    Relation,
    Truncate,
    int_to_lsn,
)
from ingestion.source.db import PUBLICATION

UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ROW_KINDS = frozenset(b"IUD")
_OID = struct.Struct("!I").unpack_from


@dataclass
class TableRows:
    """One table version's row messages in a batch (a Relation message mid-batch, e.g. an
    added column, starts a new TableRows for the same table)."""

    relation: Relation
    messages: list[bytes] = field(default_factory=list)
    tx: list[int] = field(default_factory=list)  # index into Batch.transactions
    seq: list[int] = field(default_factory=list)  # position in the transaction, from 0
    order: list[int] = field(default_factory=list)  # position among the table's changes, from 1
    committed: int = 0  # rows of transactions whose Commit was read

    def drop_uncommitted(self) -> None:
        for rows in (self.messages, self.tx, self.seq, self.order):
            del rows[self.committed :]


@dataclass
class TableTruncates:
    """One table version's truncates in a batch, with their transaction context."""

    relation: Relation
    tx: list[int] = field(default_factory=list)
    seq: list[int] = field(default_factory=list)
    order: list[int] = field(default_factory=list)


@dataclass
class Transactions:
    """Per-transaction context, as arrays for column-wise lookups by transaction index."""

    xid: list[int] = field(default_factory=list)
    lsn: list[int] = field(default_factory=list)  # commit LSN (Begin's final LSN)
    end_lsn: list[int] = field(default_factory=list)
    commit_micros: list[int] = field(default_factory=list)  # Unix microseconds

    def __len__(self) -> int:
        return len(self.xid)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(xid, commit LSN, commit time in Unix microseconds), indexable by transaction."""
        return (
            np.asarray(self.xid, np.int64),
            np.asarray(self.lsn, np.int64),
            np.asarray(self.commit_micros, np.int64),
        )

    def commit_time(self, tx: int) -> datetime:
        return UNIX_EPOCH + timedelta(microseconds=self.commit_micros[tx])


@dataclass
class Batch:
    tables: list[TableRows]
    truncates: list[TableTruncates]
    transactions: Transactions
    latest: dict[int, Relation]  # table oid -> its latest version among the batch's changes
    messages: int = 0  # pgoutput messages peeked (the batch limit counts these)

    @property
    def first_lsn(self) -> int:
        return self.transactions.lsn[0]

    @property
    def end_lsn(self) -> int:
        return self.transactions.end_lsn[-1]

    @property
    def last_commit_time(self) -> datetime:
        return self.transactions.commit_time(-1)

    @property
    def batch_id(self) -> str:
        return f"{int_to_lsn(self.first_lsn)}-{int_to_lsn(self.end_lsn)}"

    def relations(self) -> list[Relation]:
        """The tables this batch changes (latest version of each)."""
        return list(self.latest.values())


def peek(
    conn: psycopg.Connection, slot: str, *, max_changes: int, upto_lsn: int | None
) -> list[bytes]:
    """The pgoutput messages after the slot's confirmed position (consumes nothing)."""
    upto = None if upto_lsn is None else int_to_lsn(upto_lsn)
    rows = conn.execute(
        "select data from pg_logical_slot_peek_binary_changes(%s, %s::pg_lsn, %s, "
        "'proto_version', '1', 'publication_names', %s)",
        (slot, upto, max_changes, PUBLICATION),
        binary=True,  # bytea as raw bytes: half the transfer of hex text, no hex decoding
    ).fetchall()
    return [data for (data,) in rows]


def read_batch(
    conn: psycopg.Connection, slot: str, decoder: Decoder, *, max_changes: int, upto_lsn: int | None
) -> Batch:
    """Peek complete transactions after the slot's confirmed position (consumes nothing)."""
    return collect(peek(conn, slot, max_changes=max_changes, upto_lsn=upto_lsn), decoder)


def collect(messages: list[bytes], decoder: Decoder, *, after_lsn: int = 0) -> Batch:
    """File a stream of pgoutput messages into a Batch of its committed transactions,
    leaving out those committed before after_lsn (already written; their Relation messages
    still update the decoder)."""
    tables: list[TableRows] = []
    current_rows: dict[int, TableRows] = {}  # table oid -> rows of its current version
    latest: dict[int, Relation] = {}
    committed_latest: dict[int, Relation] = {}
    txs = Transactions()
    truncates: list[tuple[Relation, int, int, int]] = []  # relation, tx, seq, order
    committed_truncates = 0
    begin: Begin | None = None
    seq = 0
    order: dict[int, int] = {}
    for data in messages:
        if data[0] in _ROW_KINDS:
            if begin is None:
                continue
            if len(data) < 6:
                raise ProtocolError("message ended early")
            (oid,) = _OID(data, 1)
            rows = current_rows.get(oid)
            if rows is None:
                relation = decoder.relations.get(oid)
                if relation is None:
                    raise ProtocolError(f"row change of relation {oid} before its Relation message")
                rows = current_rows[oid] = TableRows(relation)
                tables.append(rows)
                latest[oid] = relation
            n = order[oid] = order.get(oid, 0) + 1
            rows.messages.append(data)
            rows.tx.append(len(txs))
            rows.seq.append(seq)
            rows.order.append(n)
            seq += 1
            continue
        message = decoder.decode(data)
        if isinstance(message, Begin):
            begin, seq = (message if message.final_lsn >= after_lsn else None), 0
            order.clear()
        elif isinstance(message, Commit) and begin is not None:
            txs.xid.append(begin.xid)
            txs.lsn.append(begin.final_lsn)
            txs.end_lsn.append(message.end_lsn)
            txs.commit_micros.append((begin.commit_time - UNIX_EPOCH) // timedelta(microseconds=1))
            for rows in tables:
                rows.committed = len(rows.messages)
            committed_truncates = len(truncates)
            committed_latest = dict(latest)
            begin = None
        elif isinstance(message, Relation):
            current_rows.pop(message.oid, None)
        elif isinstance(message, Truncate) and begin is not None:
            for oid in message.relation_oids:
                latest[oid] = decoder.relations[oid]
                n = order[oid] = order.get(oid, 0) + 1
                truncates.append((decoder.relations[oid], len(txs), seq, n))
                seq += 1  # noqa: SIM113 (row messages count too)
    for rows in tables:
        rows.drop_uncommitted()
    del truncates[committed_truncates:]
    return Batch(
        [rows for rows in tables if rows.messages],
        _by_relation(truncates),
        txs,
        committed_latest,
        len(messages),
    )


def _by_relation(truncates: list[tuple[Relation, int, int, int]]) -> list[TableTruncates]:
    """Truncates filed per table version, in stream order."""
    grouped: dict[int, TableTruncates] = {}
    for relation, tx, seq, order in truncates:
        found = grouped.setdefault(id(relation), TableTruncates(relation))
        found.tx.append(tx)
        found.seq.append(seq)
        found.order.append(order)
    return list(grouped.values())
