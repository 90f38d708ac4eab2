"""The CLI package without services: the root error handler, dbt's empty selections,
the Data Docs server, the Prefect API check and table rendering."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from flows.cli import app
from infra.errors import ConfigError, DbtRunFailed, ServiceError
from infra.services import manager

runner = CliRunner()


def _status_raises(monkeypatch, error: Exception) -> None:
    def broken(settings):
        raise error

    monkeypatch.setattr(manager, "status", broken)


def test_an_unexpected_exception_is_one_line_and_exit_70(monkeypatch, tmp_path):
    monkeypatch.setenv("LAKEPULSE_HOME", str(tmp_path))
    monkeypatch.delenv("LAKEPULSE_DEBUG", raising=False)
    _status_raises(monkeypatch, ZeroDivisionError("division by zero"))
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 70
    assert result.stderr.splitlines() == [
        "internal error: ZeroDivisionError: division by zero (rerun with --debug for the traceback)"
    ]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("how", ["option", "environment"])
def test_debug_shows_the_traceback(monkeypatch, tmp_path, how):
    monkeypatch.setenv("LAKEPULSE_HOME", str(tmp_path))
    _status_raises(monkeypatch, ZeroDivisionError("division by zero"))
    if how == "option":
        result = runner.invoke(app, ["--debug", "status"])
    else:
        result = runner.invoke(app, ["status"], env={"LAKEPULSE_DEBUG": "1"})
    assert result.exit_code == 70
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert "in broken" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("internal error: ZeroDivisionError")


def test_a_lakepulse_error_gets_its_exit_code(monkeypatch, tmp_path):
    monkeypatch.setenv("LAKEPULSE_HOME", str(tmp_path))
    _status_raises(monkeypatch, ConfigError("bad thing", "fix it"))
    result = runner.invoke(app, ["status"])
    assert (result.exit_code, result.stderr) == (4, "error: bad thing (hint: fix it)\n")


def test_status_with_a_service_down_prints_the_table_and_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("LAKEPULSE_HOME", str(tmp_path))
    rows = [
        manager.ServiceStatus("postgres", 5432, 10, True, "postgresql://x", tmp_path / "a"),
        manager.ServiceStatus("sail", 50051, None, False, "sc://x", tmp_path / "b"),
    ]
    monkeypatch.setattr(manager, "status", lambda settings: rows)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 3
    assert "healthy" in result.stdout and "down" in result.stdout
    assert result.stderr.splitlines() == [
        f"error: not healthy: sail (hint: `lakepulse up` starts what is down; logs in "
        f"{tmp_path / 'logs'})"
    ]


def test_usage_errors_stay_the_cli_librarys_exit_2():
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2
    assert runner.invoke(app, ["quality", "check"]).exit_code == 2  # --layer is required


def _documented_commands() -> set[str]:
    """`lakepulse X [Y]` of every row of the README's command table (X Y: lower-case words)."""
    import re

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The `lakepulse` command", 1)[1].split("\n## ", 1)[0]
    found = set()
    for line in section.splitlines():
        if line.startswith("| `lakepulse "):
            words = line.split("`")[1].split()[1:]  # after "lakepulse"
            found.add(words[0])
            if len(words) > 1 and re.fullmatch(r"[a-z][a-z-]*", words[1]):
                found.add(f"{words[0]} {words[1]}")  # a subcommand, not an option or VALUE
    return found


def test_every_documented_command_is_registered():
    documented = _documented_commands()
    assert {"status", "check-trino", "quality check", "ingest cdc"} <= documented
    for command in documented:
        result = runner.invoke(app, [*command.split(), "--help"])
        assert result.exit_code == 0, (command, result.output)


# --- dbt: a selection that matches nothing is an error ---------------------------------


