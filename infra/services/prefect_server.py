"""The Prefect server (API + UI) on 127.0.0.1, its database inside the state directory."""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path

from infra.services import process
from infra.settings import Settings

NAME = "prefect"
PORT_ENV = "LAKEPULSE_PREFECT_PORT"


def prefect_home(settings: Settings) -> Path:
    return settings.data_dir / "prefect"


def pid_file(settings: Settings) -> Path:
    return settings.run_dir / "prefect.pid"


def log_file(settings: Settings) -> Path:
    return settings.log_dir / "prefect.log"


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


def argv(settings: Settings) -> list[str]:
    return [
        sys.executable,
        "-m",
        "prefect",
        "server",
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        str(settings.ports.prefect),
    ]


def marker(settings: Settings) -> str:
    return f"prefect server start --host 127.0.0.1 --port {settings.ports.prefect}"


def start(settings: Settings) -> int:
    prefect_home(settings).mkdir(parents=True, exist_ok=True)
    return process.spawn(
        argv(settings),
        pid_file=pid_file(settings),
        log_file=log_file(settings),
        marker=marker(settings),
        env=environment(settings),
        cwd=prefect_home(settings),
    )


def healthy(settings: Settings) -> bool:
    try:
        with urllib.request.urlopen(f"{settings.prefect_api_url}/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def stop(settings: Settings) -> bool:
    return process.stop(pid_file(settings))
