"""The embedded stack through its real CLI: idempotent up, status, errors, persistence, down."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from infra.errors import ServiceError
from infra.services import manager, supervisor
from infra.settings import Settings
from tests.helpers import run_cli, run_cli_in_process_as, stack_env

pytestmark = pytest.mark.stack


def _pids(settings: Settings) -> dict[str, int | None]:
    return {row.name: row.pid for row in manager.status(settings)}


def _failed_with_one_line(result) -> str:
    """The CLI failed with a service error (exit 3) on one line without a traceback; returns
    the line."""
    assert result.returncode == ServiceError.exit_code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_up_twice_is_idempotent(stack_env_vars, settings):
    base = ("postgres", "metastore", "sail", "prefect")
    before = {k: v for k, v in _pids(settings).items() if k in base}
    assert all(before.values())
    result = run_cli("up", *(arg for name in base for arg in ("--only", name)), env=stack_env_vars)
    assert result.returncode == 0, result.stderr
    for name in base:
        assert f"{name} already running" in result.stdout
    assert {k: v for k, v in _pids(settings).items() if k in base} == before


def test_status_fits_an_80_column_terminal(stack_env_vars):
    env = dict(stack_env_vars, COLUMNS="80")
    result = run_cli("status", env=env)
    # the session stack runs without the deployments server: status says so (exit 3)
    assert result.returncode == 3, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    text = result.stdout
    for name in ("postgres", "metastore", "sail", "prefect"):
        assert name in text
    assert f"http://127.0.0.1:{stack_env_vars['LAKEPULSE_PREFECT_PORT']}" in text
    # health per service row (Trino may also be up: tests start it once for the session)
    rows = {}
    for line in lines:
        cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
        if line.startswith("│") and len(cells) > 3 and cells[0]:
            rows[cells[0]] = cells[3]
    for name in ("postgres", "metastore", "sail", "prefect"):
        assert rows[name] == "healthy", rows
    assert rows["deployments"] == "down", rows


def test_two_concurrent_sessions_see_the_same_tables(settings):
    from infra.engines.spark import append_delta, new_session

    first, second = new_session(settings), new_session(settings)
    assert first.session_id != second.session_id
    df = first.createDataFrame([(1, "a"), (2, "b")], "id int, label string")
    append_delta(df, settings, "bronze", "shared_probe")
    tables = [r["tableName"] for r in second.sql("show tables in bronze").collect()]
    assert "shared_probe" in tables
    rows = second.sql("select id, label from bronze.shared_probe order by id").collect()
    assert [(r["id"], r["label"]) for r in rows] == [(1, "a"), (2, "b")]
    location = settings.lake_dir / "bronze" / "shared_probe" / "_delta_log"
    assert location.is_dir()


def test_taken_port_gives_a_one_line_error(home_factory):
    env = stack_env(home_factory("port"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", int(env["LAKEPULSE_PG_PORT"])))
        sock.listen()
        result = run_cli("up", "--only", "postgres", env=env)
    line = _failed_with_one_line(result)
    assert f"port {env['LAKEPULSE_PG_PORT']} for postgres is already in use" in line
    assert "LAKEPULSE_PG_PORT" in line


def test_unwritable_state_dir_gives_a_one_line_error(home_factory):
    locked = home_factory("locked")
    env = stack_env(locked / "state")
    if os.geteuid() == 0:
        # root may write anywhere: run the CLI as an unprivileged user instead
        result = run_cli_in_process_as("nobody", ["up", "--only", "postgres"], env)
        locked.chmod(0o755)  # root-owned: nobody may enter but not write
    else:
        locked.chmod(0o555)
        try:
            result = run_cli("up", "--only", "postgres", env=env)
        finally:
            locked.chmod(0o755)
    line = _failed_with_one_line(result)
    assert "is not writable" in line and "LAKEPULSE_HOME" in line


def test_missing_java_gives_a_one_line_error(home_factory):
    env = stack_env(home_factory("nojava"))
    env.pop("JAVA_HOME", None)
    env["PATH"] = str(Path(os.__file__).parent)  # no java anywhere on it
    result = run_cli("up", "--only", "metastore", env=env)
    line = _failed_with_one_line(result)
    assert "Java not found" in line and "openjdk-17" in line


def _stack_processes(home: Path) -> list[int]:
    """PIDs of any process whose command line mentions the state directory or its ports."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if str(home) in cmd and state != "Z":
            found.append(int(entry.name))
    return found


def test_tables_survive_down_and_up_and_down_leaves_nothing(home_factory):
    """A separate full stack: write, down (no process left), up, read again."""
    from infra.engines.spark import append_delta, new_session

    home = home_factory("restart")
    env = {
        **stack_env(home),
        "LAKEPULSE_SCHEDULES_PAUSED": "1",
        "LAKEPULSE_MAINTENANCE_CRON": "30 4 * * 6",
    }
    settings = _settings_for(env)
    try:
        result = run_cli("up", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        # the default `up`: not JVM Spark, Trino or S3 (other profiles, or an S3 lake)
        pids = {name: pid for name, pid in _pids(settings).items() if pid}
        assert set(pids) == {"postgres", "metastore", "sail", "prefect", "deployments"}
        _assert_deployments_served(settings)
        spark = new_session(settings)
        df = spark.createDataFrame([(7, "persisted")], "id int, note string")
        append_delta(df, settings, "silver", "restart_probe")
        spark.stop()

        result = run_cli("down", env=env)
        assert result.returncode == 0
        for pid in pids.values():
            assert not supervisor.is_ours(supervisor.PidRecord(pid=pid, marker=""))
        assert _stack_processes(home) == []
        assert not list((home / "run").glob("*.pid"))

        result = run_cli("up", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        spark = new_session(settings)
        tables = [r["tableName"] for r in spark.sql("show tables in silver").collect()]
        assert "restart_probe" in tables
        rows = spark.sql("select id, note from silver.restart_probe").collect()
        assert [(r["id"], r["note"]) for r in rows] == [(7, "persisted")]
        spark.stop()
    finally:
        run_cli("down", env=env)
    assert _stack_processes(home) == []


def _assert_deployments_served(settings: Settings) -> None:
    """`up` started the deployments server: the Prefect API lists every deployment and its
    schedule (paused here, so nothing fires during the test)."""
    import json
    import urllib.request

    def deployment(flow: str, name: str) -> dict:
        url = f"{settings.prefect_api_url}/deployments/name/{flow}/{name}"
        with urllib.request.urlopen(url, timeout=10) as resp:
            return json.load(resp)

    daily = deployment("daily_pipeline", "daily")
    assert [s["schedule"]["cron"] for s in daily["schedules"]] == ["0 2 * * *"]
    assert daily["concurrency_limit"] == 1 or daily.get("global_concurrency_limit")
    weekly = deployment("table_maintenance", "weekly")
    assert [s["schedule"]["cron"] for s in weekly["schedules"]] == ["30 4 * * 6"]
    assert deployment("cdc_stream", "follow")["schedules"] == []
    assert deployment("backfill", "on-demand")["schedules"] == []


def _settings_for(env: dict[str, str]) -> Settings:
    saved = dict(os.environ)
    try:
        os.environ.update({k: v for k, v in env.items() if k.startswith("LAKEPULSE_")})
        return Settings.from_env()
    finally:
        os.environ.clear()
        os.environ.update(saved)
