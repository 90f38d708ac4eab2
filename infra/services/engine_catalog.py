"""Readiness of an embedded engine's catalog: the layer databases exist in the metastore.

Sail and JVM Spark both listen before their metastore catalog answers, so `up` waits
here (once the port is open) until a session can create the layer databases.
"""

from __future__ import annotations

import time
from pathlib import Path

from infra.engines import spark
from infra.errors import ServiceError
from infra.settings import Engine, Settings

CATALOG_TIMEOUT = 60.0


def create_layer_databases(settings: Settings, engine: Engine, *, log: Path) -> None:
    """Create the layer databases at absolute lake locations through `engine`; retry a while."""
    deadline = time.monotonic() + CATALOG_TIMEOUT
    while True:
        try:
            session = spark.new_session(settings, remote=settings.engine_remote(engine))
            spark.ensure_layers(session, settings)
            session.stop()
            return
        except Exception as exc:  # grpc and catalog errors come in several types
            if time.monotonic() > deadline:
                raise ServiceError(
                    f"{engine} answers but the catalog is not usable ({type(exc).__name__}): "
                    f"see {settings.log_file('metastore')} and {log}"
                ) from exc
            time.sleep(1)
