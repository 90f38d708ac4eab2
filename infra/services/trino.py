"""The embedded Trino server: installed once per user from Maven Central, run on Java 24+.

Maven Central serves the full `io.trino:trino-server:476` archive (821 MB) but not the
476 plugin zips, so the archive is downloaded once into the per-user cache (checksum
pinned here) and only the core (bin/, lib/) and the plugins LakePulse uses are unpacked
into `<cache>/trino-server-476/`. The archive's plugins share files by hard links;
Python's `tarfile` extracts a link's content when its target was left out.

Each state directory gets its own `etc/` (node id, port, catalogs) and `var/`:
`lake` (delta_lake on the stack's Hive Metastore, local files), `source` (postgresql on
the OLTP database through the read-only role the Postgres bootstrap creates), `memory`.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import urllib.request
from pathlib import Path

from infra import downloads
from infra.errors import ServiceError
from infra.services import postgres, supervisor
from infra.services.java import find_jdk
from infra.settings import Settings

NAME = "trino"
VERSION = "476"
MIN_JAVA = 24
JAVA_HOME_ENV = "LAKEPULSE_TRINO_JAVA_HOME"
HEAP_ENV = "LAKEPULSE_TRINO_HEAP"
DEFAULT_HEAP = "2G"
PLUGINS = ("delta-lake", "postgresql", "memory", "geospatial")
"""geospatial: the postgresql connector needs its Geometry type (PostGIS columns)."""
ARCHIVE = downloads.Artifact(
    name=f"trino-server-{VERSION}.tar.gz",
    url=downloads.maven_url("io.trino", "trino-server", VERSION, "tar.gz"),
    digest="c9b38be4017ebd2f7095455aaac772fb40247ebe",
)
CATALOGS = ("lake", "source", "memory")
MAIN_CLASS = "io.trino.server.TrinoServer"
JVM_OPTIONS = (
    "-XX:+UseG1GC",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:+ExitOnOutOfMemoryError",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:ReservedCodeCacheSize=256M",
    "-XX:PerMethodRecompilationCutoff=10000",
    "-XX:PerBytecodeRecompilationCutoff=10000",
    "-XX:+EnableDynamicAgentLoading",
    "-Djdk.attach.allowAttachSelf=true",
    "-Djdk.nio.maxCachedBufferSize=2000000",
    "-Dfile.encoding=UTF-8",
)


# --- installation (once per user) ------------------------------------------------------


def install_dir() -> Path:
    return downloads.cache_dir() / f"trino-server-{VERSION}"


def _marker(home: Path) -> Path:
    return home / ".lakepulse-installed"


def _wanted(name: str) -> str | None:
    """The path below the install folder of an archive member LakePulse needs, else None."""
    _, _, rest = name.partition("/")
    top, _, below = rest.partition("/")
    if top in ("bin", "lib") or rest == "NOTICE":
        return rest
    if top == "plugin" and below.split("/", 1)[0] in PLUGINS:
        return rest
    return None


def install(*, progress: bool = True) -> Path:
    """The unpacked server (core plus PLUGINS) in the per-user cache, installing it once."""
    home = install_dir()
    if _marker(home).exists() and _marker(home).read_text() == ",".join(PLUGINS):
        return home
    archive = downloads.fetch(ARCHIVE, progress=progress)
    staging = home.with_name(f"{home.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        with tarfile.open(archive) as tar:
            members = []
            for member in tar.getmembers():
                relative = _wanted(member.name)
                if relative:
                    members.append(member)
            tar.extractall(staging, members=members, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ServiceError(
            f"cannot unpack {archive} ({type(exc).__name__}: {exc})",
            hint=f"delete {archive} so that the next start downloads it again",
        ) from exc
    unpacked = staging / f"trino-server-{VERSION}"
    if not (unpacked / "lib").is_dir():
        shutil.rmtree(staging, ignore_errors=True)
        raise ServiceError(
            f"{archive} holds no trino-server-{VERSION}/lib folder",
            hint=f"delete {archive} so that the next start downloads it again",
        )
    _marker(unpacked).write_text(",".join(PLUGINS))
    shutil.rmtree(home, ignore_errors=True)
    unpacked.replace(home)
    shutil.rmtree(staging, ignore_errors=True)
    return home


# --- per-state configuration -------------------------------------------------------------


def workdir(settings: Settings) -> Path:
    return settings.data_dir / NAME


def etc_dir(settings: Settings) -> Path:
    return workdir(settings) / "etc"


def _properties(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))


def catalog_properties(settings: Settings) -> dict[str, dict[str, str]]:
    """The catalogs' properties: `lake` (Delta on the metastore), `source`, `memory`."""
    return {
        "lake": {
            "connector.name": "delta_lake",
            "hive.metastore.uri": settings.metastore_uri,
            "fs.native-local.enabled": "true",
            "local.location": "/",
            # Sail registers locations as bare absolute paths (no scheme); Trino sends a
            # location without a scheme to the Hadoop file system (local by default)
            "fs.hadoop.enabled": "true",
            # one writer per table on a local file system (no conditional-put store)
            "delta.enable-non-concurrent-writes": "true",
            "delta.register-table-procedure.enabled": "true",
            "delta.hive-catalog-name": "lake",
            # a metastore change by Sail is visible at once
            "delta.metadata.cache-ttl": "0s",
        },
        "source": {
            "connector.name": "postgresql",
            "connection-url": (
                f"jdbc:postgresql://127.0.0.1:{settings.ports.postgres}/{settings.pg_database}"
            ),
            "connection-user": postgres.READ_ONLY_ROLE,
            "connection-password": "",
        },
        "memory": {"connector.name": "memory", "memory.max-data-per-node": "256MB"},
    }


