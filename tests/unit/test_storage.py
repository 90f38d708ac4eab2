"""infra.storage: the lake location and what each client needs to reach it."""

from __future__ import annotations

import stat

import pytest

from infra import storage
from infra.errors import ConfigError
from infra.services import s3
from infra.settings import Settings


def _settings(tmp_path, **env: str) -> Settings:
    return Settings.from_env({"LAKEPULSE_HOME": str(tmp_path / "state"), **env})


def test_the_default_lake_is_the_local_folder_and_needs_no_client_options(tmp_path):
    settings = _settings(tmp_path)
    assert not storage.is_s3(settings)
    assert storage.root(settings) == str(tmp_path / "state" / "lake")
    assert storage.location(settings, "bronze", "t") == str(tmp_path / "state/lake/bronze/t")
    assert storage.sail_environment(settings) == {}
    assert storage.delta_storage_options(settings) == {}
    assert storage.hadoop_properties(settings) == {}
    assert not storage.embedded_s3(settings)


@pytest.mark.parametrize(
    ("value", "root"),
    [
        ("s3://lake", "s3://lake"),
        ("s3://lake/", "s3://lake"),
        ("s3://my-lake/a/b/", "s3://my-lake/a/b"),
    ],
)
def test_an_s3_lake_uri_is_normalised(tmp_path, value, root):
    settings = _settings(tmp_path, LAKEPULSE_LAKE_URI=value)
    assert storage.root(settings) == root
    assert storage.location(settings, "gold", "fct") == f"{root}/gold/fct"


def test_a_local_lake_uri_moves_the_lake_folder(tmp_path):
    settings = _settings(tmp_path, LAKEPULSE_LAKE_URI=f"file://{tmp_path}/elsewhere")
    assert not storage.is_s3(settings)
    assert storage.root(settings) == str(tmp_path / "elsewhere")


@pytest.mark.parametrize(
    "value", ["s3://Bad_Bucket/x", "s3://", "gs://bucket/x", "relative/path", "s3://lake/it's"]
)
def test_a_bad_lake_uri_is_a_one_line_config_error(tmp_path, value):
    with pytest.raises(ConfigError) as caught:
        _settings(tmp_path, LAKEPULSE_LAKE_URI=value)
    assert caught.value.line().startswith(f"LAKEPULSE_LAKE_URI={value!r}")


def test_a_bad_s3_endpoint_is_a_one_line_config_error(tmp_path):
    with pytest.raises(ConfigError, match="LAKEPULSE_S3_ENDPOINT"):
        _settings(tmp_path, LAKEPULSE_LAKE_URI="s3://lake", LAKEPULSE_S3_ENDPOINT="minio:9000")


def test_the_embedded_server_gets_per_install_keys_every_client_shares(tmp_path):
    settings = _settings(tmp_path, LAKEPULSE_LAKE_URI="s3://lake/p", LAKEPULSE_S3_PORT="41999")
    assert storage.embedded_s3(settings)
    key, secret = storage.embedded_credentials(settings)
    assert (key, secret) == storage.embedded_credentials(settings)  # generated once
    assert stat.S_IMODE(storage.credentials_file(settings).stat().st_mode) == 0o600
    other = _settings(tmp_path / "other", LAKEPULSE_LAKE_URI="s3://lake/p")
    assert storage.embedded_credentials(other)[1] != secret  # per installation

    sail = storage.sail_environment(settings)
    assert sail["AWS_ENDPOINT"] == "http://127.0.0.1:41999"
    assert sail["AWS_ALLOW_HTTP"] == "true"
    assert sail["AWS_VIRTUAL_HOSTED_STYLE_REQUEST"] == "false"
    assert (sail["AWS_ACCESS_KEY_ID"], sail["AWS_SECRET_ACCESS_KEY"]) == (key, secret)
    delta = storage.delta_storage_options(settings)
    assert delta["AWS_ENDPOINT_URL"] == "http://127.0.0.1:41999"
    assert (delta["AWS_ACCESS_KEY_ID"], delta["AWS_SECRET_ACCESS_KEY"]) == (key, secret)
    hadoop = storage.hadoop_properties(settings)
    assert hadoop["fs.s3.impl"] == "org.apache.hadoop.fs.s3a.S3AFileSystem"
    assert hadoop["fs.s3a.endpoint"] == "http://127.0.0.1:41999"
    assert hadoop["fs.s3a.path.style.access"] == "true"
    assert secret not in hadoop.values()  # keys go in the environment, never in a file
    assert storage.hadoop_environment(settings)["AWS_SECRET_ACCESS_KEY"] == secret
    assert storage.trino_properties(settings)["s3.endpoint"] == "http://127.0.0.1:41999"


