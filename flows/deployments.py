"""Prefect deployments of LakePulse flows, served by `lakepulse deploy` (a long-running process).

Schedules are overridable from the environment: LAKEPULSE_DAILY_CRON (default
02:00 every day). One daily pipeline run at a time (concurrency limit 1): a
run that would overlap waits.
"""

from __future__ import annotations

import os

from infra.settings import Settings

DAILY_DEPLOYMENT = "daily"
DAILY_CRON = "0 2 * * *"


def use_stack_prefect(settings: Settings) -> None:
    """Point this process's Prefect client at the stack's Prefect server (UI shows the runs)."""
    os.environ.setdefault("PREFECT_API_URL", settings.prefect_api_url)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def serve_deployments(settings: Settings) -> None:
    from prefect import serve

    from flows.pipeline import daily_pipeline

    use_stack_prefect(settings)
    daily = daily_pipeline.to_deployment(
        name=DAILY_DEPLOYMENT,
        cron=os.environ.get("LAKEPULSE_DAILY_CRON", DAILY_CRON),
        concurrency_limit=1,
        description="CDC drain, quality gates and dbt Silver/Gold builds, with a run report.",
    )
    serve(daily)
