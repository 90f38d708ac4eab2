"""`lakepulse up | down | status`: start, health-check and stop the embedded services."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from infra.errors import ServiceError
from infra.services import deployments, metastore, postgres, prefect_server, process, sail
from infra.settings import Settings

# Start order; `down` goes in reverse.
SERVICES: dict[str, ModuleType] = {
    "postgres": postgres,
    "metastore": metastore,
    "sail": sail,
    "prefect": prefect_server,
    "deployments": deployments,
}
DEPENDS_ON = {"sail": ["metastore"], "deployments": ["prefect"]}
START_TIMEOUT = {
    "postgres": 60.0,
    "metastore": 120.0,
    "sail": 60.0,
    "prefect": 120.0,
    "deployments": 120.0,
}


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    port: int
    pid: int | None
    healthy: bool
    url: str
    log: Path


@dataclass(frozen=True)
class UpResult:
    started: list[str]
    already_running: list[str]
    seconds: float


def _port_of(settings: Settings, name: str) -> int:
    """The service's port (0 for the deployments server, which listens on none)."""
    return getattr(settings.ports, name, 0)


def _url_of(settings: Settings, name: str) -> str:
    port = _port_of(settings, name)
    return {
        "postgres": f"postgresql://127.0.0.1:{port}/{settings.pg_database}",
        "metastore": settings.metastore_uri,
        "sail": settings.spark_remote
        if not settings.spark_remote_override
        else f"sc://127.0.0.1:{port}",
        "prefect": settings.prefect_ui_url,
        "deployments": f"{settings.prefect_ui_url}/deployments",
    }[name]


def select(only: Iterable[str] | None) -> list[str]:
    if not only:
        return list(SERVICES)
    wanted: set[str] = set()
    for name in only:
        if name not in SERVICES:
            raise ServiceError(f"unknown service {name!r}: choose from {', '.join(SERVICES)}")
        wanted.add(name)
        wanted.update(DEPENDS_ON.get(name, []))
    return [name for name in SERVICES if name in wanted]


def check_state_dir(settings: Settings) -> None:
    home = settings.home
    try:
        for sub in (home, settings.run_dir, settings.log_dir, settings.data_dir, settings.lake_dir):
            sub.mkdir(parents=True, exist_ok=True)
        probe = settings.run_dir / ".write-probe"
        probe.write_text("ok")
        probe.unlink()
    except (PermissionError, NotADirectoryError, FileExistsError, OSError) as exc:
        raise ServiceError(
            f"state directory {home} is not writable ({exc.strerror or type(exc).__name__}): "
            "fix its permissions or set LAKEPULSE_HOME to a writable folder"
        ) from exc
    for layer in ("bronze", "silver", "gold"):
        settings.layer_dir(layer).mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        home.chmod(home.stat().st_mode | 0o011)  # let the postgres user traverse it


def status(settings: Settings) -> list[ServiceStatus]:
    rows = []
    for name, module in SERVICES.items():
        pid = process.running_pid(module.pid_file(settings))
        rows.append(
            ServiceStatus(
                name=name,
                port=_port_of(settings, name),
                pid=pid,
                healthy=pid is not None and module.healthy(settings),
                url=_url_of(settings, name),
                log=module.log_file(settings),
            )
        )
    return rows


def up(settings: Settings, only: Iterable[str] | None = None) -> UpResult:
    """Start the selected services (and what they need); idempotent."""
    began = time.monotonic()
    names = select(only)
    check_state_dir(settings)
    started: list[str] = []
    already: list[str] = []
    pids: dict[str, int] = {}
    for name in names:
        module = SERVICES[name]
        pid = process.running_pid(module.pid_file(settings))
        if pid is not None:
            already.append(name)
            pids[name] = pid
            continue
        if module.PORT_ENV:
            process.ensure_port_free(_port_of(settings, name), name, module.PORT_ENV)
    for name in names:
        if name in already:
            continue
        pids[name] = SERVICES[name].start(settings)
        started.append(name)
    for name in names:
        module = SERVICES[name]
        process.wait_until(
            lambda m=module: m.healthy(settings),
            timeout=START_TIMEOUT[name],
            pid=pids[name],
            service=name,
            log_file=module.log_file(settings),
        )
    if "postgres" in names:
        postgres.bootstrap(settings)
    if "sail" in names:
        _bootstrap_catalog(settings)
    return UpResult(started=started, already_running=already, seconds=time.monotonic() - began)


def _bootstrap_catalog(settings: Settings) -> None:
    """Create the layer databases in the metastore at absolute lake locations."""
    from infra.engines import spark as spark_access

    deadline = time.monotonic() + 60
    while True:
        try:
            spark = spark_access.new_session(settings)
            spark_access.ensure_layers(spark, settings)
            spark.stop()
            return
        except Exception as exc:
            if time.monotonic() > deadline:
                raise ServiceError(
                    f"Sail answers but the catalog is not usable ({type(exc).__name__}): "
                    f"see {metastore.log_file(settings)} and {sail.log_file(settings)}"
                ) from exc
            time.sleep(1)


def down(settings: Settings, only: Iterable[str] | None = None) -> list[str]:
    """Stop the selected services that this state directory started; returns their names."""
    names = list(only) if only else list(SERVICES)
    stopped = []
    for name in reversed(list(SERVICES)):
        if name in names and SERVICES[name].stop(settings):
            stopped.append(name)
    return stopped
