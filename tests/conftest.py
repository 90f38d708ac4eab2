"""Session-scoped real services: one embedded stack (Postgres, HMS, Sail, Prefect) for the run."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from infra.settings import Settings
from tests.helpers import new_home, run_cli, stack_env


@pytest.fixture(scope="session")
def stack_env_vars() -> Iterator[dict[str, str]]:
    """Start the real stack in a throwaway home on free ports; stop it after the session."""
    home = new_home("session")
    env = stack_env(home)
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith("LAKEPULSE_")})
    # the deployments server is tested on its own stack (test_stack); tests that serve
    # flows start `lakepulse deploy` with the environment they need
    result = run_cli(
        "up",
        "--only",
        "postgres",
        "--only",
        "metastore",
        "--only",
        "sail",
        "--only",
        "prefect",
        env=env,
    )
    if result.returncode != 0:
        run_cli("down", env=env)
        pytest.fail(f"lakepulse up failed:\n{result.stdout}\n{result.stderr}")
    try:
        yield env
    finally:
        from infra.engines.spark import stop_sessions

        stop_sessions()  # while Sail still answers: no client retries at exit
        run_cli("down", env=env)
        os.environ.clear()
        os.environ.update(saved)
        if not os.environ.get("LAKEPULSE_KEEP_TEST_HOME"):
            shutil.rmtree(home.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def jvm_stack_env() -> Iterator[dict[str, str]]:
    """A second stack for JVM Spark: Postgres, the metastore, the JVM Spark Connect server
    and Sail (to compare with), on free ports in its own home; LAKEPULSE_ENGINE=spark.

    Its variables go to the CLI (`run_cli(env=...)`), not into this process's environment,
    so it runs beside the main session stack.
    """
    home = new_home("jvm")
    env = stack_env(home) | {"LAKEPULSE_ENGINE": "spark"}
    services = ("postgres", "metastore", "spark", "sail")
    result = run_cli("up", *(arg for name in services for arg in ("--only", name)), env=env)
    if result.returncode != 0:
        run_cli("down", env=env)
        pytest.fail(f"lakepulse up (JVM Spark) failed:\n{result.stdout}\n{result.stderr}")
    try:
        yield env
    finally:
        run_cli("down", env=env)
        if not os.environ.get("LAKEPULSE_KEEP_TEST_HOME"):
            shutil.rmtree(home.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(stack_env_vars: dict[str, str]) -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def spark(settings: Settings):
    from infra.engines.spark import session

    return session(settings)


@pytest.fixture
def home_factory():
    """Make throwaway state homes (traversable by the postgres user); remove them after."""
    from tests.helpers import new_home

    made = []

    def make(name: str):
        home = new_home(name)
        made.append(home)
        return home

    yield make
    for home in made:
        home.parent.chmod(0o755)
        shutil.rmtree(home.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def trino_env(stack_env_vars: dict[str, str]) -> Iterator[dict[str, str]]:
    """Trino on the session stack, started by the first test that needs it; stopped at the end.

    Its first start on a machine installs the server into the per-user cache.
    """
    result = run_cli("up", "--only", "trino", env=stack_env_vars)
    if result.returncode != 0:
        run_cli("down", "--only", "trino", env=stack_env_vars)
        pytest.fail(f"lakepulse up --only trino failed:\n{result.stdout}\n{result.stderr}")
    try:
        yield stack_env_vars
    finally:
        run_cli("down", "--only", "trino", env=stack_env_vars)
