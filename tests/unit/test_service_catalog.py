"""The service catalog and `up`/`down`/`status`/`logs` over it, on real tiny processes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.errors import ServiceError
from infra.services import catalog, manager, supervisor
from infra.settings import PORT_ENV, Settings
from tests.helpers import free_port


def test_only_brings_what_a_service_needs_in_start_order():
    assert manager.select(["sail"]) == ["metastore", "sail"]
    assert manager.select(["deployments", "postgres"]) == ["postgres", "prefect", "deployments"]
    assert manager.select(None) == ["postgres", "metastore", "sail", "prefect", "deployments"]
    assert manager.select(None, profile="core") == ["postgres", "metastore", "sail", "prefect"]


def test_the_s3_server_runs_only_for_an_s3_lake_without_an_external_endpoint(tmp_path):
    local = Settings.from_env({"LAKEPULSE_HOME": str(tmp_path)})
    s3 = Settings.from_env({"LAKEPULSE_HOME": str(tmp_path), "LAKEPULSE_LAKE_URI": "s3://lake/p"})
    external = Settings.from_env(
        {
            "LAKEPULSE_HOME": str(tmp_path),
            "LAKEPULSE_LAKE_URI": "s3://lake/p",
            "LAKEPULSE_S3_ENDPOINT": "http://127.0.0.1:9000",
        }
    )
    assert manager.select(["sail"], settings=local) == ["metastore", "sail"]
    assert manager.select(["sail"], settings=s3) == ["s3", "metastore", "sail"]
    assert manager.select(["sail"], settings=external) == ["metastore", "sail"]
    assert "s3" not in [row.name for row in manager.status(local)]


def test_unknown_service_or_profile_is_one_line_with_the_choices():
    with pytest.raises(ServiceError) as caught:
        manager.select(["kafka"])
    assert caught.value.line() == (
        "unknown service 'kafka': choose from s3, postgres, metastore, sail, spark, trino, "
        "prefect, deployments"
    )
    with pytest.raises(ServiceError, match="unknown profile 'nope'"):
        manager.select(None, profile="nope")


def test_the_table_is_consistent():
    names = catalog.names()
    assert len(set(names)) == len(names)
    for position, service in enumerate(catalog.SERVICES):
        for dependency in service.depends_on:
            assert dependency in names[:position], f"{service.name} needs {dependency} first"
        if service.port:
            assert service.port_env == PORT_ENV[service.port]
            assert service.port_env.startswith("LAKEPULSE_")


def test_deployments_server_is_started_by_command_line_not_by_import(tmp_path):
    settings = Settings.from_env({"LAKEPULSE_HOME": str(tmp_path)})
    command = catalog.get("deployments").command(settings)
    assert list(command.argv) == [sys.executable, "-m", "flows.deployments"]
    assert command.env is not None and command.env["LAKEPULSE_HOME"] == str(tmp_path)
    assert command.env["PREFECT_API_URL"] == settings.prefect_api_url


def _web(name: str, port: int, directory: Path, depends_on: tuple[str, ...] = ()):
    argv = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    return catalog.Service(
        name=name,
        command=lambda _s: supervisor.Command(argv, cwd=directory),
        healthy=lambda _s: supervisor.http_ok(f"http://127.0.0.1:{port}/"),
        url=lambda _s: f"http://127.0.0.1:{port}/",
        depends_on=depends_on,
        setup=lambda s: (s.data_dir / f"{name}.setup").write_text("done"),
        ready=lambda s: (s.data_dir / f"{name}.ready").write_text("done"),
        start_timeout=20,
    )


@pytest.fixture
def tiny_catalog(tmp_path, monkeypatch) -> Iterator[Settings]:
    """Two web servers (`b` needs `a`) and a service that dies at start-up, in a fresh home."""
    crash = catalog.Service(
        name="crash",
        command=lambda _s: supervisor.Command([sys.executable, "-c", "raise SystemExit('no')"]),
        healthy=lambda _s: False,
        url=lambda _s: "-",
        profiles=frozenset({"broken"}),
    )
    services = (
        _web("a", free_port(), tmp_path),
        _web("b", free_port(), tmp_path, ("a",)),
        crash,
    )
    monkeypatch.setattr(catalog, "SERVICES", services)
    monkeypatch.setattr(catalog, "BY_NAME", {s.name: s for s in services})
    settings = Settings.from_env({"LAKEPULSE_HOME": str(tmp_path / "home")})
    yield settings
    manager.down(settings)


def test_up_status_logs_down_over_the_catalog(tiny_catalog):
    settings = tiny_catalog
    result = manager.up(settings, ["b"])
    assert result.started == ["a", "b"] and result.already_running == []
    assert (settings.data_dir / "a.setup").exists() and (settings.data_dir / "b.ready").exists()

    rows = {row.name: row for row in manager.status(settings)}
    assert rows["a"].healthy and rows["b"].healthy and rows["a"].pid and rows["b"].pid
    assert not rows["crash"].healthy and rows["crash"].pid is None
    assert rows["a"].log == settings.log_file("a")
    assert manager.logs(settings, "a")[0].startswith("--- ")

    again = manager.up(settings, ["a", "b"])
    assert again.started == [] and again.already_running == ["a", "b"]
    assert {row.name: row.pid for row in manager.status(settings)}["b"] == rows["b"].pid

    assert manager.down(settings) == ["b", "a"]
    assert all(row.pid is None for row in manager.status(settings))
    assert not list(settings.run_dir.glob("*.pid"))
    assert manager.down(settings) == []


def test_a_service_dying_at_start_up_fails_up_with_its_log(tiny_catalog):
    with pytest.raises(ServiceError) as caught:
        manager.up(tiny_catalog, profile="broken")
    assert caught.value.line().startswith("crash exited during start-up: no (hint: see ")


def test_unwritable_home_is_one_line_naming_the_setting(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    settings = Settings.from_env({"LAKEPULSE_HOME": str(blocker / "home")})
    with pytest.raises(ServiceError) as caught:
        manager.check_state_dir(settings)
    assert "is not writable" in caught.value.line() and "LAKEPULSE_HOME" in caught.value.line()


def test_deployments_readiness_waits_for_every_deployment_the_flows_serve() -> None:
    """infra names the served deployments without importing flows: the names must agree."""
    from flows.deployments import deployments as served_by_flows
    from infra.services import deployments

    served = {f"{d.flow_name}/{d.name}" for d in served_by_flows()}
    assert set(deployments.SERVED) == served
