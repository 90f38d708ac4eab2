"""The Hive Metastore (Derby backed) started from the Hive 2.3 jars inside pyspark."""

from __future__ import annotations

from pathlib import Path
from string import Template

import pyspark

from infra.services import process
from infra.services.java import java_binary
from infra.settings import Settings

NAME = "metastore"
PORT_ENV = "LAKEPULSE_HMS_PORT"
TEMPLATE = Path(__file__).resolve().parent.parent / "conf" / "hive-site.xml.tmpl"


def home(settings: Settings) -> Path:
    return settings.data_dir / "metastore"


def pid_file(settings: Settings) -> Path:
    return settings.run_dir / "metastore.pid"


def log_file(settings: Settings) -> Path:
    return settings.log_dir / "metastore.log"


def _write_conf(settings: Settings) -> Path:
    conf = home(settings) / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    text = Template(TEMPLATE.read_text()).substitute(
        derby_dir=home(settings) / "metastore_db",
        warehouse_dir=settings.lake_dir / "warehouse",
    )
    (conf / "hive-site.xml").write_text(text)
    return conf


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


def marker(settings: Settings) -> str:
    return str(home(settings) / "conf")


def start(settings: Settings) -> int:
    java_binary()  # fail early with the fix when Java is missing
    _write_conf(settings)
    return process.spawn(
        argv(settings),
        pid_file=pid_file(settings),
        log_file=log_file(settings),
        marker=marker(settings),
        cwd=home(settings),
    )


def healthy(settings: Settings) -> bool:
    return process.port_open(settings.ports.metastore)


def stop(settings: Settings) -> bool:
    return process.stop(pid_file(settings))
