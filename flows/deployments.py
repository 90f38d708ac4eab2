"""Prefect deployments of LakePulse flows, served by `lakepulse deploy` (a long-running process).

Schedules are overridable from the environment: LAKEPULSE_DAILY_CRON (default
02:00 every day). One daily pipeline run at a time (concurrency limit 1): a
run that would overlap waits.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from infra.settings import Settings

DAILY_DEPLOYMENT = "daily"
DAILY_CRON = "0 2 * * *"


@contextmanager
def stack_prefect(settings: Settings) -> Iterator[str]:
    """Point Prefect at the stack's server (so the UI shows the runs) unless
    PREFECT_API_URL says otherwise; yields the API URL in use."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    url = os.environ.get("PREFECT_API_URL") or settings.prefect_api_url
    os.environ["PREFECT_API_URL"] = url  # for flow-run subprocesses
    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield url


def serve_deployments(settings: Settings) -> None:
    from prefect import serve

    from flows.pipeline import daily_pipeline

    with stack_prefect(settings):
        daily = daily_pipeline.to_deployment(
            name=DAILY_DEPLOYMENT,
            cron=os.environ.get("LAKEPULSE_DAILY_CRON", DAILY_CRON),
            concurrency_limit=1,
            description="CDC drain, quality gates and dbt Silver/Gold builds, with a run report.",
        )
        serve(daily)
