"""Where LakePulse keeps its state, which ports its embedded services use, and its endpoints.

Everything is read from the environment (never from files in the repo), so a
developer, CI and tests can run side by side with different homes and ports.
`Settings.from_env()` is the one entry point; an invalid variable raises a
one-line `ConfigError` naming the variable and the fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from infra.errors import ConfigError

DEFAULT_HOME = ".lakepulse"
LAYERS = ("bronze", "silver", "gold", "quality")
ENGINES = ("sail", "spark")
"""The embedded Spark Connect engines: Sail (default) and JVM Spark with Delta Lake."""
Engine = Literal["sail", "spark"]


def first_problem(exc: Exception) -> str:
    """`where: what` of the first error of a pydantic ValidationError, on one line."""
    errors = getattr(exc, "errors", None)
    if not callable(errors) or not errors():
        return str(exc).splitlines()[0]
    first = errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "file"
    return f"{where}: {first['msg'].removeprefix('Value error, ')}"


def _port(value: object) -> int:
    try:
        port = int(str(value).strip())
    except ValueError:
        raise ValueError("is not a port number") from None
    if not 1024 <= port <= 65535:
        raise ValueError("is out of range")
    return port


def _home(value: Path) -> Path:
    return value.expanduser().resolve()


def _spark_remote(value: str | None) -> str | None:
    if value is not None and not value.startswith("sc://"):
        raise ValueError("is not a Spark Connect URL")
    return value


def _lake_uri(value: str | None) -> str | None:
    if value is None:
        return None
    if value.startswith("s3://"):
        bucket, _, prefix = value.removeprefix("s3://").partition("/")
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
            raise ValueError("does not name a valid S3 bucket")
        prefix = prefix.strip("/")
        if "'" in prefix or "//" in prefix:
            raise ValueError("has an unusable prefix")
        return f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
    if "://" in value and not value.startswith("file://"):
        raise ValueError("is neither s3:// nor a local path")
    path = Path(value.removeprefix("file://")).expanduser()
    if not path.is_absolute() or "'" in str(path):
        raise ValueError("is not an absolute path")
    return f"file://{path.resolve()}"


def _endpoint(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"https?://[^/\s]+/?", value):
        raise ValueError("is not an http(s)://host[:port] URL")
    return value.rstrip("/") if value else value


def _engine(value: str | None) -> str | None:
    if value is not None and value not in ENGINES:
        raise ValueError("is not an engine")
    return value


def _sql_name(value: str) -> str:
    if not value or '"' in value or "\0" in value:
        raise ValueError("is not a usable name")
    return value


Port = Annotated[int, BeforeValidator(_port)]


class Ports(BaseModel):
    """The loopback ports of the embedded services."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    postgres: Port = 55432
    metastore: Port = 9083
    sail: Port = 50051
    prefect: Port = 4200
    s3: Port = 8333
    spark: Port = 15002
    trino: Port = 8080


@dataclass(frozen=True)
class EnvVar:
    """One environment variable: the settings field it sets and the fix when it is invalid."""

    name: str
    field: tuple[str, ...]
    fix: str


_PORT_FIX = "set it to 1024-65535"
ENV_VARS = (
    EnvVar("LAKEPULSE_HOME", ("home",), "set it to a writable folder"),
    EnvVar("LAKEPULSE_PG_PORT", ("ports", "postgres"), _PORT_FIX),
    EnvVar("LAKEPULSE_HMS_PORT", ("ports", "metastore"), _PORT_FIX),
    EnvVar("LAKEPULSE_SAIL_PORT", ("ports", "sail"), _PORT_FIX),
    EnvVar("LAKEPULSE_PREFECT_PORT", ("ports", "prefect"), _PORT_FIX),
    EnvVar("LAKEPULSE_S3_PORT", ("ports", "s3"), _PORT_FIX),
    EnvVar("LAKEPULSE_SPARK_PORT", ("ports", "spark"), _PORT_FIX),
    EnvVar("LAKEPULSE_ENGINE", ("engine_choice",), f"set it to one of {', '.join(ENGINES)}"),
    EnvVar("LAKEPULSE_TRINO_PORT", ("ports", "trino"), _PORT_FIX),
    EnvVar("LAKEPULSE_PG_DATABASE", ("pg_database",), "set it to a plain database name"),
    EnvVar("LAKEPULSE_PG_USER", ("pg_user",), "set it to a plain role name"),
    EnvVar("LAKEPULSE_PG_DSN", ("pg_dsn_override",), "set it to a postgresql:// URL"),
    EnvVar("LAKEPULSE_PG_BINDIR", ("pg_bindir",), "set it to the folder holding initdb"),
    EnvVar("LAKEPULSE_SPARK_REMOTE", ("spark_remote_override",), "set it to sc://host:port"),
    EnvVar("LAKEPULSE_LAKE_URI", ("lake_uri_override",), "set it to s3://bucket/prefix or a path"),
    EnvVar("LAKEPULSE_S3_ENDPOINT", ("s3_endpoint_override",), "set it to an http(s):// URL"),
)
PORT_ENV = {var.field[1]: var.name for var in ENV_VARS if var.field[0] == "ports"}
"""Service port field -> the variable that sets it (named in port-in-use errors)."""


