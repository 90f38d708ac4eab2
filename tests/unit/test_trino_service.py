"""The Trino service without a server: JDK discovery from `release` files, what is unpacked,
its catalogs, and the one-line errors of a missing or corrupt archive."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.errors import ServiceError
from infra.services import catalog, trino
from infra.services.java import find_jdk, release_major
from infra.settings import Settings


def fake_jdk(root: Path, name: str, version: str) -> Path:
    home = root / name
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "java").write_text("#!/bin/sh\n")
    (home / "release").write_text(f'IMPLEMENTOR="x"\nJAVA_VERSION="{version}"\n')
    return home


def test_release_major_reads_the_feature_version(tmp_path):
    assert release_major(fake_jdk(tmp_path, "a", "25.0.3")) == 25
    assert release_major(fake_jdk(tmp_path, "b", "1.8.0_392")) == 8
    assert release_major(tmp_path / "missing") is None


def test_find_jdk_takes_the_newest_new_enough_jdk_and_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("X_JAVA_HOME", raising=False)
    fake_jdk(tmp_path, "java-17", "17.0.15")
    fake_jdk(tmp_path, "temurin-24", "24.0.1")
    newest = fake_jdk(tmp_path, "temurin-25", "25.0.3")
    found = find_jdk(24, override_env="X_JAVA_HOME", needed_by="Trino", root=tmp_path)
    assert found == newest / "bin" / "java"
    with pytest.raises(ServiceError) as error:
        find_jdk(26, override_env="X_JAVA_HOME", needed_by="Trino 476", root=tmp_path)
    assert "Trino 476 needs Java 26 or newer" in error.value.line()
    assert "java-17 (Java 17)" in error.value.line() and "X_JAVA_HOME" in error.value.line()
    monkeypatch.setenv("X_JAVA_HOME", str(tmp_path / "java-17"))
    with pytest.raises(ServiceError, match="X_JAVA_HOME=.*Java 17"):
        find_jdk(24, override_env="X_JAVA_HOME", needed_by="Trino", root=tmp_path)


def test_only_the_core_and_the_needed_plugins_are_unpacked():
    top = f"trino-server-{trino.VERSION}"
    assert trino._wanted(f"{top}/lib/io.trino_trino-main.jar") == "lib/io.trino_trino-main.jar"
    assert trino._wanted(f"{top}/bin/launcher") == "bin/launcher"
    assert trino._wanted(f"{top}/plugin/delta-lake/x.jar") == "plugin/delta-lake/x.jar"
    assert trino._wanted(f"{top}/plugin/postgresql/x.jar") == "plugin/postgresql/x.jar"
    assert trino._wanted(f"{top}/plugin/hive/x.jar") is None
    assert trino._wanted(f"{top}/plugin/iceberg/x.jar") is None


def test_catalogs_point_at_this_stack_and_read_the_source_read_only(tmp_path):
    settings = Settings.from_env(
        {
            "LAKEPULSE_HOME": str(tmp_path),
            "LAKEPULSE_HMS_PORT": "19999",
            "LAKEPULSE_PG_PORT": "15999",
        }
    )
    catalogs = trino.catalog_properties(settings)
    assert set(catalogs) == {"lake", "source", "memory"}
    assert catalogs["lake"]["connector.name"] == "delta_lake"
    assert catalogs["lake"]["hive.metastore.uri"] == "thrift://127.0.0.1:19999"
    assert catalogs["source"]["connection-url"].endswith("127.0.0.1:15999/wwi")
    assert catalogs["source"]["connection-user"] == "lakepulse_reader"
    assert catalog.get("trino").port == "trino"
    assert "trino" not in {s.name for s in catalog.select()}  # not in the default `up`


def test_a_corrupt_or_missing_archive_is_one_line_with_the_fix(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    served = mirror / trino.ARCHIVE.url.split("/maven2/", 1)[1]
    served.parent.mkdir(parents=True)
    served.write_bytes(b"not the archive")
    monkeypatch.setenv("LAKEPULSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("LAKEPULSE_MAVEN_URL", mirror.as_uri())
    archive = trino.downloads.Artifact(
        trino.ARCHIVE.name,
        trino.downloads.maven_url("io.trino", "trino-server", trino.VERSION, "tar.gz"),
        trino.ARCHIVE.digest,
    )
    monkeypatch.setattr(trino, "ARCHIVE", archive)
    with pytest.raises(ServiceError) as corrupt:
        trino.install(progress=False)
    assert "sha1" in corrupt.value.line() and "\n" not in corrupt.value.line()
    assert not list((tmp_path / "cache").rglob("*.tar.gz"))  # never kept
    served.unlink()
    with pytest.raises(ServiceError) as missing:
        trino.install(progress=False)
    assert "cannot download" in missing.value.line()
    assert "LAKEPULSE_MAVEN_URL" in missing.value.line()
