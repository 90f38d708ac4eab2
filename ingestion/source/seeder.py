"""`lakepulse seed`: load generated WWI data into Postgres in one transaction.

The load is all or nothing: schema, COPY of every table, foreign keys and
the CDC publication are one transaction, so a failure (or a kill) leaves the
database as it was. A content hash over every table, ordered by key, proves
determinism.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from infra.errors import ConfigError, SourceError
from infra.settings import Settings
from ingestion.source.db import PUBLICATION, SCHEMAS, connect, wwi_loaded
from ingestion.source.generator import TABLE_ORDER, Dataset, generate

HERE = Path(__file__).resolve().parent
Progress = Callable[[str, int], None]  # (table, rows just loaded)


@dataclass(frozen=True)
class SeedReport:
    scale: float
    seed: int
    dirty_rate: float
    counts: dict[str, int]
    planted: dict[str, int]
    content_hash: str
    generate_seconds: float
    load_seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / max(self.load_seconds + self.generate_seconds, 1e-9)


def validate(scale: float, dirty_rate: float) -> None:
    if not scale > 0:
        raise ConfigError(f"--scale must be positive (got {scale})", hint="e.g. --scale 0.01 or 1")
    if not 0 <= dirty_rate <= 0.5:
        raise ConfigError(
            f"--dirty-rate must be between 0 and 0.5 (got {dirty_rate})",
            hint="e.g. --dirty-rate 0.02",
        )


def preflight(settings: Settings, *, scale: float, dirty_rate: float, replace: bool) -> None:
    """Fail fast (before generating) on bad arguments, no database, or data in the way."""
    validate(scale, dirty_rate)
    with connect(settings) as conn:
        if wwi_loaded(conn) and not replace:
            raise SourceError(
                f"database {settings.pg_database} already holds the WWI schema",
                hint="rerun with --replace to drop and reload it",
            )


def seed(
    settings: Settings,
    *,
    scale: float,
    seed: int = 42,
    dirty_rate: float = 0.0,
    replace: bool = False,
    progress: Progress | None = None,
) -> SeedReport:
    preflight(settings, scale=scale, dirty_rate=dirty_rate, replace=replace)
    began = time.monotonic()
    dataset = generate(scale, seed, dirty_rate)
    generated = time.monotonic()
    with connect(settings) as conn:
        load(conn, dataset, replace=replace, progress=progress)
    loaded = time.monotonic()
    with connect(settings) as conn:
        conn.execute("analyze")
        digest = content_hash(conn)
    return SeedReport(
        scale=scale,
        seed=seed,
        dirty_rate=dirty_rate,
        counts=dataset.counts(),
        planted=dataset.planted,
        content_hash=digest,
        generate_seconds=generated - began,
        load_seconds=loaded - generated,
    )


def load(
    conn: psycopg.Connection, dataset: Dataset, *, replace: bool, progress: Progress | None
) -> None:
    """Schema + data + keys + publication in the connection's single transaction."""
    with conn.transaction():
        if wwi_loaded(conn):
            if not replace:
                raise SourceError(
                    "the WWI schema appeared during the load", hint="rerun with --replace"
                )
            conn.execute(f"drop publication if exists {PUBLICATION}")
            for schema in SCHEMAS:
                conn.execute(f"drop schema if exists {schema} cascade")
        conn.execute((HERE / "schema.sql").read_text())
        with conn.cursor() as cur:
            for name in TABLE_ORDER:
                table = dataset.tables[name]
                columns = ", ".join(table.columns)
                with cur.copy(f"copy {name} ({columns}) from stdin") as copy:
                    for row in table.rows:
                        copy.write_row(row)
                if progress:
                    progress(name, len(table.rows))
        conn.execute((HERE / "foreign_keys.sql").read_text())
        conn.execute(f"create publication {PUBLICATION} for table {', '.join(TABLE_ORDER)}")


def primary_key(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute(
        """
        select a.attname from pg_index i
        join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
        where i.indrelid = %s::regclass and i.indisprimary
        order by array_position(i.indkey, a.attnum)
        """,
        (table,),
    ).fetchall()
    return [r[0] for r in rows]


def content_hash(conn: psycopg.Connection, tables: list[str] | None = None) -> str:
    """sha256 over every table's rows in key order, as COPY text."""
    digest = hashlib.sha256()
    with conn.cursor() as cur:
        for name in tables or TABLE_ORDER:
            order = ", ".join(primary_key(conn, name))
            digest.update(name.encode())
            with cur.copy(f"copy (select * from {name} order by {order}) to stdout") as copy:
                for block in copy:
                    digest.update(block)
    return digest.hexdigest()
