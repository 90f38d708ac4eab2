"""The declarative table of embedded services: what runs, on which port, when it is ready.

Adding a service is one `Service` entry here plus a `services/<name>.py` module
for what is special to it (its command, config files, readiness check). The
table's order is the start order (`down` goes in reverse); a service's
dependencies come before it and are started with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from infra import storage
from infra.errors import ServiceError
from infra.services import (
    deployments,
    metastore,
    postgres,
    prefect_server,
    s3,
    sail,
    spark_jvm,
    supervisor,
    trino,
)
from infra.settings import PORT_ENV, Engine, Settings

SettingsHook = Callable[[Settings], None]
DEFAULT_PROFILE = "default"


@dataclass(frozen=True)
class Service:
    """One embedded service.

    command: builds what to run; healthy: the readiness probe; port: the field of
    `settings.ports` it listens on (None: no port; the variable that sets it is
    named when the port is taken); setup: runs before each start (initdb, config
    files); ready: runs once it is healthy (bootstrap); profiles: the `up`
    profiles that include it; engine: set for a Spark Connect engine, which a profile
    includes only when it is the chosen engine (`lakepulse up --engine`).
    """

    name: str
    command: Callable[[Settings], supervisor.Command]
    healthy: Callable[[Settings], bool]
    url: Callable[[Settings], str]
    port: str | None = None
    depends_on: tuple[str, ...] = ()
    setup: SettingsHook | None = None
    ready: SettingsHook | None = None
    start_timeout: float = 60.0
    stop: supervisor.StopPolicy = supervisor.StopPolicy()
    profiles: frozenset[str] = field(default_factory=lambda: frozenset({DEFAULT_PROFILE}))
    engine: Engine | None = None
    enabled: Callable[[Settings], bool] = lambda _settings: True

    def port_number(self, settings: Settings) -> int:
        """Its port (0 when it listens on none)."""
        return int(getattr(settings.ports, self.port)) if self.port else 0

    @property
    def port_env(self) -> str | None:
        return PORT_ENV[self.port] if self.port else None


CORE = frozenset({DEFAULT_PROFILE, "core"})
"""`core`: the services the data path needs, without the schedule server."""

SERVICES: tuple[Service, ...] = (
    Service(
        name="s3",
        command=s3.command,
        healthy=s3.healthy,
        url=lambda s: f"http://127.0.0.1:{s.ports.s3}",
        port="s3",
        setup=s3.setup,
        ready=s3.bucket_ready,
        profiles=CORE,
        enabled=storage.embedded_s3,
    ),
    Service(
        name="postgres",
        command=postgres.command,
        healthy=postgres.healthy,
        url=lambda s: f"postgresql://127.0.0.1:{s.ports.postgres}/{s.pg_database}",
        port="postgres",
        setup=postgres.setup,
        ready=postgres.bootstrap,
        stop=postgres.STOP,
        profiles=CORE,
    ),
    Service(
        name="metastore",
        command=metastore.command,
        healthy=metastore.healthy,
        url=lambda s: s.metastore_uri,
        port="metastore",
        depends_on=("s3",),
        setup=metastore.setup,
        start_timeout=120.0,
        profiles=CORE,
    ),
    Service(
        name="sail",
        command=sail.command,
        healthy=sail.healthy,
        url=lambda s: f"sc://127.0.0.1:{s.ports.sail}",
        port="sail",
        depends_on=("metastore",),
        setup=sail.setup,
        ready=sail.create_layer_databases,
        profiles=CORE,
        engine="sail",
    ),
    Service(
        name="spark",
        command=spark_jvm.command,
        healthy=spark_jvm.healthy,
        url=lambda s: s.engine_remote("spark"),
        port="spark",
        depends_on=("metastore",),
        setup=spark_jvm.setup,
        ready=spark_jvm.create_layer_databases,
        start_timeout=120.0,
        profiles=CORE,
        engine="spark",
    ),
    Service(
        name="trino",
        command=trino.command,
        healthy=trino.healthy,
        url=lambda s: s.trino_url,
        port="trino",
        depends_on=("postgres", "metastore"),
        setup=trino.setup,
        start_timeout=180.0,
        profiles=frozenset({"trino"}),
    ),
    Service(
        name="prefect",
        command=prefect_server.command,
        healthy=prefect_server.healthy,
        url=lambda s: s.prefect_ui_url,
        port="prefect",
        setup=prefect_server.setup,
        start_timeout=120.0,
        profiles=CORE,
    ),
    Service(
        name="deployments",
        command=deployments.command,
        healthy=deployments.healthy,
        url=lambda s: f"{s.prefect_ui_url}/deployments",
        depends_on=("prefect",),
        start_timeout=120.0,
    ),
)

BY_NAME = {service.name: service for service in SERVICES}


def names() -> list[str]:
    return [service.name for service in SERVICES]


def get(name: str) -> Service:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ServiceError(f"unknown service {name!r}: choose from {', '.join(BY_NAME)}") from None


def select(
    only: Iterable[str] | None = None,
    profile: str = DEFAULT_PROFILE,
    engine: Engine = "sail",
    settings: Settings | None = None,
) -> list[Service]:
    """The services to start, in start order: `only` (else the profile's, with `engine` as
    its Spark Connect engine) and what they need (only those `settings` enables, when given)."""
    wanted = {get(name).name for name in only} if only else None
    if wanted is None:
        wanted = {s.name for s in SERVICES if profile in s.profiles and s.engine in (None, engine)}
        if not wanted:
            raise ServiceError(f"unknown profile {profile!r}: no service belongs to it")
    pending = list(wanted)
    while pending:
        for dependency in get(pending.pop()).depends_on:
            if dependency not in wanted:
                wanted.add(dependency)
                pending.append(dependency)
    return [
        service
        for service in SERVICES
        if service.name in wanted and (settings is None or service.enabled(settings))
    ]
