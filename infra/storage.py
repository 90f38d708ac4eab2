"""Where the lake lives and what each client needs to reach it.

The lake is a local folder (`<home>/lake`, the default) or an S3 prefix
(`LAKEPULSE_LAKE_URI=s3://bucket/prefix`). S3 is either the embedded server
(`weed mini`, started by `lakepulse up` when no `LAKEPULSE_S3_ENDPOINT` is set,
with per-install credentials kept in the state directory) or an external
endpoint (AWS S3, MinIO, ...) with credentials from the usual `AWS_*` variables.

This module is the one place that knows it: table and database locations,
Sail's object-store environment, delta-rs storage options, dbt's location root,
the Hive Metastore's Hadoop (S3A) properties, Trino's and JVM Spark's
properties, and listing / removing files under a location.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from pyarrow import fs as pafs

from infra.errors import ConfigError, ServiceError
from infra.settings import Settings

S3_SCHEME = "s3://"
DEFAULT_REGION = "us-east-1"


# --- the lake location ---------------------------------------------------------------


def is_s3(settings: Settings) -> bool:
    return settings.lake_uri.startswith(S3_SCHEME)


def root(settings: Settings) -> str:
    """The lake root: an absolute local path (no scheme) or `s3://bucket/prefix`."""
    return settings.lake_uri if is_s3(settings) else str(settings.lake_dir)


def location(settings: Settings, *parts: str) -> str:
    """The absolute location of `parts` under the lake (what table LOCATIONs use)."""
    return "/".join([root(settings), *parts])


def bucket(settings: Settings) -> str:
    """The bucket of an S3 lake."""
    return urlparse(settings.lake_uri).netloc


def embedded_s3(settings: Settings) -> bool:
    """True when `lakepulse up` must run the S3 server (S3 lake, no external endpoint)."""
    return is_s3(settings) and settings.s3_endpoint_override is None


def ensure_dir(settings: Settings, *parts: str) -> None:
    """Create a local lake folder (object stores have no folders: nothing to do)."""
    if not is_s3(settings):
        Path(location(settings, *parts)).mkdir(parents=True, exist_ok=True)


# --- S3 endpoint and credentials -----------------------------------------------------


@dataclass(frozen=True)
class S3Access:
    """How every client reaches the lake's S3: endpoint URL, region and keys.

    Keys are None when an external endpoint relies on the clients' own credential
    chain (instance profile, `~/.aws`); the embedded server always has keys.
    """

    endpoint: str
    region: str
    access_key: str | None
    secret_key: str | None
    session_token: str | None = None

    @property
    def http(self) -> bool:
        return self.endpoint.startswith("http://")


def credentials_file(settings: Settings) -> Path:
    return settings.data_dir / "s3" / "credentials.json"


def embedded_credentials(settings: Settings) -> tuple[str, str]:
    """This installation's keys for the embedded S3 server (generated once, mode 0600)."""
    path = credentials_file(settings)
    try:
        data = json.loads(path.read_text())
        return str(data["access_key"]), str(data["secret_key"])
    except (OSError, ValueError, KeyError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = {"access_key": f"LP{secrets.token_hex(8).upper()}", "secret_key": secrets.token_hex(20)}
    tmp = path.with_suffix(".tmp")
    tmp.touch(mode=0o600)
    tmp.write_text(json.dumps(keys))
    tmp.replace(path)
    return keys["access_key"], keys["secret_key"]


def s3_access(settings: Settings) -> S3Access:
    """Endpoint and keys of the lake's S3 (ConfigError when the lake is not on S3)."""
    if not is_s3(settings):
        raise ConfigError("the lake is not on S3", hint="set LAKEPULSE_LAKE_URI=s3://bucket/prefix")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    if embedded_s3(settings):
        access_key, secret_key = embedded_credentials(settings)
        return S3Access(f"http://127.0.0.1:{settings.ports.s3}", region, access_key, secret_key)
    return S3Access(
        endpoint=str(settings.s3_endpoint_override),
        region=region,
        access_key=os.environ.get("AWS_ACCESS_KEY_ID") or None,
        secret_key=os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
        session_token=os.environ.get("AWS_SESSION_TOKEN") or None,
    )


def s3_reachable(settings: Settings, timeout: float = 2.0) -> bool:
    """True when the lake's S3 endpoint accepts connections (always True for a local lake)."""
    if not is_s3(settings):
        return True
    parsed = urlparse(s3_access(settings).endpoint)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def _keys(access: S3Access) -> dict[str, str]:
    keys = {
        "AWS_ACCESS_KEY_ID": access.access_key,
        "AWS_SECRET_ACCESS_KEY": access.secret_key,
        "AWS_SESSION_TOKEN": access.session_token,
    }
    return {name: value for name, value in keys.items() if value}


# --- per-client options --------------------------------------------------------------


def sail_environment(settings: Settings) -> dict[str, str]:
    """Environment variables Sail's object store reads (empty for a local lake)."""
    if not is_s3(settings):
        return {}
    access = s3_access(settings)
    return {
        "AWS_ENDPOINT": access.endpoint,
        "AWS_REGION": access.region,
        "AWS_ALLOW_HTTP": "true" if access.http else "false",
        "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false",
        **_keys(access),
    }


def delta_storage_options(settings: Settings) -> dict[str, str]:
    """delta-rs (`deltalake`) storage options (empty for a local lake).

    delta-rs commits with a conditional put (If-None-Match), which the embedded
    server, AWS S3 and MinIO support: no locking provider is needed.
    """
    if not is_s3(settings):
        return {}
    access = s3_access(settings)
    return {
        "AWS_ENDPOINT_URL": access.endpoint,
        "AWS_REGION": access.region,
        "AWS_ALLOW_HTTP": "true" if access.http else "false",
        "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false",
        **_keys(access),
    }


def hadoop_properties(settings: Settings) -> dict[str, str]:
    """Hadoop S3A settings for `s3://` locations (Hive Metastore; JVM Spark as spark.hadoop.*).

    Keys are not here: S3A reads them from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
    in the process environment (`hadoop_environment`), so they never land in a file.
    """
    if not is_s3(settings):
        return {}
    access = s3_access(settings)
    return {
        "fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "fs.s3a.endpoint": access.endpoint,
        "fs.s3a.endpoint.region": access.region,
        "fs.s3a.path.style.access": "true",
        "fs.s3a.connection.ssl.enabled": "false" if access.http else "true",
    }


def hadoop_environment(settings: Settings) -> dict[str, str]:
    """The credential variables a JVM with S3A needs (empty for a local lake)."""
    return _keys(s3_access(settings)) if is_s3(settings) else {}


def trino_properties(settings: Settings) -> dict[str, str]:
    """Native S3 file system properties for a Trino catalog on this lake (Trino 476+)."""
    if not is_s3(settings):
        return {"fs.native-local.enabled": "true", "local.location": root(settings)}
    access = s3_access(settings)
    properties = {
        "fs.native-s3.enabled": "true",
        "s3.endpoint": access.endpoint,
        "s3.region": access.region,
        "s3.path-style-access": "true",
    }
    if access.access_key and access.secret_key:
        properties["s3.aws-access-key"] = access.access_key
        properties["s3.aws-secret-key"] = access.secret_key
    return properties


# --- files under a location ----------------------------------------------------------


def filesystem(settings: Settings) -> pafs.FileSystem:
    """A pyarrow file system for the lake: local, or S3 with the lake's endpoint and keys."""
    if not is_s3(settings):
        return pafs.LocalFileSystem()
    access = s3_access(settings)
    parsed = urlparse(access.endpoint)
    return pafs.S3FileSystem(
        access_key=access.access_key,
        secret_key=access.secret_key,
        session_token=access.session_token,
        region=access.region,
        scheme=parsed.scheme or "https",
        endpoint_override=parsed.netloc or None,
        force_virtual_addressing=False,
        connect_timeout=5,
        request_timeout=30,
    )


def fs_path(where: str) -> str:
    """A location as pyarrow names it: `bucket/key` for S3, the path for local files."""
    return where.removeprefix(S3_SCHEME).removeprefix("file:").rstrip("/")


def same_location(left: str, right: str) -> bool:
    return fs_path(left) == fs_path(right)


@contextmanager
def _lake_io(settings: Settings, what: str, where: str) -> Iterator[None]:
    """Turn a file system error under the lake into a one-line ServiceError."""
    try:
        yield
    except OSError as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        if is_s3(settings):
            endpoint = s3_access(settings).endpoint
            cause = "it does not answer" if not s3_reachable(settings) else first
            raise ServiceError(
                f"cannot {what} {where} on the lake's S3 endpoint {endpoint}: {cause}",
                hint="run `lakepulse up` (embedded S3) or fix LAKEPULSE_S3_ENDPOINT and the "
                "AWS_* keys, then rerun (Delta commits are atomic: nothing half-written is "
                "visible)",
            ) from exc
        raise ServiceError(
            f"cannot {what} {where}: {first}", hint="check the lake folder and its permissions"
        ) from exc


def exists(settings: Settings, where: str) -> bool:
    """True when a file or a folder (for S3: any object under the prefix) is there."""
    with _lake_io(settings, "look up", where):
        info = filesystem(settings).get_file_info(fs_path(where))
    return bool(info.type != pafs.FileType.NotFound)


def subfolders(settings: Settings, where: str) -> list[str]:
    """Locations of the folders directly under `where` (none when it does not exist)."""
    selector = pafs.FileSelector(fs_path(where), allow_not_found=True)
    prefix = S3_SCHEME if is_s3(settings) else ""
    with _lake_io(settings, "list", where):
        infos = filesystem(settings).get_file_info(selector)
    return [f"{prefix}{info.path}" for info in infos if info.type == pafs.FileType.Directory]


def files_under(settings: Settings, where: str) -> list[tuple[str, int]]:
    """(path, size) of every file below `where`, recursively."""
    selector = pafs.FileSelector(fs_path(where), recursive=True, allow_not_found=True)
    with _lake_io(settings, "list", where):
        infos = filesystem(settings).get_file_info(selector)
    return [(info.path, int(info.size or 0)) for info in infos if info.type == pafs.FileType.File]


def remove_tree(settings: Settings, where: str) -> None:
    """Remove everything under `where` (a local folder or an S3 prefix)."""
    with _lake_io(settings, "remove", where):
        filesystem(settings).delete_dir(fs_path(where))
