"""Start, probe, stop and inspect any background process, once for every service.

A process is a `Command` (argv, environment, directory, OS user) with a pid
file, a log file and a `StopPolicy`. Its pid file records the PID, the process's start
time and its command line, so a PID reused by another process is never taken
for ours nor signalled; a pid file whose process is gone is stale and ignored.
Every failure is a one-line `ServiceError` naming the cause and the fix.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from infra.errors import ServiceError
from infra.network import port_open as port_open  # re-exported: the readiness probe

Probe = Callable[[], bool]
TAIL_LINES = 3


@dataclass(frozen=True)
class Command:
    """What to run: argv, its environment (None: ours), working directory and OS user."""

    argv: Sequence[str]
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    user: str | None = None

    def identity(self) -> str:
        """What the process's command line must contain to be ours."""
        return " ".join(self.argv)


@dataclass(frozen=True)
class StopPolicy:
    """How to stop: the graceful signal, to the whole process group or the leader alone,
    and how long to wait before SIGKILL of the group."""

    signal: signal.Signals = signal.SIGTERM
    group: bool = True
    timeout: float = 30.0


@dataclass(frozen=True)
class PidRecord:
    pid: int
    marker: str
    started: int | None = None  # start time in clock ticks since boot (/proc/<pid>/stat)


@dataclass(frozen=True)
class Started:
    pid: int
    log_offset: int  # where this run's output begins in the log file


# --- pid files -------------------------------------------------------------------------


def read_pid(pid_file: Path) -> PidRecord | None:
    """The record in pid_file, or None when it is missing or unreadable."""
    try:
        data = json.loads(pid_file.read_text())
        started = data.get("started")
        return PidRecord(
            pid=int(data["pid"]),
            marker=str(data["marker"]),
            started=int(started) if started is not None else None,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_pid(pid_file: Path, record: PidRecord) -> None:
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = pid_file.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"pid": record.pid, "marker": record.marker, "started": record.started})
    )
    tmp.replace(pid_file)


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state first), None when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return None


def _start_ticks(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def is_ours(record: PidRecord) -> bool:
    """True when the PID is alive (not a zombie), started when recorded and runs the command."""
    if not _alive(record.pid):
        return False
    if record.started is not None and _start_ticks(record.pid) != record.started:
        return False
    return record.marker in _cmdline(record.pid)


def running_pid(pid_file: Path) -> int | None:
    """The PID of the recorded process when it still runs; None for no or a stale pid file."""
    record = read_pid(pid_file)
    if record is not None and is_ours(record):
        return record.pid
    return None


# --- start -----------------------------------------------------------------------------


def start(name: str, command: Command, *, pid_file: Path, log_file: Path) -> Started:
    """Start command detached in its own session, appending to log_file; record pid_file.

    A stale pid file is replaced. Raises ServiceError when the command cannot be executed.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.unlink(missing_ok=True)
    with open(log_file, "ab") as log:
        header = f"--- {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} starting {name}\n"
        log.write(header.encode())
        log.flush()
        offset = log.tell()
        try:
            proc = subprocess.Popen(
                list(command.argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(command.env) if command.env is not None else None,
                cwd=str(command.cwd) if command.cwd else None,
                start_new_session=True,
                user=command.user,
            )
        except OSError as exc:
            raise ServiceError(
                f"{name} could not be started ({exc.strerror or exc}): {command.argv[0]}",
                hint="check that it is installed and executable",
            ) from exc
    write_pid(
        pid_file,
        PidRecord(pid=proc.pid, marker=command.identity(), started=_start_ticks(proc.pid)),
    )
    return Started(pid=proc.pid, log_offset=offset)


def ensure_port_free(port: int, service: str, env_var: str) -> None:
    """Raise a one-line ServiceError naming the port, the service and the setting to change."""
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


# --- readiness -------------------------------------------------------------------------


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """Readiness probe: GET url answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def wait_ready(
    probe: Probe,
    *,
    timeout: float,
    pid: int | None,
    service: str,
    log_file: Path,
    log_offset: int = 0,
    interval: float = 0.5,
) -> None:
    """Poll probe() until it is true; fail fast, with the log's tail, when the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        if pid is not None:
            _reap(pid)
            if not _alive(pid):
                last = " | ".join(tail(log_file, since=log_offset))
                raise ServiceError(
                    f"{service} exited during start-up: {last}", hint=f"see {log_file}"
                )
        time.sleep(interval)
    raise ServiceError(f"{service} did not become healthy in {timeout:.0f}s: see {log_file}")


# --- stop ------------------------------------------------------------------------------


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _group_alive(pgid: int) -> bool:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields and fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
            return True
    return False


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pid)
        if not _alive(pid) and not _group_alive(pid):
            return True
        time.sleep(0.1)
    return False


def stop(pid_file: Path, policy: StopPolicy = StopPolicy()) -> bool:
    """Stop the recorded process gracefully, then SIGKILL its group after the stop timeout.

    Waits until its whole process group is gone. Returns True when something was
    stopped; removes the pid file (also a stale one).
    """
    record = read_pid(pid_file)
    if record is None or not is_ours(record):
        pid_file.unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError):
        if policy.group:
            os.killpg(record.pid, policy.signal)
        else:
            os.kill(record.pid, policy.signal)
    if not _wait_gone(record.pid, policy.timeout):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(record.pid, signal.SIGKILL)
        _wait_gone(record.pid, 5.0)
    pid_file.unlink(missing_ok=True)
    return True


# --- logs ------------------------------------------------------------------------------


def tail(log_file: Path, lines: int = TAIL_LINES, *, since: int = 0) -> list[str]:
    """The last `lines` non-blank lines (200 chars at most) of log_file after offset `since`."""
    try:
        with open(log_file, "rb") as log:
            size = log.seek(0, os.SEEK_END)
            log.seek(max(since, size - 64 * 1024 * max(lines, 1)))
            text = log.read().decode(errors="replace")
    except OSError:
        return ["no log"]
    found = [line[:200] for line in text.splitlines() if line.strip()][-lines:]
    return found or ["empty log"]
