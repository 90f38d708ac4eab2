"""sqlfluff's Spark SQL lint (dbt templater) with no running stack.

The dbt templater compiles the project, which needs a Spark Connect endpoint to
answer. This starts an in-process Sail server on a free loopback port, points the
`local` dbt target at it, runs `sqlfluff lint` on the given paths (default: the
dbt project's models, snapshots and tests) and stops the server. Used by the
pre-commit hook; `lakepulse lint` does the same against the running stack.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from pysail.spark import SparkConnectServer

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PATHS = ["dbt_project/models", "dbt_project/snapshots", "dbt_project/tests"]


def main(paths: list[str]) -> int:
    server = SparkConnectServer(ip="127.0.0.1", port=0)
    server.start(background=True)
    _, port = server.listening_address
    with tempfile.TemporaryDirectory(prefix="lakepulse-lint-") as lake:
        env = {
            **os.environ,
            "LAKEPULSE_SAIL_PORT": str(port),
            "LAKEPULSE_DBT_TARGET": "local",
            "LAKEPULSE_LAKE": lake,
            "DBT_PROFILES_DIR": str(REPO / "profiles"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        try:
            command = [sys.executable, "-m", "sqlfluff", "lint", *(paths or DEFAULT_PATHS)]
            return subprocess.call(command, cwd=REPO, env=env)
        finally:
            server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
