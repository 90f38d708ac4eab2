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


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("LAKEPULSE_SPARK_REMOTE", "http://spark:15002", "is not a Spark Connect URL"),
        ("LAKEPULSE_PG_DATABASE", 'w"wi', "is not a usable name"),
        ("LAKEPULSE_HMS_PORT", "9o83", "is not a port number"),
    ],
)
def test_every_invalid_variable_is_one_line_naming_it(variable, value, expected):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({variable: value})
    line = caught.value.line()
    assert line.startswith(f"{variable}={value!r} {expected}: set it to ")
    assert "\n" not in line


def test_defaults_and_every_variable_from_a_mapping(tmp_path):
    defaults = Settings.from_env({})
    assert (defaults.ports.postgres, defaults.ports.metastore) == (55432, 9083)
    assert (defaults.ports.sail, defaults.ports.prefect) == (50051, 4200)
    assert defaults.home.name == ".lakepulse" and defaults.home.is_absolute()
    assert defaults.pg_dsn == "postgresql://lakepulse@127.0.0.1:55432/wwi"

    settings = Settings.from_env(
        {
            "LAKEPULSE_HOME": str(tmp_path),
            "LAKEPULSE_PG_PORT": "15432",
            "LAKEPULSE_HMS_PORT": "19083",
            "LAKEPULSE_PREFECT_PORT": "14200",
            "LAKEPULSE_PG_DATABASE": "shop",
            "LAKEPULSE_PG_USER": "etl",
            "LAKEPULSE_PG_BINDIR": "/opt/pg/bin",
            "LAKEPULSE_SPARK_REMOTE": "",  # empty means unset
        }
    )
    assert settings.pg_dsn == "postgresql://etl@127.0.0.1:15432/shop"
    assert settings.metastore_uri == "thrift://127.0.0.1:19083"
    assert settings.prefect_api_url == "http://127.0.0.1:14200/api"
    assert settings.spark_remote == "sc://127.0.0.1:50051"
    assert str(settings.pg_bindir) == "/opt/pg/bin"
    assert settings.pid_file("sail") == tmp_path / "run" / "sail.pid"
    assert settings.log_file("sail") == tmp_path / "logs" / "sail.log"
    dsn = Settings.from_env({"LAKEPULSE_PG_DSN": "postgresql://u@db:5432/x"}).pg_dsn
    assert dsn == "postgresql://u@db:5432/x"


def test_settings_are_immutable(tmp_path):
    settings = Settings.from_env({"LAKEPULSE_HOME": str(tmp_path)})
    with pytest.raises(ValueError):
        settings.pg_database = "other"  # type: ignore[misc]
