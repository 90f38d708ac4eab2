"""The deployments server: a long-running `python -m flows.deployments` process that
serves the flows' schedules (daily pipeline, weekly maintenance) to the Prefect server.

`lakepulse up` starts it after Prefect, so the UI shows the deployments, their
schedules and their runs. It has no port of its own; it is healthy once every
deployment it serves is registered (they are registered one by one). infra
knows the flows only by this command line and these names, never by import.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from infra.services import supervisor
from infra.settings import Settings

ENTRY_POINT = "flows.deployments"
"""`python -m flows.deployments` registers and serves the deployments until stopped."""
SERVED = (
    "daily_pipeline/daily",
    "table_maintenance/weekly",
    "cdc_stream/follow",
    "backfill/on-demand",
)
"""flow/deployment names the server registers; all of them there means it is serving."""
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def command(settings: Settings) -> supervisor.Command:
    env = dict(os.environ)
    env.update(PREFECT_API_URL=settings.prefect_api_url, LAKEPULSE_HOME=str(settings.home))
    return supervisor.Command([sys.executable, "-m", ENTRY_POINT], env=env, cwd=PROJECT_ROOT)


def healthy(settings: Settings) -> bool:
    api = settings.prefect_api_url
    return all(supervisor.http_ok(f"{api}/deployments/name/{name}") for name in SERVED)
