"""Every `lakepulse` command with a broken configuration: a non-zero exit code of the error's
class, exactly one line on stderr, and no traceback anywhere.

No services are started: the broken settings, unreachable ports (nothing listens on them,
so connections are refused at once), bad paths and missing names all fail fast.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.errors import EXIT_CONFIG, EXIT_SERVICE, EXIT_SOURCE
from tests.helpers import PORT_VARS, free_port, run_cli

EVERY_COMMAND = [
    ["up"],
    ["down"],
    ["status"],
    ["seed"],
    ["simulate"],
    ["ingest", "cdc", "--once"],
    ["ingest", "files"],
    ["ingest", "api"],
    ["report", "some-batch"],
    ["dbt", "ls"],
    ["check-trino"],
    ["lint"],
    ["run"],
    ["demo"],
    ["deploy"],
    ["maintain"],
    ["backfill", "--select", "stg_wwi__orders"],
    ["quality", "check", "--layer", "bronze"],
    ["quality", "docs"],
]


@pytest.fixture
def dead_env(tmp_path) -> dict[str, str]:
    """A fresh home whose service ports have nothing listening on them."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEPULSE_", "PREFECT_"))}
    env["LAKEPULSE_HOME"] = str(tmp_path / "home")
    env.update({var: str(free_port()) for var in PORT_VARS})
    return env


def one_line_failure(args: list[str], env: dict[str, str], code: int) -> str:
    """Run `lakepulse ARGS`: exit `code`, one stderr line, no traceback; returns the line."""
    result = run_cli(*args, env=env, timeout=300)
    shown = (
        f"lakepulse {' '.join(args)}\nstdout:\n{result.stdout[-2000:]}\nstderr:\n{result.stderr}"
    )
    assert result.returncode == code, shown
    lines = result.stderr.splitlines()
    assert len(lines) == 1, shown
    assert "Traceback" not in result.stdout + result.stderr, shown
    assert lines[0].startswith("error: "), shown
    return lines[0]


@pytest.mark.parametrize("args", EVERY_COMMAND, ids=" ".join)
def test_every_command_rejects_a_bad_port_setting(args, dead_env):
    line = one_line_failure(args, {**dead_env, "LAKEPULSE_PG_PORT": "abc"}, EXIT_CONFIG)
    assert "LAKEPULSE_PG_PORT" in line


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def _docs_site(home: Path) -> None:
    from expectations.gate import docs_index
    from infra.settings import Settings

    index = docs_index(Settings(home=home))
    index.parent.mkdir(parents=True)
    index.write_text("<h1>Data Docs</h1>")


CASES = [
    # (args, extra environment, exit code, words the line must hold)
    (["down", "--only", "nope"], {}, EXIT_SERVICE, "unknown service 'nope'"),
    (["status"], {}, EXIT_SERVICE, "not healthy: postgres"),
    (["seed"], {}, EXIT_SOURCE, "cannot connect to Postgres"),
    (["simulate"], {}, EXIT_SOURCE, "cannot connect to Postgres"),
    (["ingest", "cdc"], {}, EXIT_CONFIG, "--once or --follow"),
    (["ingest", "cdc", "--once"], {}, EXIT_SERVICE, "Spark Connect"),
    (["ingest", "files", "/nonexistent/x.csv"], {}, EXIT_CONFIG, "/nonexistent/x.csv"),
    (["ingest", "api", "nope"], {}, EXIT_CONFIG, "no API source named nope"),
    (["report", "nope.csv"], {}, EXIT_CONFIG, "no report for 'nope.csv'"),
    (["lint", "--dialect", "oracle"], {}, EXIT_CONFIG, "unknown SQL dialect 'oracle'"),
    (["run"], {}, EXIT_SERVICE, "Prefect API"),
    (["demo"], {}, EXIT_SERVICE, "Spark Connect"),
    (["maintain"], {}, EXIT_SERVICE, "Prefect API"),
    (["backfill", "--select", "x", "--since", "yesterday"], {}, EXIT_CONFIG, "YYYY-MM-DD"),
    (["backfill", "--select", "stg_wwi__orders"], {}, EXIT_SERVICE, "Prefect API"),
    (["quality", "check", "--layer", "platinum"], {}, EXIT_CONFIG, "unknown layer"),
    (["quality", "check", "--layer", "bronze"], {}, EXIT_SERVICE, "Spark Connect"),
    (["quality", "docs"], {}, EXIT_CONFIG, "no Data Docs yet"),
    (["status"], {"LAKEPULSE_SPARK_REMOTE": "sc://127.0.0.1:1"}, EXIT_SERVICE, "not healthy"),
]


@pytest.mark.parametrize(
    ("args", "extra", "code", "words"), CASES, ids=[" ".join(c[0]) for c in CASES]
)
def test_each_failure_has_its_class_exit_code(args, extra, code, words, dead_env):
    assert words in one_line_failure(args, {**dead_env, **extra}, code)


def test_up_with_a_state_directory_under_a_file(dead_env, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {**dead_env, "LAKEPULSE_HOME": str(blocker / "state")}
    line = one_line_failure(["up", "--only", "postgres"], env, EXIT_SERVICE)
    assert "is not writable" in line and "LAKEPULSE_HOME" in line


def test_dbt_with_a_missing_model_fails(dead_env):
    line = one_line_failure(["dbt", "run", "--select", "no_such_model"], dead_env, EXIT_CONFIG)
    assert "the selection no_such_model matches no node" in line
    assert "lakepulse dbt ls" in line


def test_docs_server_on_a_taken_port(dead_env, taken_port):
    _docs_site(Path(dead_env["LAKEPULSE_HOME"]))
    args = ["quality", "docs", "--serve", "--port", str(taken_port)]
    line = one_line_failure(args, dead_env, EXIT_SERVICE)
    assert f"cannot serve on 127.0.0.1:{taken_port}" in line and "--port" in line


def test_debug_shows_the_traceback(dead_env):
    result = run_cli("report", "nope.csv", env={**dead_env, "LAKEPULSE_DEBUG": "1"})
    assert result.returncode == EXIT_CONFIG
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert result.stderr.splitlines()[-1].startswith("error: no report for 'nope.csv'")
