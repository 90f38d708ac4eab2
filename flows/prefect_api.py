"""Which Prefect API the flows report to, and whether it answers.

Flows run in the calling process (the CLI, the deployments server) but report
their runs to the stack's Prefect server, so the UI shows them.
"""

from __future__ import annotations

import os
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from infra.errors import ServiceError
from infra.settings import Settings

API_HINT = "run `lakepulse up`, or set PREFECT_API_URL to a Prefect server that answers"


def api_url(settings: Settings) -> str:
    """PREFECT_API_URL when set, else the stack's Prefect server."""
    return os.environ.get("PREFECT_API_URL") or settings.prefect_api_url


@contextmanager
def stack_prefect(settings: Settings, wait: float | None = None) -> Iterator[str]:
    """Point Prefect at `api_url(settings)` while the block runs; yields the URL.

    With `wait`, first wait that many seconds at most for the API (see `wait_for_api`).
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    url = api_url(settings)
    if wait is not None:
        wait_for_api(url, wait)
    os.environ["PREFECT_API_URL"] = url  # for flow-run subprocesses
    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield url


def api_answers(url: str, timeout: float = 2.0) -> bool:
    """True when `url`/health answers 200."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def wait_for_api(url: str, timeout: float = 180.0) -> None:
    """Block until the Prefect API answers; ServiceError after `timeout` seconds.

    `timeout=0` checks once: flows started from the CLI fail fast with one line
    instead of Prefect's connection retries.
    """
    deadline = time.monotonic() + timeout
    while not api_answers(url):
        if time.monotonic() >= deadline:
            raise ServiceError(f"the Prefect API at {url} does not answer", hint=API_HINT)
        time.sleep(1)
