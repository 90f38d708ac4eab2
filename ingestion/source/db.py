"""Connections to the source Postgres with one-line errors naming the fix."""

from __future__ import annotations

import psycopg

from infra.errors import SourceError
from infra.settings import Settings

PUBLICATION = "lakepulse_wwi"
SCHEMAS = ("application", "sales", "warehouse", "purchasing")


def connect(settings: Settings, *, autocommit: bool = False) -> psycopg.Connection:
    try:
        return psycopg.connect(settings.pg_dsn, autocommit=autocommit, connect_timeout=5)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1][:160] if str(exc).strip() else "no answer"
        raise SourceError(
            f"cannot connect to Postgres at {_safe(settings.pg_dsn)} ({reason})",
            hint="run `lakepulse up --only postgres` or set LAKEPULSE_PG_DSN",
        ) from exc


def _safe(dsn: str) -> str:
    """The DSN without a password, for messages and logs."""
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


def wwi_loaded(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "select count(*) from information_schema.tables where table_schema = any(%s)",
        (list(SCHEMAS),),
    ).fetchone()
    return bool(row and row[0])
