"""Prefect deployments of LakePulse flows, served by `lakepulse deploy` (a long-running process).

Schedules are overridable from the environment: LAKEPULSE_DAILY_CRON (default
02:00 every day), LAKEPULSE_MAINTENANCE_CRON (default 03:00 on Sundays);
LAKEPULSE_SCHEDULES_PAUSED=1 registers them paused. `cdc_stream/follow` and
`backfill/on-demand` have no schedule. One run per deployment at a time
(concurrency limit 1): a run that would overlap waits.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from infra.settings import Settings

DAILY_DEPLOYMENT = "daily"
DAILY_CRON = "0 2 * * *"
MAINTENANCE_DEPLOYMENT = "weekly"
MAINTENANCE_CRON = "0 3 * * 0"
STREAM_DEPLOYMENT = "follow"
BACKFILL_DEPLOYMENT = "on-demand"


@contextmanager
def stack_prefect(settings: Settings) -> Iterator[str]:
    """Point Prefect at the stack's server (so the UI shows the runs) unless
    PREFECT_API_URL says otherwise; yields the API URL in use."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    url = os.environ.get("PREFECT_API_URL") or settings.prefect_api_url
    os.environ["PREFECT_API_URL"] = url  # for flow-run subprocesses
    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield url


def deployments(settings: Settings) -> list:
    """The deployments `lakepulse deploy` serves (schedules overridable from the environment)."""
    from flows.backfill import backfill
    from flows.cdc_stream import cdc_stream
    from flows.maintenance import table_maintenance
    from flows.pipeline import daily_pipeline

    paused = os.environ.get("LAKEPULSE_SCHEDULES_PAUSED", "") not in ("", "0", "false")
    return [
        daily_pipeline.to_deployment(
            name=DAILY_DEPLOYMENT,
            cron=os.environ.get("LAKEPULSE_DAILY_CRON", DAILY_CRON),
            concurrency_limit=1,
            paused=paused,
            description="CDC drain, files and APIs, quality gates and dbt Silver/Gold builds, "
            "with a run report.",
        ),
        table_maintenance.to_deployment(
            name=MAINTENANCE_DEPLOYMENT,
            cron=os.environ.get("LAKEPULSE_MAINTENANCE_CRON", MAINTENANCE_CRON),
            concurrency_limit=1,
            paused=paused,
            description="delta-rs compaction, Z-order, checkpoints and vacuum of every table.",
        ),
        cdc_stream.to_deployment(
            name=STREAM_DEPLOYMENT,
            concurrency_limit=1,
            description="Follow-mode CDC with heartbeat and restarts (start it by hand).",
        ),
        backfill.to_deployment(
            name=BACKFILL_DEPLOYMENT,
            concurrency_limit=1,
            description="Rebuild chosen models and their downstream (dry_run lists them).",
        ),
    ]


def wait_for_api(url: str, timeout: float = 180.0) -> None:
    """Block until the Prefect API answers (`lakepulse up` starts Prefect and this together)."""
    import time
    import urllib.request

    from infra.errors import ConfigError

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise ConfigError(
                f"the Prefect API at {url} does not answer: run `lakepulse up` "
                "or set PREFECT_API_URL"
            )
        time.sleep(1)


def serve_deployments(settings: Settings) -> None:
    from prefect import serve

    with stack_prefect(settings) as url:
        wait_for_api(url)
        serve(*deployments(settings))


if __name__ == "__main__":  # `lakepulse up` runs the deployments server as this entry point
    serve_deployments(Settings.from_env())
