"""The embedded PostgreSQL 15 cluster: initdb on first start, logical WAL, loopback only.

Postgres refuses to run as root, so when the caller is root the cluster's
files belong to the unprivileged `postgres` OS user and the server runs as it.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import stat
import subprocess
from pathlib import Path

import psycopg

from infra.errors import ServiceError
from infra.services import supervisor
from infra.settings import Settings

NAME = "postgres"
RUN_AS = "postgres"


def bindir(settings: Settings | None = None) -> Path:
    """The folder holding initdb and postgres: LAKEPULSE_PG_BINDIR, else the newest installed."""
    override = (settings or Settings.from_env()).pg_bindir
    candidates = [override] if override else sorted(glob.glob("/usr/lib/postgresql/*/bin"))[::-1]
    for cand in candidates:
        if cand and (Path(cand) / "postgres").exists() and (Path(cand) / "initdb").exists():
            return Path(cand)
    found = shutil.which("postgres")
    if found:
        return Path(found).resolve().parent
    raise ServiceError(
        "PostgreSQL server binaries not found: install them (apt-get install -y "
        "postgresql-15) or set LAKEPULSE_PG_BINDIR to the folder holding initdb and postgres"
    )


def data_dir(settings: Settings) -> Path:
    return settings.data_dir / "postgres"


def socket_dir(settings: Settings) -> Path:
    return settings.run_dir / "pgsock"


def _run_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(RUN_AS)
    except KeyError as exc:
        raise ServiceError(
            "running as root but there is no 'postgres' OS user to run the server: "
            "create one (useradd --system postgres) or run lakepulse as a normal user"
        ) from exc
    return RUN_AS


def _check_reachable(path: Path, user: str) -> None:
    """The server user must be able to traverse every parent of its data directory."""
    for parent in reversed(path.parents):
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            raise ServiceError(
                f"the '{user}' OS user cannot enter {parent}: run `chmod o+x {parent}` "
                "or set LAKEPULSE_HOME to a folder under a world-traversable path"
            )


def _prepare_dirs(settings: Settings, user: str | None) -> None:
    for path in (data_dir(settings), socket_dir(settings), settings.log_dir):
        path.mkdir(parents=True, exist_ok=True)
    if user is None:
        return
    _check_reachable(data_dir(settings), user)
    pw = pwd.getpwnam(user)
    for path in (data_dir(settings), socket_dir(settings)):
        os.chown(path, pw.pw_uid, pw.pw_gid)
    data_dir(settings).chmod(0o700)
    logf = settings.log_file(NAME)
    logf.touch(exist_ok=True)
    os.chown(logf, pw.pw_uid, pw.pw_gid)


def _initdb(settings: Settings, user: str | None) -> None:
    if (data_dir(settings) / "PG_VERSION").exists():
        return
    result = subprocess.run(
        [
            str(bindir(settings) / "initdb"),
            "-D",
            str(data_dir(settings)),
            "-U",
            settings.pg_user,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
        ],
        capture_output=True,
        text=True,
        user=user,
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
        raise ServiceError(
            f"initdb failed ({' '.join(tail)}): fix the cause or remove {data_dir(settings)}"
        )


def argv(settings: Settings) -> list[str]:
    return [
        str(bindir(settings) / "postgres"),
        "-D",
        str(data_dir(settings)),
        "-p",
        str(settings.ports.postgres),
        "-k",
        str(socket_dir(settings)),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "wal_level=logical",
        "-c",
        "max_replication_slots=16",
        "-c",
        "max_wal_senders=16",
        "-c",
        "max_connections=100",
        "-c",
        "fsync=on",
        "-c",
        "logging_collector=off",
    ]


def setup(settings: Settings) -> None:
    """Create the cluster on first start (initdb), owned by the server's OS user."""
    user = _run_user()
    _prepare_dirs(settings, user)
    _initdb(settings, user)


STOP = supervisor.StopPolicy(signal=signal.SIGINT, group=False, timeout=60.0)
"""SIGINT to the postmaster alone is Postgres's fast shutdown."""


def command(settings: Settings) -> supervisor.Command:
    """The postmaster, run as the `postgres` OS user when we are root."""
    return supervisor.Command(argv(settings), cwd=data_dir(settings), user=_run_user())


def start(settings: Settings) -> int:
    """Set up and start a cluster for `settings` without waiting (e.g. an extra test source)."""
    setup(settings)
    return supervisor.start(
        NAME,
        command(settings),
        pid_file=settings.pid_file(NAME),
        log_file=settings.log_file(NAME),
    ).pid


def stop(settings: Settings) -> bool:
    return supervisor.stop(settings.pid_file(NAME), STOP)


def healthy(settings: Settings) -> bool:
    try:
        with psycopg.connect(
            host="127.0.0.1",
            port=settings.ports.postgres,
            user=settings.pg_user,
            dbname="postgres",
            connect_timeout=2,
        ) as conn:
            conn.execute("select 1")
        return True
    except psycopg.Error:
        return False


def bootstrap(settings: Settings) -> None:
    """Create the source database once the server answers."""
    with psycopg.connect(
        host="127.0.0.1",
        port=settings.ports.postgres,
        user=settings.pg_user,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        exists = conn.execute(
            "select 1 from pg_database where datname = %s", (settings.pg_database,)
        ).fetchone()
        if not exists:
            conn.execute(f'create database "{settings.pg_database}"')
        create_read_only_role(conn, READ_ONLY_ROLE)


READ_ONLY_ROLE = "lakepulse_reader"
"""The login role of readers such as Trino's `source` catalog: reads every table, writes none."""


def create_read_only_role(conn: psycopg.Connection[tuple[object, ...]], role: str) -> None:
    """A login role that reads every table (now and later) and whose sessions are read-only."""
    if conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
        return
    conn.execute(f'create role "{role}" login')
    conn.execute(f'grant pg_read_all_data to "{role}"')
    conn.execute(f'alter role "{role}" set default_transaction_read_only = on')
