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
S3A_FAIL_FAST = {
    "fs.s3a.retry.limit": "1",
    "fs.s3a.retry.interval": "500ms",
    "fs.s3a.attempts.maximum": "1",
    "fs.s3a.connection.establish.timeout": "5s",
    "fs.s3a.connection.timeout": "30s",
}
"""HMS only checks and creates folders: when S3 is down it must answer with an error in
seconds, not after S3A's default retries (minutes, during which Sail waits on the call)."""
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
        for name, value in hadoop_properties(settings).items()
    )
    text = Template(TEMPLATE.read_text()).substitute(
        derby_dir=home(settings) / "metastore_db",
        warehouse_dir=storage.location(settings, "warehouse"),
        extra_properties=properties,
    )
    (conf / "hive-site.xml").write_text(text)


def hadoop_properties(settings: Settings) -> dict[str, str]:
    """The lake's Hadoop properties (S3A for an S3 lake), failing fast when S3 is down."""
    properties = storage.hadoop_properties(settings)
    return {**properties, **S3A_FAIL_FAST} if properties else {}


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