class Settings(BaseModel):
    """Resolved configuration of one LakePulse installation (immutable)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    home: Annotated[Path, AfterValidator(_home)]
    ports: Ports = Ports()
    pg_database: Annotated[str, AfterValidator(_sql_name)] = "wwi"
    pg_user: Annotated[str, AfterValidator(_sql_name)] = "lakepulse"
    pg_dsn_override: str | None = None
    pg_bindir: Path | None = None
    spark_remote_override: Annotated[str | None, AfterValidator(_spark_remote)] = None
    lake_uri_override: Annotated[str | None, AfterValidator(_lake_uri)] = None
    s3_endpoint_override: Annotated[str | None, AfterValidator(_endpoint)] = None
    engine_choice: Annotated[Engine | None, BeforeValidator(_engine)] = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from `environ` (default: the process environment); empty values are unset."""
        environ = os.environ if environ is None else environ
        data: dict[str, Any] = {"home": DEFAULT_HOME}
        for var in ENV_VARS:
            raw = environ.get(var.name)
            if raw:
                *parents, leaf = var.field
                target = data
                for part in parents:
                    target = target.setdefault(part, {})
                target[leaf] = raw
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise _config_error(exc, environ) from None

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
    def lake_uri(self) -> str:
        """`s3://bucket/prefix` or `file:///abs/path`; infra.storage turns it into locations."""
        return self.lake_uri_override or f"file://{self.home / 'lake'}"

    @property
    def lake_dir(self) -> Path:
        """The local lake folder (`<home>/lake` unless LAKEPULSE_LAKE_URI names another);
        for an S3 lake only local scratch: use infra.storage for locations."""
        if self.lake_uri_override and self.lake_uri_override.startswith("file://"):
            return Path(self.lake_uri_override.removeprefix("file://"))
        return self.home / "lake"

    def layer_dir(self, layer: str) -> Path:
        return self.lake_dir / layer

    def pid_file(self, service: str) -> Path:
        return self.run_dir / f"{service}.pid"

    def log_file(self, service: str) -> Path:
        return self.log_dir / f"{service}.log"

    # --- engine and endpoints ---------------------------------------------------------
    @property
    def engine(self) -> Engine:
        """The embedded engine Spark work goes to: LAKEPULSE_ENGINE, else the one running.

        Without LAKEPULSE_ENGINE, a state directory whose stack runs JVM Spark and not
        Sail (`lakepulse up --engine spark`) uses JVM Spark; anything else uses Sail.
        """
        if self.engine_choice is not None:
            return self.engine_choice
        if self.pid_file("spark").exists() and not self.pid_file("sail").exists():
            return "spark"
        return "sail"

    def engine_remote(self, engine: Engine) -> str:
        """The Spark Connect URL of one embedded engine on this machine."""
        port = self.ports.spark if engine == "spark" else self.ports.sail
        return f"sc://127.0.0.1:{port}"

    @property
    def spark_remote(self) -> str:
        """Where Spark work goes: LAKEPULSE_SPARK_REMOTE, else the engine's embedded server."""
        return self.spark_remote_override or self.engine_remote(self.engine)

    @property
    def metastore_uri(self) -> str:
        return f"thrift://127.0.0.1:{self.ports.metastore}"

    @property
    def trino_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.trino}"

    @property
    def prefect_api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.prefect}/api"

    @property
    def prefect_ui_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.prefect}"

    @property
    def pg_dsn(self) -> str:
        return self.pg_dsn_override or (
            f"postgresql://{self.pg_user}@127.0.0.1:{self.ports.postgres}/{self.pg_database}"
        )


def _config_error(exc: ValidationError, environ: Mapping[str, str]) -> ConfigError:
    """The first problem as `VAR='value' <what is wrong>: <fix>`."""
    first = exc.errors()[0]
    problem = str(first["msg"]).removeprefix("Value error, ")
    for var in ENV_VARS:
        if tuple(first["loc"]) == var.field:
            return ConfigError(f"{var.name}={environ.get(var.name)!r} {problem}: {var.fix}")
    return ConfigError(f"invalid settings: {first_problem(exc)}")
