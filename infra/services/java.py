"""Finding Java runtimes: Java 17+ for the Hive Metastore, a newer JDK for Trino."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from infra.errors import ServiceError

FIX = "install OpenJDK 17 (apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME"
JVM_ROOT = Path("/usr/lib/jvm")


def java_binary() -> Path:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        candidate = Path(java_home) / "bin" / "java"
    else:
        found = shutil.which("java")
        if not found:
            raise ServiceError(f"Java not found (needed by the Hive Metastore): {FIX}")
        candidate = Path(found)
    out = subprocess.run([str(candidate), "-version"], capture_output=True, text=True)
    match = re.search(r'version "(\d+)', out.stderr + out.stdout)
    if not match or int(match.group(1)) < 17:
        raise ServiceError(f"{candidate} is not Java 17 or newer: {FIX}")
    return candidate


def release_major(java_home: Path) -> int | None:
    """The feature version (25 for "25.0.3", 8 for "1.8.0") in a JDK's `release` file."""
    try:
        text = (java_home / "release").read_text(errors="replace")
    except OSError:
        return None
    match = re.search(r'^JAVA_VERSION="([0-9.]+)', text, re.MULTILINE)
    if not match:
        return None
    parts = [int(p) for p in match.group(1).split(".") if p.isdigit()]
    if not parts:
        return None
    return parts[1] if parts[0] == 1 and len(parts) > 1 else parts[0]


def find_jdk(minimum: int, *, override_env: str, needed_by: str, root: Path = JVM_ROOT) -> Path:
    """The java binary of the newest JDK of at least `minimum` under `root` (or `override_env`).

    Reads each JDK's `release` file (JAVA_VERSION), never a hard-coded version.
    """
    hint = f"install a JDK {minimum} or newer (e.g. Temurin) under {root} or set {override_env}"
    override = os.environ.get(override_env)
    if override:
        homes = [Path(override).expanduser()]
    else:
        homes = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    found: list[tuple[int, Path]] = []
    for home in homes:
        major = release_major(home)
        if major is not None and (home / "bin" / "java").exists():
            found.append((major, home))
    usable = [(major, home) for major, home in found if major >= minimum]
    if usable:
        return max(usable)[1] / "bin" / "java"
    seen = ", ".join(f"{home} (Java {major})" for major, home in found) or "none"
    where = f"{override_env}={override}" if override else str(root)
    raise ServiceError(f"{needed_by} needs Java {minimum} or newer; {where} has {seen}", hint=hint)
