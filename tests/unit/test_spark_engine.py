"""Choosing the engine (Sail or JVM Spark), its endpoints, dbt target and server command."""

from __future__ import annotations

import json

import pytest

from flows.dbt_runner import dbt_env, default_target
from infra.engines.sail_locations import unreadable_location
from infra.errors import ConfigError
from infra.services import catalog, manager, spark_jvm
from infra.settings import ENV_VARS, Settings


def test_engine_comes_from_the_variable_else_from_the_running_server(tmp_path):
    base = {"LAKEPULSE_HOME": str(tmp_path), "LAKEPULSE_SPARK_PORT": "15102"}
    assert Settings.from_env(base).engine == "sail"
    chosen = Settings.from_env(base | {"LAKEPULSE_ENGINE": "spark"})
    assert chosen.engine == "spark" and chosen.spark_remote == "sc://127.0.0.1:15102"
    # `lakepulse up --engine spark` left a JVM server (and no Sail) running in this home
    settings = Settings.from_env(base)
    settings.run_dir.mkdir(parents=True)
    settings.pid_file("spark").write_text(json.dumps({"pid": 1, "marker": "x"}))
    assert settings.engine == "spark" and settings.spark_remote == "sc://127.0.0.1:15102"
    settings.pid_file("sail").write_text(json.dumps({"pid": 1, "marker": "x"}))
    assert settings.engine == "sail"
    remote = Settings.from_env(base | {"LAKEPULSE_SPARK_REMOTE": "sc://cluster:15002"})
    assert remote.spark_remote == "sc://cluster:15002"


def test_an_unknown_engine_is_one_line_naming_the_choices():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"LAKEPULSE_ENGINE": "flink"})
    assert caught.value.line().startswith(
        "LAKEPULSE_ENGINE='flink' is not an engine: set it to one of sail, spark"
    )


def test_up_brings_the_chosen_engine_only():
    assert manager.select(None) == ["postgres", "metastore", "sail", "prefect", "deployments"]
    assert manager.select(None, engine="spark") == [
        "postgres",
        "metastore",
        "spark",
        "prefect",
        "deployments",
    ]
    assert manager.select(["spark"]) == ["metastore", "spark"]
    assert catalog.get("spark").port_env == "LAKEPULSE_SPARK_PORT"


def test_dbt_target_follows_the_engine(tmp_path):
    sail = Settings.from_env({"LAKEPULSE_HOME": str(tmp_path)})
    jvm = Settings.from_env({"LAKEPULSE_HOME": str(tmp_path), "LAKEPULSE_ENGINE": "spark"})
    cluster = Settings.from_env(
        {"LAKEPULSE_HOME": str(tmp_path), "LAKEPULSE_SPARK_REMOTE": "sc://cluster:15002"}
    )
    assert (default_target(sail), default_target(jvm), default_target(cluster)) == (
        "local",
        "spark",
        "spark",
    )
    assert dbt_env(jvm)["LAKEPULSE_DBT_TARGET"] == "spark"
    assert dbt_env(jvm)["LAKEPULSE_DBT_SPARK_REMOTE"] == "sc://127.0.0.1:15002"
    assert dbt_env(cluster)["LAKEPULSE_DBT_SPARK_REMOTE"] == "sc://cluster:15002"
    assert dbt_env(jvm, "local")["LAKEPULSE_DBT_TARGET"] == "local"


def test_jvm_server_binds_loopback_with_delta_and_the_metastore(tmp_path):
    settings = Settings.from_env({"LAKEPULSE_HOME": str(tmp_path), "LAKEPULSE_SPARK_PORT": "15102"})
    conf = spark_jvm.conf(settings)
    assert conf["spark.connect.grpc.binding.address"] == "127.0.0.1"
    assert conf["spark.connect.grpc.binding.port"] == "15102"
    assert conf["spark.driver.bindAddress"] == "127.0.0.1"
    assert conf["spark.ui.enabled"] == "false"
    assert conf["spark.hadoop.hive.metastore.uris"] == settings.metastore_uri
    assert conf["spark.sql.catalog.spark_catalog"].endswith("DeltaCatalog")
    # every jar is pinned to a checksum and comes from the user cache, not the repo
    for jar in spark_jvm.JARS:
        assert len(jar.digest) == 40 and jar.url.endswith(jar.path.name)
    assert any("delta-spark_4.2_2.13" in jar.name for jar in spark_jvm.JARS)


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("file:/lake/silver/t", "/lake/silver/t"),
        ("/lake/silver/t", None),
        ("file:///lake/silver/t", None),
        ("s3://bucket/silver/t", None),
    ],
)
def test_only_qualified_file_locations_need_registering_for_sail(location, expected):
    assert unreadable_location(location) == expected


def test_the_dbt_environment_changes_no_setting_when_a_flow_copies_it(tmp_path, monkeypatch):
    """The pipeline copies dbt's environment into its own process: the settings read from
    it afterwards must be the same (a JVM Spark endpoint there once pinned every later run
    of `lakepulse demo` to a server that was not running)."""
    for var in ENV_VARS:
        monkeypatch.delenv(var.name, raising=False)
    settings = Settings.from_env({"LAKEPULSE_HOME": str(tmp_path)})
    for target in ("local", "spark", "trino"):
        copied = {**dbt_env(settings, target), "LAKEPULSE_HOME": str(tmp_path)}
        assert Settings.from_env(copied) == settings, target
