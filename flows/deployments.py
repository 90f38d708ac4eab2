"""Prefect deployments of LakePulse flows, served by `python -m flows.deployments`
(what the `deployments` service of `lakepulse up` runs) or `lakepulse deploy`.

Schedules are overridable from the environment: LAKEPULSE_DAILY_CRON (default
02:00 every day), LAKEPULSE_MAINTENANCE_CRON (default 03:00 on Sundays);
LAKEPULSE_SCHEDULES_PAUSED=1 registers them paused. `cdc_stream/follow` and
`backfill/on-demand` have no schedule. One run per deployment at a time
(concurrency limit 1): a run that would overlap waits.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from flows.prefect_api import stack_prefect
from infra.errors import LakePulseError
from infra.settings import Settings

DAILY_DEPLOYMENT = "daily"
DAILY_CRON = "0 2 * * *"
MAINTENANCE_DEPLOYMENT = "weekly"
MAINTENANCE_CRON = "0 3 * * 0"
STREAM_DEPLOYMENT = "follow"
BACKFILL_DEPLOYMENT = "on-demand"
API_WAIT_SECONDS = 180.0
"""`lakepulse up` starts Prefect and this server together: wait that long for the API."""


def deployments() -> list[Any]:
    """The deployments to serve (schedules overridable from the environment)."""
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


def serve_deployments(settings: Settings) -> None:
    """Register the deployments with the Prefect API and serve their runs until stopped."""
    from prefect import serve

    with stack_prefect(settings, wait=API_WAIT_SECONDS):
        serve(*deployments())


def main() -> int:
    """`python -m flows.deployments`: serve; a LakePulseError is one line on stderr."""
    try:
        serve_deployments(Settings.from_env())
    except LakePulseError as exc:
        print(f"error: {exc.line()}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
