"""Portability checks of the dbt project: Trino compile + parse offline, sqlfluff in both dialects.

No Trino server is needed: `dbt compile --target trino --no-populate-cache`
with `offline_compile` set (so is_incremental() answers from config), then
every compiled file must parse as Trino SQL (sqlglot, read="trino").
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
from sqlglot.errors import ParseError

from flows.dbt_runner import DBT_PROJECT_DIR, REPO_ROOT, dbt_env, run_dbt
from infra.errors import ConfigError
from infra.settings import Settings

TRINO_TARGET_PATH = "target/trino"
LINT_DIALECTS = ("sparksql", "trino")


@dataclass
class TrinoCheck:
    compiled: list[Path] = field(default_factory=list)
    failures: dict[Path, str] = field(default_factory=dict)
    compile_output: str = ""
    compile_ok: bool = False

    @property
    def ok(self) -> bool:
        return self.compile_ok and bool(self.compiled) and not self.failures


def parse_trino_sql(sql: str) -> str | None:
    """None when sql parses as Trino SQL, else the parser's first error line."""
    try:
        statements = sqlglot.parse(sql, read="trino", error_level=sqlglot.ErrorLevel.RAISE)
    except ParseError as exc:
        return str(exc).splitlines()[0]
    if not any(statement is not None for statement in statements):
        return "no SQL statement found"
    return None


def check_trino(settings: Settings) -> TrinoCheck:
    result = TrinoCheck()
    proc = run_dbt(
        [
            "compile",
            "--no-populate-cache",
            "--vars",
            "{offline_compile: true}",
            "--target-path",
            TRINO_TARGET_PATH,
        ],
        settings,
        target="trino",
        capture=True,
    )
    result.compile_output = proc.stdout + proc.stderr
    result.compile_ok = proc.returncode == 0
    compiled_dir = DBT_PROJECT_DIR / TRINO_TARGET_PATH / "compiled"
    if not result.compile_ok or not compiled_dir.exists():
        return result
    for path in sorted(compiled_dir.rglob("*.sql")):
        result.compiled.append(path)
        error = parse_trino_sql(path.read_text())
        if error:
            result.failures[path] = error
    return result


def check_dialects(dialects: list[str]) -> list[str]:
    """`dialects` when each is one sqlfluff_lint knows; ConfigError naming the first that is not."""
    for dialect in dialects:
        if dialect not in LINT_DIALECTS:
            raise ConfigError(
                f"unknown SQL dialect {dialect!r}", hint=f"use {' or '.join(LINT_DIALECTS)}"
            )
    return dialects


def sqlfluff_lint(settings: Settings, dialect: str, paths: list[str] | None = None) -> int:
    """Run sqlfluff over the models: `sparksql` via the dbt templater, `trino` via jinja."""
    argv = [str(Path(sys.executable).parent / "sqlfluff"), "lint"]
    if dialect == "trino":
        # lint what Trino would run: the project compiled for the trino target
        compiled = check_trino(settings)
        if not compiled.compile_ok:
            print(compiled.compile_output[-3000:])
            return 1
        argv += ["--config", str(REPO_ROOT / ".sqlfluff-trino")]
        paths = paths or [  # models only: dbt's generic tests compile into <yml name>/ folders
            str(p)
            for p in compiled.compiled
            if "/models/" in str(p) and not p.parent.name.endswith(".yml")
        ]
    else:
        check_dialects([dialect])
    argv += paths or ["dbt_project/models", "dbt_project/snapshots", "dbt_project/tests"]
    argv = [a for a in argv if not a.startswith("dbt_project/") or (REPO_ROOT / a).exists()]
    target = "trino" if dialect == "trino" else "local"
    return subprocess.run(argv, cwd=REPO_ROOT, env=dbt_env(settings, target)).returncode
