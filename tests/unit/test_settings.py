import pytest

from infra.errors import ConfigError
from infra.settings import Settings


def test_ports_and_home_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LAKEPULSE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("LAKEPULSE_SAIL_PORT", "15002")
    settings = Settings.from_env()
    assert settings.home == tmp_path / "state"
    assert settings.spark_remote == "sc://127.0.0.1:15002"
    assert settings.layer_dir("bronze") == tmp_path / "state" / "lake" / "bronze"


def test_spark_remote_override_wins(monkeypatch):
    monkeypatch.setenv("LAKEPULSE_SPARK_REMOTE", "sc://spark.example:15002")
    assert Settings.from_env().spark_remote == "sc://spark.example:15002"


@pytest.mark.parametrize("value", ["abc", "80", "70000"])
def test_bad_port_names_the_variable_and_the_fix(monkeypatch, value):
    monkeypatch.setenv("LAKEPULSE_PG_PORT", value)
    with pytest.raises(ConfigError, match="LAKEPULSE_PG_PORT.*1024-65535"):
        Settings.from_env()


def test_spark_endpoint_parsing():
    from infra.engines.spark import _endpoint

    assert _endpoint("sc://127.0.0.1:50051") == ("127.0.0.1", 50051)
    assert _endpoint("sc://spark.example:15002/;user_id=etl") == ("spark.example", 15002)
    assert _endpoint("sc://spark.example") == ("spark.example", 15002)
