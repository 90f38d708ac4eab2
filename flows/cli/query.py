"""`lakepulse query "SQL"`: one statement on Trino (catalogs lake, source, memory), printed."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import typer

from flows.cli.output import console, table
from infra.engines import trino
from infra.settings import Settings

app = typer.Typer()


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _plain(value: object) -> object:
    """A JSON-ready value: decimals and times as text, exactly as Trino returned them."""
    if isinstance(value, Decimal | datetime | date | time):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def render(result: trino.QueryResult, output: Format) -> str | None:
    """The result as CSV or JSON text (None for a table, which is printed directly)."""
    if output is Format.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([["" if v is None else _plain(v) for v in row] for row in result.rows])
        return buffer.getvalue()
    if output is Format.json:
        records = [
            {c: _plain(v) for c, v in zip(result.columns, row, strict=True)} for row in result.rows
        ]
        return json.dumps(records, indent=2) + "\n"
    return None


@app.command()
def query(
    sql: Annotated[
        str, typer.Argument(help="One SQL statement, e.g. select * from lake.gold.dim_date limit 5")
    ],
    output: Annotated[
        Format, typer.Option("--format", help="table (default), csv or json.")
    ] = Format.table,
    catalog: Annotated[str, typer.Option(help="Catalog of unqualified names.")] = "lake",
) -> None:
    """Run SQL on Trino: Delta tables in `lake`, the live OLTP source in `source`, `memory`."""
    result = trino.query(Settings.from_env(), sql, catalog=catalog)
    text = render(result, output)
    if text is not None:
        sys.stdout.write(text)
        return
    shown = table(f"{len(result.rows):,} rows", result.columns)
    for row in result.rows:
        shown.add_row(*("NULL" if v is None else str(_plain(v)) for v in row))
    console.print(shown)
