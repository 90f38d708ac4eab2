"""Run dbt against the LakePulse project with the environment the profiles expect."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from infra.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DBT_PROFILES_DIR = REPO_ROOT / "profiles"


def dbt_env(settings: Settings, target: str = "local") -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        LAKEPULSE_LAKE=str(settings.lake_dir),
        LAKEPULSE_SAIL_PORT=str(settings.ports.sail),
        LAKEPULSE_DBT_TARGET=target,
        DBT_PROJECT_DIR=str(DBT_PROJECT_DIR),
        DBT_PROFILES_DIR=str(DBT_PROFILES_DIR),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_LOG_PATH=str(settings.log_dir / "dbt"),
    )
    if settings.spark_remote_override and target == "spark":
        env["LAKEPULSE_SPARK_REMOTE"] = settings.spark_remote_override
    return env


def dbt_binary() -> str:
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def run_dbt(
    args: list[str],
    settings: Settings,
    *,
    target: str = "local",
    capture: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run `dbt ARGS` in the project; returns the completed process (never raises on failure)."""
    return subprocess.run(
        [dbt_binary(), *args],
        env=dbt_env(settings, target),
        cwd=DBT_PROJECT_DIR,
        text=True,
        capture_output=capture,
    )
