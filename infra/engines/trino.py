"""The one way to run SQL on the embedded Trino server (catalogs `lake`, `source`, `memory`)."""

from __future__ import annotations

from dataclasses import dataclass

import trino
from trino.exceptions import TrinoQueryError

from infra.errors import EngineUnavailable, RunFailed
from infra.network import port_open
from infra.settings import Settings

USER = "lakepulse"
DEFAULT_CATALOG = "lake"


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[object, ...]]


def available(settings: Settings) -> bool:
    """True when something answers on the Trino port (the server may still be starting)."""
    return port_open(settings.ports.trino)


def connect(settings: Settings, catalog: str = DEFAULT_CATALOG) -> trino.dbapi.Connection:
    """A connection as user `lakepulse`; EngineUnavailable naming the fix when Trino is down."""
    if not available(settings):
        raise EngineUnavailable(
            f"Trino at {settings.trino_url} does not answer",
            hint="run `lakepulse up --only trino` or fix LAKEPULSE_TRINO_PORT",
        )
    connection: trino.dbapi.Connection = trino.dbapi.connect(  # type: ignore[no-untyped-call]
        host="127.0.0.1", port=settings.ports.trino, user=USER, catalog=catalog
    )
    return connection


def query(settings: Settings, sql: str, catalog: str = DEFAULT_CATALOG) -> QueryResult:
    """Run one statement and fetch every row; RunFailed with Trino's message when it fails."""
    conn = connect(settings, catalog)
    try:
        cursor = conn.cursor()
        cursor.execute(sql.strip().rstrip(";"))
        rows = [tuple(row) for row in cursor.fetchall()]
        columns = [d[0] for d in cursor.description or []]
    except TrinoQueryError as exc:
        raise RunFailed(
            f"Trino query failed: {exc.error_name}: {exc.message}",
            hint="fix the SQL (catalogs: lake, source, memory)",
        ) from exc
    except OSError as exc:
        raise EngineUnavailable(
            f"Trino at {settings.trino_url} stopped answering ({exc})",
            hint="`lakepulse status` shows whether trino runs; its log is logs/trino.log",
        ) from exc
    finally:
        conn.close()  # type: ignore[no-untyped-call]
    return QueryResult(columns, rows)