def setup(settings: Settings) -> None:
    """Check Java (failing early with the fix), install once, write this state's etc/."""
    java()
    home = install()
    etc = etc_dir(settings)
    shutil.rmtree(etc / "catalog", ignore_errors=True)
    _properties(
        etc / "config.properties",
        {
            "coordinator": "true",
            "node-scheduler.include-coordinator": "true",
            "http-server.http.port": str(settings.ports.trino),
            "discovery.uri": settings.trino_url,
            "plugin.dir": str(home / "plugin"),
            "catalog.config-dir": str(etc / "catalog"),
            "query.max-memory": "1GB",
            "query.max-memory-per-node": "1GB",
            "http-server.log.enabled": "false",
            "task.concurrency": "2",
            "task.max-worker-threads": "4",
        },
    )
    _properties(etc / "log.properties", {"io.trino": "INFO", "io.airlift": "WARN"})
    for catalog, values in catalog_properties(settings).items():
        _properties(etc / "catalog" / f"{catalog}.properties", values)


def java() -> Path:
    return find_jdk(MIN_JAVA, override_env=JAVA_HOME_ENV, needed_by=f"Trino {VERSION}")


def argv(settings: Settings) -> list[str]:
    heap = os.environ.get(HEAP_ENV) or DEFAULT_HEAP
    etc = etc_dir(settings)
    return [
        str(java()),
        f"-Xmx{heap}",
        *JVM_OPTIONS,
        "-Dnode.environment=lakepulse",
        f"-Dnode.id=lakepulse-{settings.ports.trino}",
        f"-Dnode.data-dir={workdir(settings) / 'var'}",
        "-Dnode.bind-ip=127.0.0.1",
        "-Dnode.internal-address=127.0.0.1",
        f"-Dconfig={etc / 'config.properties'}",
        f"-Dlog.levels-file={etc / 'log.properties'}",
        "-cp",
        f"{install_dir() / 'lib'}/*",
        MAIN_CLASS,
    ]


def command(settings: Settings) -> supervisor.Command:
    return supervisor.Command(argv(settings), cwd=workdir(settings))


def healthy(settings: Settings) -> bool:
    """Trino answers /v1/info and says it finished starting."""
    try:
        with urllib.request.urlopen(f"{settings.trino_url}/v1/info", timeout=2) as resp:
            info = json.loads(resp.read())
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and info.get("starting") is False
