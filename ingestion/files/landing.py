"""The file folders of a state directory: which files to ingest, their contract, where they go.

`<home>/files/landing/` receives files (a sub-folder named after a dataset
assigns its files to that dataset); after ingestion a file moves to
`archive/<dataset>/<batch>/` or `rejected/<dataset>/<batch>/` with its reports.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from infra.errors import ConfigError
from infra.settings import Settings
from ingestion.files.contract import Contract

UNMATCHED = "_unmatched"
"""The dataset folder of files no contract matches."""


@dataclass(frozen=True)
class Folders:
    landing: Path
    archive: Path
    rejected: Path

    @classmethod
    def of(cls, settings: Settings) -> Folders:
        root = settings.home / "files"
        return cls(root / "landing", root / "archive", root / "rejected")

    def holds(self, path: Path) -> bool:
        """The file was dropped in the landing folder (so it is moved, not copied)."""
        return path.resolve().is_relative_to(self.landing.resolve())

    def create(self) -> None:
        for folder in (self.landing, self.archive, self.rejected):
            folder.mkdir(parents=True, exist_ok=True)

    def keep(self, path: Path, destination: Path) -> Path:
        """Move a landed file into its batch folder (copy it when it lives outside landing)."""
        destination.mkdir(parents=True, exist_ok=True)
        target = destination / path.name
        if self.holds(path):
            shutil.move(str(path), target)
        else:
            shutil.copy2(path, target)
        return target


def _is_report(path: Path) -> bool:
    return path.name.endswith((".report.json", ".report.md")) or path.name.startswith(".")


def pending(folders: Folders, paths: Iterable[Path]) -> list[Path]:
    """The files to ingest: the given files and folders, or everything in the landing folder."""
    chosen = list(paths) or [folders.landing]
    files: list[Path] = []
    for path in chosen:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and not _is_report(p))
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(f"{path} does not exist", hint="pass a file or folder to ingest")
    return files


def contract_for(
    path: Path, folders: Folders, contracts: dict[str, Contract], dataset: str | None
) -> Contract | None:
    """The contract of a file: the one named `dataset`, else its landing sub-folder's, else
    the first whose `files` pattern matches its name (None: no contract matches)."""
    if dataset:
        if dataset not in contracts:
            raise ConfigError(
                f"no contract named {dataset!r}",
                hint=f"choose one of {', '.join(sorted(contracts))} or add "
                f"ingestion/contracts/{dataset}.yml",
            )
        return contracts[dataset]
    # a file in landing/<dataset>/ belongs to that dataset; otherwise match file patterns
    if path.parent != folders.landing and path.parent.name in contracts:
        return contracts[path.parent.name]
    return next((c for c in contracts.values() if c.matches(path.name)), None)