def test_an_external_endpoint_takes_the_keys_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    settings = _settings(
        tmp_path, LAKEPULSE_LAKE_URI="s3://lake", LAKEPULSE_S3_ENDPOINT="https://s3.example.com/"
    )
    assert not storage.embedded_s3(settings)
    access = storage.s3_access(settings)
    assert access.endpoint == "https://s3.example.com" and access.region == "eu-west-1"
    assert storage.sail_environment(settings)["AWS_ALLOW_HTTP"] == "false"
    assert storage.delta_storage_options(settings)["AWS_ACCESS_KEY_ID"] == "AKIAEXAMPLE"
    assert storage.hadoop_properties(settings)["fs.s3a.connection.ssl.enabled"] == "true"
    assert not storage.credentials_file(settings).exists()


def test_weed_listens_on_loopback_with_s3_on_our_port_and_the_rest_on_free_ports(tmp_path):
    settings = _settings(tmp_path, LAKEPULSE_LAKE_URI="s3://lake/p", LAKEPULSE_S3_PORT="41998")
    command = s3.command(settings)
    argv = list(command.argv)
    assert argv[1] == "mini"
    assert {"-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-bucket=lake", "-s3.port=41998"} <= set(argv)
    assert "-master.telemetry=false" in argv and "-admin.ui=false" in argv
    others = [a.split("=", 1)[1] for a in argv if a.split("=", 1)[0][1:] in s3.OTHER_PORTS]
    assert len(others) == len(set(others)) == len(s3.OTHER_PORTS)
    assert command.env is not None
    key, secret = storage.embedded_credentials(settings)
    assert (command.env["AWS_ACCESS_KEY_ID"], command.env["AWS_SECRET_ACCESS_KEY"]) == (key, secret)
    assert secret not in " ".join(argv)  # not visible in the process list


def test_lake_files_are_listed_and_removed_through_one_interface(tmp_path):
    settings = _settings(tmp_path)
    table = storage.location(settings, "silver", "m", "20260101T000000-abcdef12")
    (tmp_path / "state/lake/silver/m/20260101T000000-abcdef12/_delta_log").mkdir(parents=True)
    (tmp_path / "state/lake/silver/m/20260101T000000-abcdef12/part-0.parquet").write_text("x")
    assert storage.exists(settings, table)
    assert storage.subfolders(settings, storage.location(settings, "silver", "m")) == [table]
    assert [size for _, size in storage.files_under(settings, table)] == [1]
    storage.remove_tree(settings, table)
    assert not storage.exists(settings, table)
    assert storage.subfolders(settings, storage.location(settings, "nothing")) == []


def test_the_metastore_fails_fast_on_s3_and_needs_nothing_for_a_local_lake(tmp_path):
    from infra.services import metastore

    assert metastore.hadoop_properties(_settings(tmp_path)) == {}
    properties = metastore.hadoop_properties(_settings(tmp_path, LAKEPULSE_LAKE_URI="s3://lake"))
    assert properties["fs.s3.impl"] == "org.apache.hadoop.fs.s3a.S3AFileSystem"
    assert properties["fs.s3a.attempts.maximum"] == "1"