def _fake_dbt(monkeypatch, tmp_path, returncode: int, results: list[dict] | None) -> None:
    from datetime import UTC, datetime

    from flows import dbt_runner

    monkeypatch.setattr(dbt_runner, "DBT_PROJECT_DIR", tmp_path)

    def run_dbt(args, settings, *, target=None, capture=False, extra_env=None):
        if results is not None:
            (tmp_path / "target").mkdir(exist_ok=True)
            started = datetime.now(UTC).isoformat().replace("+00:00", "Z")
            run_results = {
                "metadata": {"invocation_started_at": started},
                "args": {"select": args[args.index("--select") + 1 :], "which": args[0]},
                "results": results,
            }
            (tmp_path / "target" / "run_results.json").write_text(json.dumps(run_results))
        return subprocess.CompletedProcess(args, returncode)

    monkeypatch.setattr(dbt_runner, "run_dbt", run_dbt)


def test_a_dbt_selection_matching_nothing_is_a_config_error(monkeypatch, tmp_path):
    from flows.dbt_runner import run_dbt_command
    from infra.settings import Settings

    _fake_dbt(monkeypatch, tmp_path, 0, results=[])
    with pytest.raises(ConfigError, match="the selection missing matches no node") as raised:
        run_dbt_command(["run", "--select", "missing"], Settings.from_env())
    assert "lakepulse dbt ls --select missing" in (raised.value.hint or "")


def test_a_stale_run_results_file_is_not_read_as_this_run(monkeypatch, tmp_path):
    from flows.dbt_runner import run_dbt_command
    from infra.settings import Settings

    _fake_dbt(monkeypatch, tmp_path, 0, results=None)  # this "dbt" writes no run_results
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "run_results.json").write_text(
        json.dumps(
            {
                "metadata": {"invocation_started_at": "2020-01-01T00:00:00Z"},
                "args": {"select": ["old"]},
                "results": [],
            }
        )
    )
    assert run_dbt_command(["compile", "--select", "x"], Settings.from_env()) == []


def test_a_failed_dbt_command_is_dbt_run_failed(monkeypatch, tmp_path):
    from flows.dbt_runner import run_dbt_command
    from infra.settings import Settings

    _fake_dbt(monkeypatch, tmp_path, 2, results=None)
    with pytest.raises(DbtRunFailed, match=r"dbt test failed \(dbt exit code 2\)"):
        run_dbt_command(["test", "--select", "x"], Settings.from_env(), target="trino")


# --- Data Docs server, Prefect API ------------------------------------------------------


def test_docs_server_serves_the_folder_on_loopback(tmp_path):
    from flows.docs_server import open_server, serve_until_interrupted, url

    (tmp_path / "index.html").write_text("<h1>docs</h1>")
    server = open_server(tmp_path, 0)
    assert server.server_address[0] == "127.0.0.1"
    thread = threading.Thread(target=serve_until_interrupted, args=(server,), daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(url(server), timeout=5) as resp:
            assert resp.read() == b"<h1>docs</h1>"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_docs_server_on_a_taken_port_is_a_service_error(tmp_path):
    from flows.docs_server import open_server

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServiceError, match=f"cannot serve on 127.0.0.1:{port}"):
            open_server(tmp_path, port)


def test_prefect_api_check_fails_fast_with_a_service_error():
    from flows.prefect_api import wait_for_api

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(ServiceError, match=f"Prefect API at http://127.0.0.1:{port}/api"):
        wait_for_api(f"http://127.0.0.1:{port}/api", timeout=0)


def test_deployments_server_entry_point_reports_one_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "LAKEPULSE_HOME": str(tmp_path), "LAKEPULSE_PG_PORT": "abc"}
    root = Path(__file__).parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "flows.deployments"],
        env={**env, "PYTHONPATH": str(root)},
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 4
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: LAKEPULSE_PG_PORT")


# --- rendering ----------------------------------------------------------------------------


def test_tables_fold_long_values_instead_of_cutting_them():
    from flows.cli.output import table

    value = "x" * 70 + "-end"
    shown = table("t", ("name", "value"), right=("value",))
    shown.add_row("a", value)
    buffer = io.StringIO()
    Console(file=buffer, width=40, color_system=None).print(shown)
    text = buffer.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 40
    assert "…" not in text
    cells = "".join(line.split("│")[2].strip() for line in text.splitlines() if "│" in line)
    assert value in cells
