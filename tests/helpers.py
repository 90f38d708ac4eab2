"""Shared test helpers: free ports, test state homes, and running the real CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from infra.settings import PORT_ENV

LAKEPULSE = str(Path(sys.executable).parent / "lakepulse")
PORT_VARS = tuple(PORT_ENV.values())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def new_home(name: str) -> Path:
    """A state directory the unprivileged postgres user can traverse (tmp dirs are 0700)."""
    root = Path(tempfile.mkdtemp(prefix=f"lakepulse-{name}-"))
    root.chmod(0o755)
    home = root / "home"
    home.mkdir()
    return home


def stack_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEPULSE_")}
    env["LAKEPULSE_HOME"] = str(home)
    for var in PORT_VARS:
        env[var] = str(free_port())
    return env


def run_cli(
    *args: str, env: dict[str, str] | None = None, user: str | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LAKEPULSE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        user=user,
    )


def run_cli_in_process_as(
    user: str, args: list[str], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a forked child that dropped to `user` (root's tests of permission errors).

    A fork keeps the already-imported interpreter, so the unprivileged user needs no
    access to the virtualenv.
    """
    import io
    import json
    import pwd
    from contextlib import redirect_stderr, redirect_stdout

    from rich.console import Console
    from rich.table import Table

    import infra.engines.spark  # noqa: F401  (imported by the CLI's error handler)
    from flows.cli import app

    Console(file=io.StringIO()).print(Table("x"), "[red]warm[/]")  # load lazy imports now
    # walk the same error path once as ourselves so every lazy import is loaded
    saved = dict(os.environ)
    try:
        os.environ["LAKEPULSE_HOME"] = "/proc/lakepulse-warm-up/state"
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            app(args=args, prog_name="lakepulse", standalone_mode=False)
    except BaseException:
        pass
    finally:
        os.environ.clear()
        os.environ.update(saved)

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 70
        out, err = io.StringIO(), io.StringIO()
        try:
            os.close(read_fd)
            pw = pwd.getpwnam(user)
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            os.environ.clear()
            os.environ.update(env)
            with redirect_stdout(out), redirect_stderr(err):
                try:
                    returned = app(args=args, prog_name="lakepulse", standalone_mode=False)
                    code = returned if isinstance(returned, int) else 0
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 1
                except Exception as exc:  # click.exceptions.Exit carries exit_code
                    code = getattr(exc, "exit_code", 1)
                    if code == 1:
                        err.write(f"{type(exc).__name__}: {exc}\n")
        except BaseException:
            import traceback

            err.write(traceback.format_exc())
        finally:
            os.write(write_fd, json.dumps([code, out.getvalue(), err.getvalue()]).encode())
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        code, out, err = json.loads(pipe.read() or '[70, "", "child died"]')
    os.waitpid(pid, 0)
    return subprocess.CompletedProcess(args, code, out, err)


def append_modified_copy(spark, table: str, overrides: dict[str, str], order_by: str) -> None:
    """Append a copy of the first row of `table` (by `order_by`) with SQL `overrides` per column."""
    columns = [f.name for f in spark.table(table).schema.fields]
    select = ", ".join(overrides.get(c, c) for c in columns)
    spark.sql(f"insert into {table} select {select} from {table} order by {order_by} limit 1")


WWI_SCHEMAS = ("application", "sales", "warehouse", "purchasing")


def reset_capture(spark, settings, slot: str, layers: tuple[str, ...] = ("bronze",)) -> None:
    """No replication slot and no WWI tables (files included) in `layers`: a clean start."""
    import shutil

    from ingestion.source.db import connect

    with connect(settings, autocommit=True) as conn:
        found = conn.execute("select 1 from pg_replication_slots where slot_name = %s", (slot,))
        if found.fetchone():
            conn.execute("select pg_drop_replication_slot(%s)", (slot,))
    for layer in layers:
        for row in spark.sql(f"show tables in {layer}").collect():
            name = row["tableName"]
            captured = name.split("__")[0] in WWI_SCHEMAS or name == "cdc_snapshot_log"
            if layer != "bronze" or captured:
                try:
                    spark.sql(f"drop table {layer}.{name}")
                except Exception:  # a view (Silver intermediate models)
                    spark.sql(f"drop view {layer}.{name}")
                shutil.rmtree(settings.lake_dir / layer / name, ignore_errors=True)
