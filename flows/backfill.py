"""The `backfill` flow: rebuild chosen models and everything downstream of them.

Two modes, combinable with a dry run that only lists what would be rebuilt:

- `since=DATE`: incremental CDC models re-read every Bronze change committed
  since DATE and merge the latest per key (the current state of every key
  touched since then is recomputed; keys untouched since keep theirs). There
  is no end date: a current-state model must apply every later change too.
  Models rebuilt in full each run (Gold) are simply rebuilt.
- `full_refresh=True`: the selected models are rebuilt from all of Bronze
  (a new table generation on Sail); snapshots keep their history.

dbt runs node by node as Prefect tasks, like the daily pipeline; a failed
dbt test fails the backfill.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.dbt_runner import run_dbt
from infra.errors import ConfigError
from infra.settings import Settings

REPORT_KEY = "backfill-report"


@dataclass
class BackfillPlan:
    selection: list[str]
    nodes: list[str]
    since: str | None
    full_refresh: bool

    def args(self) -> tuple[str, ...]:
        extra: list[str] = []
        if self.full_refresh:
            extra.append("--full-refresh")
        if self.since:
            extra += ["--vars", json.dumps({"backfill_since": self.since})]
        return tuple(extra)

    def markdown(self, dry_run: bool) -> str:
        mode = (
            "full refresh"
            if self.full_refresh
            else f"changes since {self.since}"
            if self.since
            else "rebuild"
        )
        head = "would rebuild" if dry_run else "rebuilt"
        return "\n".join(
            [
                f"# Backfill ({mode}){' — dry run' if dry_run else ''}",
                "",
                f"Selection `{' '.join(self.selection)}` {head} {len(self.nodes)} node(s):",
                "",
                *(f"- {n}" for n in self.nodes),
            ]
        )


def check_since(since: str | None) -> None:
    if since is None:
        return
    try:
        day = date.fromisoformat(since)
    except ValueError:
        raise ConfigError(f"--since {since!r} is not a date: use YYYY-MM-DD") from None
    if day > datetime.now(UTC).date():
        raise ConfigError(f"--since {since} is in the future: nothing to replay")


def plan(
    settings: Settings, models: list[str], since: str | None = None, full_refresh: bool = False
) -> BackfillPlan:
    """The models, snapshots and tests a backfill of `models` (and downstream) would run."""
    if not models:
        raise ConfigError("name at least one model to backfill (e.g. --select stg_wwi__orders)")
    check_since(since)
    selection = [m if m.endswith("+") else f"{m}+" for m in models]
    listed = run_dbt(
        [
            "ls",
            "--select",
            *selection,
            "--resource-type",
            "model",
            "snapshot",
            "test",
            "--output",
            "json",
            "--output-keys",
            "name resource_type",
            "--quiet",
        ],
        settings,
        capture=True,
    )
    found = [json.loads(line) for line in listed.stdout.splitlines() if line.startswith("{")]
    order = {"snapshot": 0, "model": 1, "test": 2}
    nodes = [
        f"{n['resource_type']} {n['name']}"
        for n in sorted(found, key=lambda n: (order[n["resource_type"]], n["name"]))
    ]
    if listed.returncode != 0 or not nodes:
        raise ConfigError(
            f"selection {' '.join(models)} matches no dbt model: check the "
            "names with `lakepulse dbt ls`"
        )
    return BackfillPlan(selection, nodes, since, full_refresh)


@flow(name="backfill", log_prints=True)
def backfill(
    models: list[str], since: str | None = None, full_refresh: bool = False, dry_run: bool = False
) -> list[str]:
    """Rebuild `models` and their downstream (see the module doc); returns the node names."""
    from flows.pipeline import PipelineReport, build_layer

    settings = Settings.from_env()
    chosen = plan(settings, models, since, full_refresh)
    logger = get_run_logger()
    logger.info(
        "%s %d node(s): %s",
        "would rebuild" if dry_run else "rebuilding",
        len(chosen.nodes),
        ", ".join(chosen.nodes),
    )
    create_markdown_artifact(
        key=REPORT_KEY,
        markdown=chosen.markdown(dry_run),
        description="Backfill plan" if dry_run else "Backfill",
    )
    if not dry_run:
        build_layer(
            settings,
            "backfill",
            chosen.selection,
            PipelineReport(started_at=datetime.now(UTC)),
            chosen.args(),
        )
    return chosen.nodes
