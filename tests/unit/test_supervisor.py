"""The supervisor on real tiny processes: start, readiness, status, stop, logs, stale pid files."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.errors import ServiceError
from infra.services import supervisor
from tests.helpers import free_port


def _http_server(port: int, directory: Path) -> supervisor.Command:
    argv = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    return supervisor.Command(argv, cwd=directory)


@pytest.fixture
def files(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    pid_file, log_file = tmp_path / "run" / "web.pid", tmp_path / "logs" / "web.log"
    yield pid_file, log_file
    supervisor.stop(pid_file, supervisor.StopPolicy(timeout=2))


def test_start_probe_status_and_stop_a_real_server(tmp_path, files):
    pid_file, log_file = files
    port = free_port()
    run = supervisor.start(
        "web", _http_server(port, tmp_path), pid_file=pid_file, log_file=log_file
    )
    supervisor.wait_ready(
        lambda: supervisor.http_ok(f"http://127.0.0.1:{port}/"),
        timeout=20,
        pid=run.pid,
        service="web",
        log_file=log_file,
    )
    assert supervisor.running_pid(pid_file) == run.pid
    assert supervisor.port_open(port)

    assert supervisor.stop(pid_file, supervisor.StopPolicy(timeout=10)) is True
    assert supervisor.running_pid(pid_file) is None
    assert not pid_file.exists()
    assert not supervisor.port_open(port)
    assert supervisor.stop(pid_file) is False  # nothing left to stop


def test_port_in_use_is_one_line_naming_port_service_and_setting():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(ServiceError) as caught:
            supervisor.ensure_port_free(port, "sail", "LAKEPULSE_SAIL_PORT")
    line = caught.value.line()
    assert "\n" not in line
    assert f"port {port} for sail is already in use" in line
    assert "LAKEPULSE_SAIL_PORT" in line


def test_a_port_that_is_free_passes():
    supervisor.ensure_port_free(free_port(), "sail", "LAKEPULSE_SAIL_PORT")


def test_exit_during_start_up_reports_this_runs_log_tail(tmp_path, files):
    pid_file, log_file = files
    log_file.parent.mkdir(parents=True)
    log_file.write_text("an older run's last words\n")
    crash = "print('reading config', flush=True); print('boom: bad config'); raise SystemExit(3)"
    command = supervisor.Command([sys.executable, "-c", crash])
    run = supervisor.start("svc", command, pid_file=pid_file, log_file=log_file)
    with pytest.raises(ServiceError) as caught:
        supervisor.wait_ready(
            lambda: False,
            timeout=20,
            pid=run.pid,
            service="svc",
            log_file=log_file,
            log_offset=run.log_offset,
        )
    line = caught.value.line()
    assert "\n" not in line
    assert line.startswith("svc exited during start-up: reading config | boom: bad config")
    assert "older run" not in line
    assert str(log_file) in line  # the hint names the whole log


def test_a_service_that_never_gets_ready_times_out_naming_its_log(tmp_path, files):
    pid_file, log_file = files
    command = supervisor.Command([sys.executable, "-c", "import time; time.sleep(30)"])
    run = supervisor.start("slow", command, pid_file=pid_file, log_file=log_file)
    with pytest.raises(ServiceError, match=r"slow did not become healthy in 1s: see .*web\.log"):
        supervisor.wait_ready(
            lambda: False, timeout=1, pid=run.pid, service="slow", log_file=log_file
        )


def test_a_command_that_cannot_be_executed_is_one_line(tmp_path, files):
    pid_file, log_file = files
    missing = supervisor.Command([str(tmp_path / "no-such-binary")])
    with pytest.raises(ServiceError, match="ghost could not be started"):
        supervisor.start("ghost", missing, pid_file=pid_file, log_file=log_file)
    assert not pid_file.exists()


def test_stop_kills_the_group_when_the_graceful_signal_is_ignored(tmp_path, files):
    pid_file, log_file = files
    stubborn = (
        "import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        "print('ready', flush=True); time.sleep(60)"
    )
    run = supervisor.start(
        "stubborn",
        supervisor.Command([sys.executable, "-c", stubborn]),
        pid_file=pid_file,
        log_file=log_file,
    )
    supervisor.wait_ready(
        lambda: "ready" in log_file.read_text(),
        timeout=20,
        pid=run.pid,
        service="stubborn",
        log_file=log_file,
    )
    began = time.monotonic()
    assert supervisor.stop(pid_file, supervisor.StopPolicy(signal.SIGTERM, timeout=1.0))
    assert time.monotonic() - began < 10
    assert not supervisor._group_alive(run.pid)  # the child went with it


def test_stale_pid_file_is_ignored_and_replaced(tmp_path, files):
    pid_file, log_file = files
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    supervisor.write_pid(pid_file, supervisor.PidRecord(pid=gone.pid, marker="python"))
    assert supervisor.running_pid(pid_file) is None
    assert supervisor.stop(pid_file) is False
    assert not pid_file.exists()

    supervisor.write_pid(pid_file, supervisor.PidRecord(pid=gone.pid, marker="python"))
    port = free_port()
    run = supervisor.start(
        "web", _http_server(port, tmp_path), pid_file=pid_file, log_file=log_file
    )
    assert supervisor.running_pid(pid_file) == run.pid


def test_stop_never_signals_a_process_that_reused_the_pid(tmp_path):
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        pid_file = tmp_path / "reused.pid"
        started = supervisor._start_ticks(other.pid)
        assert started is not None
        for record in (
            supervisor.PidRecord(pid=other.pid, marker="not-this-command"),
            supervisor.PidRecord(pid=other.pid, marker="time.sleep", started=started - 1),
        ):
            supervisor.write_pid(pid_file, record)
            assert supervisor.running_pid(pid_file) is None
            assert supervisor.stop(pid_file) is False
        time.sleep(0.2)
        assert other.poll() is None  # still alive
        supervisor.write_pid(
            pid_file, supervisor.PidRecord(pid=other.pid, marker="time.sleep", started=started)
        )
        assert supervisor.running_pid(pid_file) == other.pid
    finally:
        other.kill()
        other.wait()


def test_tail_keeps_the_last_non_blank_lines(tmp_path):
    log = tmp_path / "svc.log"
    assert supervisor.tail(log) == ["no log"]
    log.write_text("")
    assert supervisor.tail(log) == ["empty log"]
    log.write_text("\n".join(f"line {i}" for i in range(100)) + "\n\n" + "x" * 500 + "\n")
    assert supervisor.tail(log, 2) == ["line 99", "x" * 200]
