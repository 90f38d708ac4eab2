"""`lakepulse dbt | lint | check-trino`: the dbt project and its SQL portability checks."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli.output import console
from infra.errors import DbtRunFailed, RunFailed
from infra.settings import Settings

app = typer.Typer()


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def dbt(
    ctx: typer.Context,
    target: Annotated[
        str | None,
        typer.Option(
            help="dbt target: local (Sail), spark (JVM Spark or LAKEPULSE_SPARK_REMOTE) or "
            "trino; default: the configured engine's."
        ),
    ] = None,
) -> None:
    """Run dbt in dbt_project/ with the profile's environment set, e.g. `lakepulse dbt build`."""
    from flows.dbt_runner import run_dbt_command

    for pruned in run_dbt_command(list(ctx.args), Settings.from_env(), target=target):
        console.print(f"removed old table generation {pruned.path} ({pruned.bytes:,} bytes)")


@app.command("check-trino")
def check_trino() -> None:
    """Compile the dbt project for Trino offline and parse every file as Trino SQL."""
    from flows.sql_checks import check_trino as run_check

    result = run_check(Settings.from_env())
    if not result.compile_ok:
        console.print(result.compile_output[-4000:], markup=False, highlight=False)
        raise DbtRunFailed("dbt compile --target trino failed", hint="see its output above")
    for path, error in result.failures.items():
        console.print(f"[red]✗[/] {path.name}: {error}", soft_wrap=True)
    console.print(
        f"{len(result.compiled)} compiled files, {len(result.failures)} not valid Trino SQL"
    )
    if not result.ok:
        raise RunFailed(
            f"{len(result.failures)} of {len(result.compiled)} compiled files are not valid "
            "Trino SQL"
            if result.compiled
            else "dbt compiled no SQL file for Trino",
            hint="see the files listed above",
        )


@app.command()
def lint(
    dialect: Annotated[
        list[str] | None, typer.Option(help="sparksql (needs `lakepulse up`) and/or trino.")
    ] = None,
) -> None:
    """Lint the dbt SQL with sqlfluff: Spark SQL via the dbt templater, Trino via jinja."""
    from flows.sql_checks import check_dialects, sqlfluff_lint

    dialects = check_dialects(dialect or ["sparksql", "trino"])
    settings = Settings.from_env()
    failed = [d for d in dialects if sqlfluff_lint(settings, d) != 0]
    if failed:
        raise RunFailed(
            f"sqlfluff found problems in the {' and '.join(failed)} SQL",
            hint="see sqlfluff's report above; `sqlfluff fix` repairs most of them",
        )
