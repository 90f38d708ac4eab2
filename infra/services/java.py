"""Finding a Java 17+ runtime for the Hive Metastore."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from infra.errors import ServiceError

FIX = "install OpenJDK 17 (apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME"


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
