import os
import subprocess
import sys
import time

import pytest

from infra.errors import ServiceError
from infra.services import process


def test_spawn_and_stop_a_process_group(tmp_path):
    pid_file = tmp_path / "sleeper.pid"
    marker = f"lakepulse-test-{tmp_path.name}"
    pid = process.spawn(
        [
            sys.executable,
            "-c",
            f"import time, sys; sys.argv.append('{marker}'); time.sleep(60)",
            marker,
        ],
        pid_file=pid_file,
        log_file=tmp_path / "sleeper.log",
        marker=marker,
    )
    assert process.running_pid(pid_file) == pid
    assert process.stop(pid_file, timeout=5)
    assert process.running_pid(pid_file) is None
    assert not pid_file.exists()


def test_stop_never_signals_a_process_that_reused_the_pid(tmp_path):
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        pid_file = tmp_path / "stale.pid"
        process.write_pid(pid_file, process.PidRecord(pid=other.pid, marker="not-this-command"))
        assert process.running_pid(pid_file) is None
        assert process.stop(pid_file) is False
        time.sleep(0.2)
        assert other.poll() is None  # still alive
    finally:
        other.kill()
        other.wait()


def test_port_in_use_error_names_port_service_and_fix():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(ServiceError, match=rf"port {port} for sail .*LAKEPULSE_SAIL_PORT"):
            process.ensure_port_free(port, "sail", "LAKEPULSE_SAIL_PORT")


def test_wait_until_reports_a_dead_process_with_its_log(tmp_path):
    log = tmp_path / "svc.log"
    proc = subprocess.Popen(
        [sys.executable, "-c", "print('boom: bad config'); raise SystemExit(3)"],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    proc.wait()
    with pytest.raises(ServiceError, match="exited during start-up.*boom: bad config"):
        process.wait_until(lambda: False, timeout=5, pid=proc.pid, service="svc", log_file=log)
    assert os.path.exists(log)
