"""The Hive Metastore (Derby backed) started from the Hive 2.3 jars inside pyspark.

HMS resolves database and table locations through Hadoop's FileSystem (it creates
the folder of a new database or table): for an S3 lake it gets the S3A jars
(infra.services.hadoop_s3) on its classpath, the S3A properties from
infra.storage in hive-site.xml, and the keys in its environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from string import Template
from xml.sax.saxutils import escape

import pyspark

from infra import storage
from infra.services import hadoop_s3, supervisor
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
    if storage.is_s3(settings):
        hadoop_s3.classpath()  # download (once per user) before the start is timed
    properties = "".join(
        f"  <property><name>{escape(name)}</name><value>{escape(value)}</value></property>\n"
        for name, value in storage.hadoop_properties(settings).items()
    )
    text = Template(TEMPLATE.read_text()).substitute(
        derby_dir=home(settings) / "metastore_db",
        warehouse_dir=storage.location(settings, "warehouse"),
        extra_properties=properties,
    )
    (conf / "hive-site.xml").write_text(text)


def argv(settings: Settings) -> list[str]:
    jars = Path(pyspark.__file__).parent / "jars"
    conf = home(settings) / "conf"
    extra = [str(jar) for jar in hadoop_s3.classpath()] if storage.is_s3(settings) else []
    return [
        str(java_binary()),
        "-Xmx768m",
        "-Dhive.async.log.enabled=false",
        f"-Dderby.stream.error.file={settings.log_dir / 'derby.log'}",
        "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-opens=java.base/java.net=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED",
        "-cp",
        ":".join([str(conf), f"{jars}/*", *extra]),
        "org.apache.hadoop.hive.metastore.HiveMetaStore",
        "-p",
        str(settings.ports.metastore),
    ]


def command(settings: Settings) -> supervisor.Command:
    env = dict(os.environ)
    env.update(storage.hadoop_environment(settings))
    return supervisor.Command(argv(settings), env=env, cwd=home(settings))


def healthy(settings: Settings) -> bool:
    return supervisor.port_open(settings.ports.metastore)
