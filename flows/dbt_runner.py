"""Run dbt against the LakePulse project with the environment the profiles expect."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from infra import storage
from infra.errors import ConfigError, DbtRunFailed
from infra.settings import Settings

if TYPE_CHECKING:
    from infra.lake_gc import Pruned

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DBT_PROFILES_DIR = REPO_ROOT / "profiles"


def default_target(settings: Settings) -> str:
    """The dbt target of the configured engine: `spark` for JVM Spark or a remote Spark
    Connect endpoint (LAKEPULSE_SPARK_REMOTE), else `local` (Sail)."""
    if settings.spark_remote_override or settings.engine == "spark":
        return "spark"
    return "local"


def dbt_env(
    settings: Settings, target: str | None = None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The process environment plus what profiles/profiles.yml and dbt read (and `extra`).

    `target` defaults to the configured engine's (`default_target`). The `local` target
    reaches Sail on its port, the `spark` target LAKEPULSE_SPARK_REMOTE or else the
    stack's JVM Spark server.
    """
    target = target or default_target(settings)
    env = dict(os.environ)
    env.update(
        LAKEPULSE_LAKE=storage.root(settings),
        LAKEPULSE_SAIL_PORT=str(settings.ports.sail),
        # not LAKEPULSE_SPARK_REMOTE: the pipeline copies this environment into its own
        # process, where that name would pin every later run to the JVM Spark endpoint
        LAKEPULSE_DBT_SPARK_REMOTE=(
            settings.spark_remote_override or settings.engine_remote("spark")
        ),
        LAKEPULSE_DBT_TARGET=target,
        DBT_PROJECT_DIR=str(DBT_PROJECT_DIR),
        DBT_PROFILES_DIR=str(DBT_PROFILES_DIR),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_LOG_PATH=str(settings.log_dir / "dbt"),
    )
    if target == "trino":
        env["LAKEPULSE_TRINO_PORT"] = str(settings.ports.trino)
    env.update(extra or {})
    return env


def dbt_binary() -> str:
    """The dbt beside this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def run_dbt(
    args: list[str],
    settings: Settings,
    *,
    target: str | None = None,
    capture: bool = False,
    extra_env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `dbt ARGS` in the project; returns the completed process (never raises on failure)."""
    return subprocess.run(
        [dbt_binary(), *args],
        env=dbt_env(settings, target, extra_env),
        cwd=DBT_PROJECT_DIR,
        text=True,
        capture_output=capture,
    )


NODE_COMMANDS = ("run", "build", "test", "snapshot", "seed", "compile")
"""dbt commands that act on selected nodes and write run_results.json."""
BUILD_COMMANDS = ("run", "build", "snapshot", "seed")
"""dbt commands that write tables (after which old table generations are pruned)."""


def _selection_matched_nothing(started: datetime) -> list[str] | None:
    """The selection of the dbt invocation that started after `started` and ran no node.

    dbt reports a selection that matches nothing as a warning and exits 0; its
    run_results.json then lists no result. None when nodes ran (or nothing was selected).
    """
    path = DBT_PROJECT_DIR / "target" / "run_results.json"
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
        began = datetime.fromisoformat(results["metadata"]["invocation_started_at"])
    except (OSError, ValueError, KeyError):
        return None
    began = began if began.tzinfo else began.replace(tzinfo=UTC)
    selection = results.get("args", {}).get("select") or []
    if began < started or results.get("results") or not selection:
        return None
    return [str(s) for s in selection]


def run_dbt_command(
    args: list[str],
    settings: Settings,
    *,
    target: str | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> list[Pruned]:
    """`lakepulse dbt ARGS`: run dbt with its output shown; raise when it did not do its job.

    DbtRunFailed when dbt exits non-zero; ConfigError when `--select` matched no node
    (dbt itself only warns "nothing to do"). After a build on Spark, old table
    generations are removed; returns what was removed.
    """
    from infra.engines.spark import session
    from infra.lake_gc import prune_generations

    command = next((a for a in args if not a.startswith("-")), "")
    started = datetime.now(UTC)
    result = run_dbt(args, settings, target=target, extra_env=extra_env)
    if result.returncode != 0:
        raise DbtRunFailed(
            f"dbt {command or ' '.join(args)} failed (dbt exit code {result.returncode})",
            hint=f"see dbt's output above or {settings.log_dir / 'dbt' / 'dbt.log'}",
        )
    if command in NODE_COMMANDS:
        unmatched = _selection_matched_nothing(started)
        if unmatched is not None:
            raise ConfigError(
                f"dbt {command}: the selection {' '.join(unmatched)} matches no node",
                hint=f"check the names with `lakepulse dbt ls --select {' '.join(unmatched)}`",
            )
    if target == "trino" or command not in BUILD_COMMANDS:
        return []
    return prune_generations(session(settings), settings)
