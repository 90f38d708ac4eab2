"""Where LakePulse keeps its state and which ports its embedded services use.

Everything is read from the environment (never from files in the repo), so a
developer, CI and tests can run side by side with different homes and ports.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from infra.errors import ConfigError

DEFAULT_HOME = ".lakepulse"


def first_problem(exc: Exception) -> str:
    """`where: what` of the first error of a pydantic ValidationError, on one line."""
    errors = getattr(exc, "errors", None)
    if not callable(errors) or not errors():
        return str(exc).splitlines()[0]
    first = errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "file"
    return f"{where}: {first['msg'].removeprefix('Value error, ')}"


def _port(env: str, default: int) -> int:
    raw = os.environ.get(env)
    if raw is None or raw == "":
        return default
    try:
        port = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{env}={raw!r} is not a port number: set it to 1024-65535") from exc
    if not 1024 <= port <= 65535:
        raise ConfigError(f"{env}={port} is out of range: set it to 1024-65535")
    return port


@dataclass(frozen=True)
class Ports:
    postgres: int = 55432
    metastore: int = 9083
    sail: int = 50051
    prefect: int = 4200

    @classmethod
    def from_env(cls) -> Ports:
        return cls(
            postgres=_port("LAKEPULSE_PG_PORT", cls.postgres),
            metastore=_port("LAKEPULSE_HMS_PORT", cls.metastore),
            sail=_port("LAKEPULSE_SAIL_PORT", cls.sail),
            prefect=_port("LAKEPULSE_PREFECT_PORT", cls.prefect),
        )


@dataclass(frozen=True)
class Settings:
    """Resolved configuration of one LakePulse installation."""

    home: Path
    ports: Ports = field(default_factory=Ports)
    pg_database: str = "wwi"
    pg_user: str = "lakepulse"
    spark_remote_override: str | None = None

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("LAKEPULSE_HOME") or DEFAULT_HOME).expanduser().resolve()
        return cls(
            home=home,
            ports=Ports.from_env(),
            pg_database=os.environ.get("LAKEPULSE_PG_DATABASE", "wwi"),
            pg_user=os.environ.get("LAKEPULSE_PG_USER", "lakepulse"),
            spark_remote_override=os.environ.get("LAKEPULSE_SPARK_REMOTE") or None,
        )

    # --- state directory layout -------------------------------------------------
    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def lake_dir(self) -> Path:
        return self.home / "lake"

    def layer_dir(self, layer: str) -> Path:
        return self.lake_dir / layer

    # --- endpoints ------------------------------------------------------------------
    @property
    def spark_remote(self) -> str:
        return self.spark_remote_override or f"sc://127.0.0.1:{self.ports.sail}"

    @property
    def metastore_uri(self) -> str:
        return f"thrift://127.0.0.1:{self.ports.metastore}"

    @property
    def prefect_api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.prefect}/api"

    @property
    def prefect_ui_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.prefect}"

    @property
    def pg_dsn(self) -> str:
        return os.environ.get("LAKEPULSE_PG_DSN") or (
            f"postgresql://{self.pg_user}@127.0.0.1:{self.ports.postgres}/{self.pg_database}"
        )


LAYERS = ("bronze", "silver", "gold", "quality")
