"""The repository documents itself: docs link to files that exist, nothing points outside the
repository, and the developer tooling works from a fresh clone (no local venv paths)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_relative_links_resolve_inside_the_repository(doc: Path) -> None:
    for target in LINK.findall(doc.read_text()):
        if re.match(r"^[a-z]+://", target):
            continue
        resolved = (doc.parent / target).resolve()
        assert resolved.is_relative_to(REPO), f"{doc.name} links outside the repo: {target}"
        assert resolved.exists(), f"{doc.name} links to a missing file: {target}"


@pytest.mark.parametrize(
    "path", [*DOCS, REPO / "pyproject.toml", REPO / "Makefile"], ids=lambda p: p.name
)
def test_nothing_points_outside_the_repository(path: Path) -> None:
    text = path.read_text()
    assert "../shared" not in text and "shared/design.md" not in text, path.name


def test_the_docs_a_newcomer_needs_exist_and_the_readme_links_them() -> None:
    readme = (REPO / "README.md").read_text()
    for name in ("architecture", "adding-a-source", "adding-a-model", "operations"):
        assert (REPO / "docs" / f"{name}.md").is_file(), name
        assert f"docs/{name}.md" in readme, name
    assert "```mermaid" in (REPO / "docs" / "architecture.md").read_text()


def test_pre_commit_hooks_need_no_local_virtualenv() -> None:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert {h["id"] for h in hooks} >= {"ruff-format", "ruff-check", "dbt-parse"}
    assert any("sqlfluff" in h["id"] for h in hooks)
    for hook in hooks:
        assert ".venv" not in hook["entry"], hook["id"]
        assert hook["language"] != "system", f"{hook['id']} relies on the local environment"


def test_no_generated_or_user_files_are_tracked() -> None:
    import subprocess

    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    generated = [
        path
        for path in tracked
        if path.endswith((".user.yml", ".pyc"))
        or path.startswith(("dbt_project/target/", "dbt_project/logs/", ".lakepulse/"))
        or "/__pycache__/" in path
    ]
    assert generated == []
