"""Reading the source: the replication slot, the consistent snapshot, and decoded transactions.

The slot is created on a replication connection with EXPORT_SNAPSHOT; the
initial snapshot of every published table is read in that exported snapshot,
so snapshot and stream meet exactly at the slot's consistent point (no gap,
no overlap). Changes are peeked by `ingestion.cdc.batch` (nothing is
consumed) and the slot is advanced only after Bronze committed them
(`confirm`).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.string import TextLoader

from infra.errors import SourceError
from infra.settings import Settings
from ingestion.cdc.pgoutput import Column, Relation, lsn_to_int
from ingestion.source.db import PUBLICATION, connect

DEFAULT_SLOT = "lakepulse_cdc"
SnapshotRow = tuple[str | None, ...]  # each value its type's output text


def _one(conn: psycopg.Connection, query: str) -> Any:
    """The single value a query returns."""
    row = conn.execute(query).fetchone()
    if row is None:
        raise SourceError(f"Postgres returned no row for {query!r}")
    return row[0]


def check_source(conn: psycopg.Connection) -> None:
    """Fail with a hint unless Postgres can serve logical decoding of the publication."""
    level = _one(conn, "show wal_level")
    if level != "logical":
        raise SourceError(
            f"Postgres wal_level is {level!r}, CDC needs 'logical': set wal_level = logical "
            "and restart Postgres (`lakepulse up` does this for the embedded one)"
        )
    found = conn.execute("select 1 from pg_publication where pubname = %s", (PUBLICATION,))
    if not found.fetchone():
        raise SourceError(
            f"publication {PUBLICATION} is missing: run `lakepulse seed` (or create it over the "
            "captured tables)"
        )


def slot_info(conn: psycopg.Connection, slot: str) -> tuple[int, bool] | None:
    """(confirmed flush LSN, active) of the slot, or None when it does not exist."""
    row = conn.execute(
        "select confirmed_flush_lsn::text, active, plugin from pg_replication_slots "
        "where slot_name = %s",
        (slot,),
    ).fetchone()
    if row is None:
        return None
    if row[2] != "pgoutput":
        raise SourceError(f"slot {slot} uses {row[2]}, not pgoutput: drop it or choose another")
    return lsn_to_int(row[0]), bool(row[1])


def published_relations(conn: psycopg.Connection) -> list[Relation]:
    rows = conn.execute(
        """
        select c.oid, n.nspname, c.relname, c.relreplident,
               a.attname, a.atttypid, a.atttypmod,
               coalesce(a.attnum = any(i.indkey), false)
        from pg_publication_tables p
        join pg_namespace n on n.nspname = p.schemaname
        join pg_class c on c.relnamespace = n.oid and c.relname = p.tablename
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        left join pg_index i on i.indrelid = c.oid and i.indisprimary
        where p.pubname = %s
        order by n.nspname, c.relname, a.attnum
        """,
        (PUBLICATION,),
    ).fetchall()
    relations: dict[int, list[Column]] = {}
    heads: dict[int, tuple[str, str, str]] = {}
    for oid, schema, name, ident, col, typ, mod, key in rows:
        heads[oid] = (schema, name, ident)
        relations.setdefault(oid, []).append(Column(col, typ, mod, key))
    return [Relation(oid, *heads[oid], tuple(cols)) for oid, cols in relations.items()]


@dataclass(frozen=True)
class TableSnapshot:
    """One table's rows as of the slot's exported snapshot (events op 'r')."""

    lsn: int  # the slot's consistent point
    relation: Relation
    xid: int  # the snapshot transaction
    taken: datetime
    rows: Iterator[SnapshotRow]  # each value its type's output text


def create_slot_and_snapshot(
    settings: Settings, slot: str, *, temporary: bool = False, only: set[str] | None = None
) -> Generator[TableSnapshot, None, None]:
    """Create the slot and yield each published table's snapshot (or each table's in
    `only`). A temporary slot only serves to export a snapshot with its position, and is
    dropped when this generator finishes."""
    repl = psycopg.connect(settings.pg_dsn, autocommit=True, replication="database")
    try:
        kind = "TEMPORARY LOGICAL" if temporary else "LOGICAL"
        result = repl.pgconn.exec_(
            f"CREATE_REPLICATION_SLOT {slot} {kind} pgoutput EXPORT_SNAPSHOT".encode()
        )
        if result.status != 2:  # PGRES_TUPLES_OK
            raise SourceError(
                f"cannot create replication slot {slot}: "
                f"{(result.error_message or b'').decode().strip()}"
            )
        consistent = lsn_to_int((result.get_value(0, 1) or b"").decode())
        snapshot_name = (result.get_value(0, 2) or b"").decode()
        with connect(settings) as conn:
            conn.execute("set timezone = 'UTC'")
            conn.execute("set transaction isolation level repeatable read")
            conn.execute(f"set transaction snapshot '{snapshot_name}'")
            now = datetime.now(UTC)
            xid = int(_one(conn, "select txid_current()"))
            for relation in published_relations(conn):
                if only is None or relation.qualified in only:
                    yield TableSnapshot(
                        consistent, relation, xid, now, snapshot_texts(conn, relation)
                    )
            conn.rollback()
    finally:
        repl.close()


def snapshot_texts(conn: psycopg.Connection, relation: Relation) -> Iterator[SnapshotRow]:
    """A table's rows with every value as its type's output text: the text pgoutput sends.

    Not `::text` casts: those differ for some types (boolean gives 'true', not 't'; char(n)
    loses its padding; inet gains a netmask)."""
    cols = ", ".join(f'"{c.name}"' for c in relation.columns)
    with conn.cursor(name=f"snap_{relation.oid}") as cur:
        cur.itersize = 20_000
        cur.execute(f"select {cols} from {relation.qualified}")
        for column in cur.description or ():
            cur.adapters.register_loader(column.type_code, TextLoader)
        yield from cur


def confirm(conn: psycopg.Connection, slot: str, lsn: int) -> None:
    """Advance the slot: everything up to lsn is safely in Bronze."""
    conn.execute(
        "select pg_replication_slot_advance(%s, %s::pg_lsn)",
        (slot, f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"),
    )


def drop_slot(conn: psycopg.Connection, slot: str) -> None:
    conn.execute("select pg_drop_replication_slot(%s)", (slot,))


def current_wal_lsn(conn: psycopg.Connection) -> int:
    return lsn_to_int(_one(conn, "select pg_current_wal_lsn()::text"))
