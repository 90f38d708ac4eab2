"""`lakepulse up | down | status | logs`: the catalog's services run by the supervisor."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from infra import storage
from infra.errors import ServiceError
from infra.services import catalog, supervisor
from infra.services.catalog import DEFAULT_PROFILE, Service
from infra.settings import Engine, Settings


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    port: int  # 0: listens on none
    pid: int | None
    healthy: bool
    url: str
    log: Path


@dataclass(frozen=True)
class UpResult:
    started: list[str]
    already_running: list[str]
    seconds: float


def select(
    only: Iterable[str] | None,
    profile: str = DEFAULT_PROFILE,
    engine: Engine = "sail",
    settings: Settings | None = None,
) -> list[str]:
    """Names of the services `up` would start, in order; ServiceError for an unknown name.

    Only services the settings (default: from the environment) enable are named.
    """
    settings = settings or Settings.from_env()
    return [service.name for service in catalog.select(only, profile, engine, settings)]


def check_state_dir(settings: Settings) -> None:
    """Create the state directory layout; a one-line ServiceError when it is not writable."""
    home = settings.home
    try:
        for sub in (home, settings.run_dir, settings.log_dir, settings.data_dir):
            sub.mkdir(parents=True, exist_ok=True)
        probe = settings.run_dir / ".write-probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ServiceError(
            f"state directory {home} is not writable ({exc.strerror or type(exc).__name__}): "
            "fix its permissions or set LAKEPULSE_HOME to a writable folder"
        ) from exc
    for layer in ("bronze", "silver", "gold"):
        storage.ensure_dir(settings, layer)  # local lake folders; nothing to do on S3
    if os.geteuid() == 0:
        home.chmod(home.stat().st_mode | 0o011)  # let the postgres user traverse it


def _running(settings: Settings, service: Service) -> int | None:
    return supervisor.running_pid(settings.pid_file(service.name))


def status(settings: Settings) -> list[ServiceStatus]:
    """Every catalog service: port, PID when running, health, URL and log file."""
    rows = []
    for service in catalog.SERVICES:
        if not service.enabled(settings):
            continue
        pid = _running(settings, service)
        rows.append(
            ServiceStatus(
                name=service.name,
                port=service.port_number(settings),
                pid=pid,
                healthy=pid is not None and service.healthy(settings),
                url=service.url(settings),
                log=settings.log_file(service.name),
            )
        )
    return rows


def up(
    settings: Settings,
    only: Iterable[str] | None = None,
    profile: str = DEFAULT_PROFILE,
    engine: Engine | None = None,
) -> UpResult:
    """Start the selected services (and what they need) and wait until healthy; idempotent.

    `engine` (default: the settings' engine) is the Spark Connect server a profile brings:
    Sail or JVM Spark. Every port is checked and every service set up before anything
    starts (a missing download or a wrong Java fails with nothing left running); the
    services start together and are then awaited in order, each one's `ready` hook running
    once it is healthy.
    """
    began = time.monotonic()
    services = catalog.select(only, profile, engine or settings.engine, settings)
    check_state_dir(settings)
    runs: dict[str, supervisor.Started] = {}
    already: list[str] = []
    for service in services:
        pid = _running(settings, service)
        if pid is not None:
            already.append(service.name)
            runs[service.name] = supervisor.Started(pid=pid, log_offset=0)
        elif service.port and service.port_env:
            supervisor.ensure_port_free(
                service.port_number(settings), service.name, service.port_env
            )
    started = [service for service in services if service.name not in already]
    for service in started:  # every setup (installs, config, checks) before anything starts
        if service.setup:
            service.setup(settings)
    for service in started:
        runs[service.name] = supervisor.start(
            service.name,
            service.command(settings),
            pid_file=settings.pid_file(service.name),
            log_file=settings.log_file(service.name),
        )
    for service in services:
        supervisor.wait_ready(
            partial(service.healthy, settings),
            timeout=service.start_timeout,
            pid=runs[service.name].pid,
            service=service.name,
            log_file=settings.log_file(service.name),
            log_offset=runs[service.name].log_offset,
        )
        if service.ready:
            service.ready(settings)
    return UpResult(
        started=[service.name for service in started],
        already_running=already,
        seconds=time.monotonic() - began,
    )


def down(settings: Settings, only: Iterable[str] | None = None) -> list[str]:
    """Stop the selected services this state directory started, in reverse start order.

    Returns the names of those that were running; stale pid files are removed.
    """
    wanted = {catalog.get(name).name for name in only} if only else set(catalog.names())
    stopped = []
    for service in reversed(catalog.SERVICES):
        if service.name in wanted and supervisor.stop(
            settings.pid_file(service.name), service.stop
        ):
            stopped.append(service.name)
    return stopped


def logs(settings: Settings, name: str, lines: int = 50) -> list[str]:
    """The last `lines` non-blank lines of a service's log."""
    service = catalog.get(name)
    return supervisor.tail(settings.log_file(service.name), lines)
