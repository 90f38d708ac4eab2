"""The deployments server: the long-running `lakepulse deploy` process that serves the
flows' schedules (daily pipeline, weekly maintenance) to the Prefect server.

`lakepulse up` starts it after Prefect, so the UI at 127.0.0.1:4200 shows the
deployments, their schedules and their runs. It has no port of its own; it is
healthy once the daily pipeline deployment is registered.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path

from infra.services import process
from infra.settings import Settings

NAME = "deployments"
PORT_ENV = None
REPO_ROOT = Path(__file__).resolve().parents[2]


def pid_file(settings: Settings) -> Path:
    return settings.run_dir / "deployments.pid"


def log_file(settings: Settings) -> Path:
    return settings.log_dir / "deployments.log"


def marker(settings: Settings) -> str:
    return f"flows.cli deploy --home-marker {settings.home}"


def start(settings: Settings) -> int:
    env = dict(os.environ)
    env.update(PREFECT_API_URL=settings.prefect_api_url, LAKEPULSE_HOME=str(settings.home))
    return process.spawn(
        # --home-marker only makes this process identifiable as this home's server
        [sys.executable, "-m", "flows.cli", "deploy", "--home-marker", str(settings.home)],
        pid_file=pid_file(settings),
        log_file=log_file(settings),
        marker=marker(settings),
        env=env,
        cwd=REPO_ROOT,
    )


def healthy(settings: Settings) -> bool:
    from flows.deployments import DAILY_DEPLOYMENT

    url = f"{settings.prefect_api_url}/deployments/name/daily_pipeline/{DAILY_DEPLOYMENT}"
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def stop(settings: Settings) -> bool:
    return process.stop(pid_file(settings))
