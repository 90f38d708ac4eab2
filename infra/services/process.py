"""Background processes with PID files: start, identify, stop, and port checks.

A PID file records the PID and a marker that must appear in the process's
command line, so `down` never signals an unrelated process that reused the PID.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.errors import ServiceError


@dataclass(frozen=True)
class PidRecord:
    pid: int
    marker: str


def read_pid(pid_file: Path) -> PidRecord | None:
    try:
        data = json.loads(pid_file.read_text())
        return PidRecord(pid=int(data["pid"]), marker=str(data["marker"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_pid(pid_file: Path, record: PidRecord) -> None:
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = pid_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": record.pid, "marker": record.marker}))
    tmp.replace(pid_file)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def is_ours(record: PidRecord) -> bool:
    """True when the PID is alive (not a zombie) and still runs the recorded command."""
    try:
        stat = Path(f"/proc/{record.pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    if state in ("Z", "X"):
        return False
    return record.marker in _cmdline(record.pid)


def running_pid(pid_file: Path) -> int | None:
    record = read_pid(pid_file)
    if record is not None and is_ours(record):
        return record.pid
    return None


def spawn(
    argv: Sequence[str],
    *,
    pid_file: Path,
    log_file: Path,
    marker: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> int:
    """Start argv detached in its own session, logging to log_file; record its PID."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=str(cwd) if cwd else None,
            start_new_session=True,
            user=user,
        )
    write_pid(pid_file, PidRecord(pid=proc.pid, marker=marker))
    return proc.pid


def _alive(pid: int) -> bool:
    return is_ours(PidRecord(pid=pid, marker=""))


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop(
    pid_file: Path, *, sig: int = signal.SIGTERM, timeout: float = 30.0, group: bool = True
) -> bool:
    """Stop the recorded process (its whole group when group=True), then wait for the group.

    Escalates to SIGKILL of the group after timeout. Returns True when something
    was stopped. Removes the PID file.
    """
    record = read_pid(pid_file)
    if record is None or not is_ours(record):
        pid_file.unlink(missing_ok=True)
        return False
    pid = record.pid
    try:
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pid)
        if not _alive(pid) and not _group_alive(pid):
            break
        time.sleep(0.2)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        for _ in range(50):
            _reap(pid)
            if not _alive(pid) and not _group_alive(pid):
                break
            time.sleep(0.1)
    pid_file.unlink(missing_ok=True)
    return True


def _group_alive(pgid: int) -> bool:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
            return True
    return False


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_port_free(port: int, service: str, env_var: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # as servers do: a port left in TIME_WAIT is free, one with a listener is not
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise ServiceError(
                f"port {port} for {service} is already in use: stop what listens there "
                f"or set {env_var} to a free port"
            ) from exc


def wait_until(
    check: Callable[[], bool],
    *,
    timeout: float,
    pid: int | None,
    service: str,
    log_file: Path,
    interval: float = 0.5,
) -> None:
    """Poll check() until it is true; fail fast when the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if pid is not None:
            _reap(pid)
            if not _alive(pid):
                raise ServiceError(
                    f"{service} exited during start-up: see {log_file} "
                    f"(last line: {last_line(log_file)})"
                )
        time.sleep(interval)
    raise ServiceError(f"{service} did not become healthy in {timeout:.0f}s: see {log_file}")


def last_line(log_file: Path) -> str:
    try:
        lines = [line for line in log_file.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no log"
    return lines[-1][:200] if lines else "empty log"
