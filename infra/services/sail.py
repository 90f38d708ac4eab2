"""The Sail Spark Connect server, with the Hive Metastore as its spark_catalog."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from infra import storage
from infra.errors import ServiceError
from infra.services import engine_catalog, supervisor
from infra.settings import Settings

NAME = "sail"


def workdir(settings: Settings) -> Path:
    return settings.data_dir / "sail"


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
    env.update(storage.sail_environment(settings))
    env.setdefault("RUST_LOG", "info")
    return env


def setup(settings: Settings) -> None:
    workdir(settings).mkdir(parents=True, exist_ok=True)


def command(settings: Settings) -> supervisor.Command:
    argv = [
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
    return supervisor.Command(argv, env=environment(settings), cwd=workdir(settings))


def healthy(settings: Settings) -> bool:
    return supervisor.port_open(settings.ports.sail)


def create_layer_databases(settings: Settings) -> None:
    engine_catalog.create_layer_databases(settings, "sail", log=settings.log_file(NAME))
