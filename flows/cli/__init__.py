"""The `lakepulse` command line: one module per command group, thin over library functions.

`app` is the console script (`lakepulse = "flows.cli:app"`); `main()` runs it as
`python -m flows.cli`. Failures are reported once, by `error_handler.ErrorHandlingGroup`:
one line on stderr and the error class's exit code (README, "Exit codes").
"""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli import (
    dbt,
    ingest,
    maintain,
    pipeline,
    quality,
    query,
    reconcile,
    source,
    stack,
)
from flows.cli.error_handler import DEBUG_ENV, ErrorHandlingGroup

app = typer.Typer(
    cls=ErrorHandlingGroup,
    help="LakePulse: Postgres CDC and files to Delta, dbt Silver/Gold, quality gates, Prefect.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def options(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar=DEBUG_ENV,
            help="On failure, print the traceback before the one-line error.",
        ),
    ] = False,
) -> None:
    """LakePulse: Postgres CDC and files to Delta, dbt Silver/Gold, quality gates, Prefect."""


# Order of `lakepulse --help`: the stack, the source, ingestion, dbt, flows, quality.
for commands in (
    stack.app,
    source.app,
    ingest.reports_app,
    dbt.app,
    reconcile.app,
    query.app,
    pipeline.app,
    maintain.app,
):
    app.add_typer(commands)
app.add_typer(ingest.app, name="ingest")
app.add_typer(quality.app, name="quality")


def main() -> None:
    """Run the CLI as `lakepulse` (exits with the command's exit code)."""
    app(prog_name="lakepulse")
