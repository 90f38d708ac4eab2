"""Hadoop S3A for JVMs that resolve `s3://` locations (the Hive Metastore; JVM Spark can reuse it).

pyspark ships Hadoop 3.5.0 (`hadoop-client-api`/`-runtime`) but no S3A. These are
hadoop-aws 3.5.0 and the AWS SDK v2 (2.35.4, the version hadoop-aws 3.5.0 is built
against) modules S3A loads, about 11 MB, instead of the 600 MB SDK bundle that
hadoop-aws depends on. Jars pyspark already has (httpclient, httpcore,
commons-codec, slf4j, commons-logging via jcl-over-slf4j) are left out.
Checked on 2026-12-02: with these and `storage.hadoop_properties`, HMS 2.3 creates
databases and tables at `s3://` locations on the embedded server.
"""

from __future__ import annotations

from pathlib import Path

from infra.downloads import Artifact, fetch, maven_url

AWS_SDK = "2.35.4"
# (group, artifact, version, sha1 of the jar on Maven Central)
JARS = (
    (
        "software.amazon.s3.analyticsaccelerator",
        "analyticsaccelerator-s3",
        "1.3.1",
        "6c9bd0f6c440c9a78e82d272f5f0252d942419f6",
    ),
    ("software.amazon.awssdk", "annotations", AWS_SDK, "0ee2f050aafed2b3b9393472a4fb35eb91c74555"),
    (
        "software.amazon.awssdk",
        "apache-client",
        AWS_SDK,
        "406c25140a3a32ccd49ba3d752096a9fe2787ba3",
    ),
    ("software.amazon.awssdk", "arns", AWS_SDK, "d915a3104773b44533bd6f618a8c7b28c2e9d8a0"),
    ("software.amazon.awssdk", "auth", AWS_SDK, "3a5f28f575d616813cad10a8db817984ed57d777"),
    ("software.amazon.awssdk", "aws-core", AWS_SDK, "2f288fa2bac08dde3e9c74950bc9a7fe04913371"),
    (
        "software.amazon.awssdk",
        "aws-query-protocol",
        AWS_SDK,
        "a4908689bc1285e192da926bd1d646d09d1d7def",
    ),
    (
        "software.amazon.awssdk",
        "aws-xml-protocol",
        AWS_SDK,
        "3a8c83d91ba7b41c29a2d84826e293ec4fa51386",
    ),
    ("software.amazon.awssdk", "checksums", AWS_SDK, "75d7256f1fa208224a3b23e2100941c0416f38a5"),
    (
        "software.amazon.awssdk",
        "checksums-spi",
        AWS_SDK,
        "36eba96eccfc87a5de204f72ad215ac362d28755",
    ),
    (
        "software.amazon.awssdk",
        "endpoints-spi",
        AWS_SDK,
        "5fd0e9e47a6fdf05ea5906ac38e0bce1268ab9f0",
    ),
    ("org.apache.hadoop", "hadoop-aws", "3.5.0", "9e594525d264c0db653c7f68da98b245f7d61ea5"),
    ("software.amazon.awssdk", "http-auth", AWS_SDK, "ffa68c5e63d0f8ee9a5788029267cc450b5617c4"),
    (
        "software.amazon.awssdk",
        "http-auth-aws",
        AWS_SDK,
        "d149f075bc7b5631754cbb1adfcd2c77aa932a1b",
    ),
    (
        "software.amazon.awssdk",
        "http-auth-spi",
        AWS_SDK,
        "8b280ce879d02d3da134e61e303d8e6c5eacc988",
    ),
    (
        "software.amazon.awssdk",
        "http-client-spi",
        AWS_SDK,
        "3995875e3b834d39d708b661142949078babc34a",
    ),
    ("software.amazon.awssdk", "identity-spi", AWS_SDK, "75e3168376548e375560e4595ba6a768458c87c1"),
    ("software.amazon.awssdk", "json-utils", AWS_SDK, "ca561bcb836814901bb8eda4089e451dcbf18024"),
    ("software.amazon.awssdk", "metrics-spi", AWS_SDK, "a2065eca2ade2adb2a937d4e671b52704cffbdc5"),
    ("software.amazon.awssdk", "profiles", AWS_SDK, "f9342cdd5f95a0d2f85bbedc3d25c3fc230beb51"),
    (
        "software.amazon.awssdk",
        "protocol-core",
        AWS_SDK,
        "54d8a6bdbe86852311b80d2a5b782995d6d7d0b7",
    ),
    (
        "org.reactivestreams",
        "reactive-streams",
        "1.0.4",
        "3864a1320d97d7b045f729a326e1e077661f31b7",
    ),
    ("software.amazon.awssdk", "regions", AWS_SDK, "83ab2f31cd9932dc274aa418cd4cbd761cbca3c8"),
    ("software.amazon.awssdk", "retries", AWS_SDK, "02117c396b14d7db6c4b88d5c32b8380640a7bd0"),
    ("software.amazon.awssdk", "retries-spi", AWS_SDK, "22196f00e2560aa9c74b6a74f62b8bd51a4b94b6"),
    ("software.amazon.awssdk", "s3", AWS_SDK, "cc6cd77617d73cf9084d021e2693863bede49a4d"),
    (
        "software.amazon.awssdk",
        "s3-transfer-manager",
        AWS_SDK,
        "6e4f2e5072fbc8551940eeed15220ddd11c684b2",
    ),
    ("software.amazon.awssdk", "sdk-core", AWS_SDK, "7de70ccba4959d32e7a2ec549d312378413d36c9"),
    (
        "software.amazon.awssdk",
        "third-party-jackson-core",
        AWS_SDK,
        "980758655bc742236478439d753c634858846d1c",
    ),
    ("software.amazon.awssdk", "utils", AWS_SDK, "8bf086b3b751b058fa62e7f0398d94db7295ebbe"),
    ("software.amazon.awssdk", "utils-lite", AWS_SDK, "148d6b8801d9696c4cffff306dfdd3b96781af24"),
)


def artifacts() -> list[Artifact]:
    return [
        Artifact(
            name=f"{group}/{artifact}-{version}.jar",
            url=maven_url(group, artifact, version),
            digest=sha1,
        )
        for group, artifact, version, sha1 in JARS
    ]


def classpath() -> list[Path]:
    """The S3A jars in the per-user cache, downloaded and verified on first use."""
    return [fetch(artifact) for artifact in artifacts()]
