"""JVM Spark: a Spark 4.2 Spark Connect server with Delta Lake, on the stack's Hive Metastore.

The server runs from the jars inside the `pyspark` wheel (Spark 4.2 with Spark Connect
and Hive support) plus the Delta Lake jars for Spark 4.2, pinned here by their Maven
Central sha1 and downloaded once per user (`infra.downloads`). It is started with plain
`java` (not `spark-submit`, whose launcher execs a different command line than the one
the supervisor records) and binds 127.0.0.1 only: Spark Connect's gRPC port, the driver
and block manager; the web UI is off.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyspark

from infra import downloads
from infra.services import engine_catalog, supervisor
from infra.services.java import java_binary
from infra.settings import Settings

NAME = "spark"
DELTA_VERSION = "4.4.0"
"""Delta Lake for Spark 4.2 (`io.delta:delta-spark_4.2_2.13`; 4.4.1 is not published for it)."""
HEAP = "2g"
SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


def _jar(group: str, artifact: str, version: str, sha1: str) -> downloads.Artifact:
    return downloads.Artifact(
        name=f"spark-jars/{artifact}-{version}.jar",
        url=downloads.maven_url(group, artifact, version),
        digest=sha1,
    )


# What `io.delta:delta-spark_4.2_2.13:4.4.0` needs beyond pyspark/jars (its compile
# dependencies that Spark does not ship; everything else it names — Scala, Hadoop, Parquet,
# Jackson, RoaringBitmap, zstd — is already there in the versions Spark 4.2 uses).
# sha1 as published beside each jar on Maven Central.
JARS = (
    _jar(
        "io.delta",
        "delta-spark_4.2_2.13",
        DELTA_VERSION,
        "c2ab26421b8de44a2161b5e0b7da7954049f1ca1",
    ),
    _jar("io.delta", "delta-storage", DELTA_VERSION, "a068e489ce20d7f79bc4ca2d3392f12adbb69ddd"),
    _jar("io.delta", "delta-kernel-api", DELTA_VERSION, "58b895b7000ed3d67551c30f1c83a39be11f590e"),
    _jar(
        "io.delta",
        "delta-kernel-defaults",
        DELTA_VERSION,
        "13f676570d3c8f2650c3e9a3142530c24720327f",
    ),
    _jar(
        "io.delta",
        "delta-kernel-unitycatalog",
        DELTA_VERSION,
        "4f5d11adea096407d41eb7e127c7911b027fdebf",
    ),
    _jar(
        "io.unitycatalog",
        "unitycatalog-client",
        "0.6.0",
        "ff00daaa50d591bbae9a94c200e2c0d23372b5f0",
    ),
    _jar(
        "io.unitycatalog",
        "unitycatalog-hadoop",
        "0.6.0",
        "197bbc873cf0ad806b70896b607cc95e8c52e68b",
    ),
)

# The module options Spark's launcher adds on Java 17+ (what `spark-submit` runs, printed
# with SPARK_PRINT_LAUNCH_COMMAND=1 for pyspark 4.2.0).
JAVA_OPTIONS = (
    "-XX:+IgnoreUnrecognizedVMOptions",
    "--add-modules=jdk.incubator.vector",
    *(
        f"--add-opens=java.base/{package}=ALL-UNNAMED"
        for package in (
            "java.lang",
            "java.lang.invoke",
            "java.lang.reflect",
            "java.io",
            "java.net",
            "java.nio",
            "java.util",
            "java.util.concurrent",
            "java.util.concurrent.atomic",
            "jdk.internal.ref",
            "sun.nio.ch",
            "sun.nio.cs",
            "sun.security.action",
            "sun.util.calendar",
        )
    ),
    "--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dderby.connection.requireAuthentication=false",
)

LOG4J = """\
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
logger.connect.name = org.apache.spark.sql.connect.service
logger.connect.level = info
"""


def workdir(settings: Settings) -> Path:
    return settings.data_dir / NAME


def spark_home() -> Path:
    """The pyspark package: its `jars/` is a Spark 4.2 distribution's."""
    return Path(pyspark.__file__).resolve().parent


def conf(settings: Settings) -> dict[str, str]:
    """The server's Spark configuration: Delta, the Hive Metastore, loopback only, UTC."""
    return {
        "spark.master": "local[2]",
        "spark.app.name": "lakepulse-spark-connect",
        "spark.submit.deployMode": "client",
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(settings.ports.spark),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.enabled": "false",
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.catalogImplementation": "hive",
        "spark.hadoop.hive.metastore.uris": settings.metastore_uri,
        "spark.sql.warehouse.dir": str(settings.lake_dir / "warehouse"),
        "spark.sql.session.timeZone": "UTC",
        # small embedded data on 2 cores: few shuffle partitions, Delta log state in one
        "spark.sql.shuffle.partitions": "4",
        "spark.databricks.delta.snapshotPartitions": "1",
        "spark.local.dir": str(workdir(settings) / "tmp"),
    }


def setup(settings: Settings) -> None:
    """Check for Java, fetch the Delta jars into the user cache, write the log config."""
    java_binary()
    for jar in JARS:
        downloads.fetch(jar)
    (workdir(settings) / "conf").mkdir(parents=True, exist_ok=True)
    (workdir(settings) / "tmp").mkdir(parents=True, exist_ok=True)
    (workdir(settings) / "conf" / "log4j2.properties").write_text(LOG4J)


def argv(settings: Settings) -> list[str]:
    classpath = [
        str(workdir(settings) / "conf"),
        f"{spark_home() / 'jars'}/*",
        *(str(jar.path) for jar in JARS),
    ]
    spark_conf = [
        arg for key, value in conf(settings).items() for arg in ("--conf", f"{key}={value}")
    ]
    return [
        str(java_binary()),
        f"-Xmx{HEAP}",
        *JAVA_OPTIONS,
        "-cp",
        ":".join(classpath),
        "org.apache.spark.deploy.SparkSubmit",
        "--class",
        SERVER_CLASS,
        *spark_conf,
        "spark-internal",
    ]


def command(settings: Settings) -> supervisor.Command:
    env = dict(os.environ)
    env.update(SPARK_HOME=str(spark_home()), SPARK_LOCAL_IP="127.0.0.1")
    return supervisor.Command(argv(settings), env=env, cwd=workdir(settings))


def healthy(settings: Settings) -> bool:
    return supervisor.port_open(settings.ports.spark)


def create_layer_databases(settings: Settings) -> None:
    engine_catalog.create_layer_databases(settings, "spark", log=settings.log_file(NAME))
