"""A throwaway embedded stack for benchmarks: own state directory, free ports, always stopped."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infra.services import catalog, manager
from infra.settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def throwaway_stack(name: str, services: list[str]) -> Iterator[Settings]:
    """Start `services` (and what they need) in a fresh home; stop and delete it afterwards."""
    root = Path(tempfile.mkdtemp(prefix=f"lakepulse-bench-{name}-"))
    root.chmod(0o755)  # the postgres OS user must traverse it
    os.environ["LAKEPULSE_HOME"] = str(root / "home")
    for service in catalog.select(services):
        if service.port_env:
            os.environ[service.port_env] = str(_free_port())
    settings = Settings.from_env()
    try:
        manager.up(settings, services)
        yield settings
    finally:
        from infra.engines.spark import stop_sessions

        stop_sessions()
        manager.down(settings)
        shutil.rmtree(root, ignore_errors=True)
