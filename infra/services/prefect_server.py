"""The Prefect server (API + UI) on 127.0.0.1, its database inside the state directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from infra.services import supervisor
from infra.settings import Settings


def prefect_home(settings: Settings) -> Path:
    return settings.data_dir / "prefect"


def environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(prefect_home(settings)),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_API_HOST="127.0.0.1",
        PREFECT_SERVER_API_PORT=str(settings.ports.prefect),
        PREFECT_UI_API_URL=settings.prefect_api_url,
    )
    return env


def setup(settings: Settings) -> None:
    prefect_home(settings).mkdir(parents=True, exist_ok=True)


def command(settings: Settings) -> supervisor.Command:
    argv = [sys.executable, "-m", "prefect", "server", "start"]
    argv += ["--host", "127.0.0.1", "--port", str(settings.ports.prefect)]
    return supervisor.Command(argv, env=environment(settings), cwd=prefect_home(settings))


def healthy(settings: Settings) -> bool:
    return supervisor.http_ok(f"{settings.prefect_api_url}/health")
