"""`lakepulse quality check | docs`: the Great Expectations gates and their Data Docs."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli.output import console
from flows.cli.quality_output import print_decision
from infra.errors import ConfigError, QualityGateFailed
from infra.settings import Settings

app = typer.Typer(help="Great Expectations quality gates.", no_args_is_help=True)


@app.command("check")
def quality_check(
    layer: Annotated[str, typer.Option(help="bronze, silver or gold.")],
    table: Annotated[
        str | None, typer.Option(help="Only this check (a table or a query check's name).")
    ] = None,
) -> None:
    """Validate a layer; exit 1 when an error-severity expectation fails."""
    from expectations.gate import run_gate

    decision = run_gate(Settings.from_env(), layer, table)
    print_decision(decision)
    if not decision.passed:
        raise QualityGateFailed(
            f"{layer} gate failed: {len(decision.failures)} error-severity expectation(s)",
            hint="see the table above and the Data Docs (`lakepulse quality docs`)",
        )


@app.command("docs")
def quality_docs(
    serve: Annotated[bool, typer.Option(help="Serve the site on 127.0.0.1.")] = False,
    port: Annotated[int, typer.Option(help="Port for --serve (0: any free port).")] = 8765,
) -> None:
    """Print the path of the Data Docs site (or serve it)."""
    from expectations.gate import docs_index
    from flows.docs_server import open_server, serve_until_interrupted, url

    index = docs_index(Settings.from_env())
    if not index.exists():
        raise ConfigError(
            f"no Data Docs yet at {index}", hint="run `lakepulse quality check` first"
        )
    if not serve:
        console.print(str(index), soft_wrap=True, highlight=False)
        return
    server = open_server(index.parent, port)
    console.print(f"Data Docs at {url(server)} (Ctrl-C stops)", soft_wrap=True, highlight=False)
    serve_until_interrupted(server)
