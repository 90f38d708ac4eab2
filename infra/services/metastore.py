"""The Hive Metastore (Derby backed) started from the Hive 2.3 jars inside pyspark."""

from __future__ import annotations

from pathlib import Path
from string import Template

import pyspark

from infra.services import supervisor
from infra.services.java import java_binary
from infra.settings import Settings

NAME = "metastore"
TEMPLATE = Path(__file__).resolve().parent.parent / "conf" / "hive-site.xml.tmpl"


def home(settings: Settings) -> Path:
    return settings.data_dir / "metastore"


def setup(settings: Settings) -> None:
    """Check for Java (failing early with the fix) and write hive-site.xml."""
    java_binary()
    conf = home(settings) / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    text = Template(TEMPLATE.read_text()).substitute(
        derby_dir=home(settings) / "metastore_db",
        warehouse_dir=settings.lake_dir / "warehouse",
    )
    (conf / "hive-site.xml").write_text(text)


def argv(settings: Settings) -> list[str]:
    jars = Path(pyspark.__file__).parent / "jars"
    conf = home(settings) / "conf"
    return [
        str(java_binary()),
        "-Xmx768m",
        "-Dhive.async.log.enabled=false",
        f"-Dderby.stream.error.file={settings.log_dir / 'derby.log'}",
        "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-opens=java.base/java.net=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED",
        "-cp",
        f"{conf}:{jars}/*",
        "org.apache.hadoop.hive.metastore.HiveMetaStore",
        "-p",
        str(settings.ports.metastore),
    ]


def command(settings: Settings) -> supervisor.Command:
    return supervisor.Command(argv(settings), cwd=home(settings))


def healthy(settings: Settings) -> bool:
    return supervisor.port_open(settings.ports.metastore)
