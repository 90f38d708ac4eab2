"""`lakepulse up | down | status`: the embedded stack (the service manager does the work)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from flows.cli.output import console, table
from infra.errors import ConfigError, ServiceError
from infra.services import manager
from infra.settings import ENGINES, Settings

app = typer.Typer()

OnlyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--only",
        help=(
            "Service to act on (repeatable): postgres, metastore, sail, spark, trino, prefect, "
            "deployments (trino only when named)."
        ),
    ),
]
EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="Spark Connect engine to start: sail (default) or spark (JVM Spark with Delta "
        "Lake); later commands use the running one (or LAKEPULSE_ENGINE).",
    ),
]


@app.command()
def up(only: OnlyOption = None, engine: EngineOption = None) -> None:
    """Start the embedded stack (idempotent) and wait until it is healthy."""
    settings = Settings.from_env()
    if engine is not None:
        if engine not in ENGINES:
            raise ConfigError(
                f"--engine {engine!r} is not an engine", hint=f"choose from {', '.join(ENGINES)}"
            )
        settings = Settings.from_env({**os.environ, "LAKEPULSE_ENGINE": engine})
    with console.status("starting services…"):
        result = manager.up(settings, only, engine=settings.engine)
    for name in result.already_running:
        console.print(f"[yellow]•[/] {name} already running")
    for name in result.started:
        console.print(f"[green]✓[/] {name} started")
    console.print(f"stack ready in {result.seconds:.1f}s — state in {settings.home}")
    print_status(settings)


@app.command()
def down(only: OnlyOption = None) -> None:
    """Stop the services this state directory started."""
    settings = Settings.from_env()
    if only:
        manager.select(only)  # an unknown name is an error, not "nothing was running"
    stopped = manager.down(settings, only)
    console.print("stopped: " + ", ".join(stopped) if stopped else "nothing was running")


@app.command()
def status() -> None:
    """Show services, ports, PIDs, health and URLs (exit 3 when one is not healthy)."""
    settings = Settings.from_env()
    unhealthy = [row.name for row in print_status(settings) if not row.healthy]
    if unhealthy:
        raise ServiceError(
            f"not healthy: {', '.join(unhealthy)}",
            hint=f"`lakepulse up` starts what is down; logs in {settings.log_dir}",
        )


def print_status(settings: Settings) -> list[manager.ServiceStatus]:
    """Print the status table of every service; returns its rows."""
    rows = manager.status(settings)
    shown = table(
        f"LakePulse stack ({settings.home.name})",
        ("service", "port", "pid", "health", "url"),
        right=("port", "pid"),
    )
    for row in rows:
        health = (
            "[green]healthy[/]"
            if row.healthy
            else "[red]down[/]"
            if row.pid is None
            else "[yellow]starting[/]"
        )
        shown.add_row(row.name, str(row.port or "-"), str(row.pid or "-"), health, row.url)
    console.print(shown)
    return rows
