"""The Sail Spark Connect server, with the Hive Metastore as its spark_catalog."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from infra.errors import ServiceError
from infra.services import process
from infra.settings import Settings

NAME = "sail"
PORT_ENV = "LAKEPULSE_SAIL_PORT"


def workdir(settings: Settings) -> Path:
    return settings.data_dir / "sail"


def pid_file(settings: Settings) -> Path:
    return settings.run_dir / "sail.pid"


def log_file(settings: Settings) -> Path:
    return settings.log_dir / "sail.log"


def sail_binary() -> Path:
    beside = Path(sys.executable).parent / "sail"
    if beside.exists():
        return beside
    found = shutil.which("sail")
    if not found:
        raise ServiceError("the `sail` command (pysail) is not installed: run `make setup`")
    return Path(found)


def environment(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["SAIL_CATALOG__LIST"] = (
        f'[{{name="spark_catalog", type="hive_metastore", uris=["{settings.metastore_uri}"]}}]'
    )
    env["SAIL_CATALOG__DEFAULT_CATALOG"] = "spark_catalog"
    env.setdefault("RUST_LOG", "info")
    return env


def argv(settings: Settings) -> list[str]:
    return [
        str(sail_binary()),
        "spark",
        "server",
        "--ip",
        "127.0.0.1",
        "--port",
        str(settings.ports.sail),
        "-C",
        str(workdir(settings)),
    ]


def marker(settings: Settings) -> str:
    return f"-C {workdir(settings)}"


def start(settings: Settings) -> int:
    workdir(settings).mkdir(parents=True, exist_ok=True)
    return process.spawn(
        argv(settings),
        pid_file=pid_file(settings),
        log_file=log_file(settings),
        marker=marker(settings),
        env=environment(settings),
        cwd=workdir(settings),
    )


def healthy(settings: Settings) -> bool:
    return process.port_open(settings.ports.sail)


def stop(settings: Settings) -> bool:
    return process.stop(pid_file(settings))
