"""Validation reports: what a file (or API pull) delivered, what landed, what did not and why.

Saved as `<name>.report.json` and `<name>.report.md` next to the archived or
rejected file, and found again by batch id or file name (`lakepulse report`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypedDict

from infra.errors import ConfigError
from ingestion.files.reasons import Reason

EXAMPLES_PER_REASON = 3


class Example(TypedDict):
    """One quarantined row shown for a reason: its number, what it did, its raw text (cut)."""

    row: int
    detail: str
    raw: str


@dataclass
class IngestReport:
    """What one file (or API pull) delivered, what landed, what did not and why."""

    batch_id: str
    dataset: str
    table: str
    source: str
    """The file name, or the API URL."""
    sha256: str | None = None
    status: str = "landed"
    """landed | rejected | duplicate."""
    rejected_reason: str | None = None
    duplicate_of: str | None = None
    size_bytes: int = 0
    compression: str | None = None
    encoding: str | None = None
    bom: bool = False
    detected_encoding: str | None = None
    undecodable_bytes: int = 0
    format: str | None = None
    delimiter: str | None = None
    quotechar: str | None = None
    header: list[str] | None = None
    line_endings: dict[str, int] = field(default_factory=dict)
    schema_drift: list[str] = field(default_factory=list)
    rows_read: int = 0
    landed: int = 0
    quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[Example]] = field(default_factory=dict)
    started_at: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    location: str | None = None
    """Where the file (and this report) were kept."""

    def count_reasons(self, row_number: int, reasons: list[Reason], raw: str) -> None:
        """Count a quarantined row under each of its reasons (keeping a few examples)."""
        for reason in reasons:
            self.reasons[reason.kind] = self.reasons.get(reason.kind, 0) + 1
            examples = self.examples.setdefault(reason.kind, [])
            if len(examples) < EXAMPLES_PER_REASON:
                examples.append(
                    Example(
                        row=row_number,
                        detail=reason.detail,
                        raw=raw[:200] + ("…" if len(raw) > 200 else ""),
                    )
                )

    @property
    def balanced(self) -> bool:
        """The accounting rule: landed + quarantined = rows read (or the file was rejected)."""
        if self.status != "landed":
            return self.landed == 0 and self.quarantined == 0
        return self.landed + self.quarantined == self.rows_read

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "balanced": self.balanced}, indent=2, default=str)

    def to_markdown(self) -> str:
        lines = [f"# Ingestion report: {self.source}", ""]
        rows = [
            ("batch", self.batch_id),
            ("dataset", f"{self.dataset} → bronze.{self.table}"),
            (
                "status",
                self.status
                + (f" ({self.rejected_reason})" if self.rejected_reason else "")
                + (f" (same content as batch {self.duplicate_of})" if self.duplicate_of else ""),
            ),
            ("sha256", self.sha256 or "-"),
            (
                "size",
                f"{self.size_bytes:,} bytes"
                + (f", {self.compression}" if self.compression else ""),
            ),
            (
                "encoding",
                (self.encoding or "-")
                + (" with BOM" if self.bom else "")
                + (
                    f" (content looks like {self.detected_encoding})"
                    if self.detected_encoding
                    else ""
                ),
            ),
            (
                "format",
                (self.format or "-")
                + (f", delimiter {self.delimiter!r}" if self.delimiter else ""),
            ),
            ("line endings", ", ".join(f"{k} {v:,}" for k, v in self.line_endings.items()) or "-"),
            ("rows read", f"{self.rows_read:,}"),
            ("landed", f"{self.landed:,}"),
            ("quarantined", f"{self.quarantined:,}"),
            ("accounting", "landed + quarantined = read" if self.balanced else "UNBALANCED"),
            ("time", f"{self.seconds:.2f}s from {self.started_at}"),
        ]
        lines += ["| field | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), ""]
        if self.undecodable_bytes:
            lines += [
                f"{self.undecodable_bytes:,} undecodable byte(s) in the declared encoding; "
                "their rows are quarantined with the byte offsets.",
                "",
            ]
        if self.schema_drift:
            lines += ["## Schema drift", "", *(f"- {d}" for d in self.schema_drift), ""]
        if self.reasons:
            lines += [
                "## Quarantine reasons",
                "",
                "| reason | rows | examples (row: detail) |",
                "|---|---:|---|",
            ]
            for reason, count in sorted(self.reasons.items(), key=lambda kv: -kv[1]):
                examples = "<br>".join(
                    f"{e['row']}: {_cell(e['detail'])}" for e in self.examples.get(reason, [])
                )
                lines.append(f"| {reason} | {count:,} | {examples} |")
            lines.append("")
        if self.notes:
            lines += ["## Notes", "", *(f"- {n}" for n in self.notes), ""]
        return "\n".join(lines)

    def save(self, folder: Path, stem: str) -> Path:
        """Write `<stem>.report.md` and `<stem>.report.json` in folder; the JSON's path."""
        folder.mkdir(parents=True, exist_ok=True)
        self.location = str(folder)
        (folder / f"{stem}.report.md").write_text(self.to_markdown(), encoding="utf-8")
        path = folder / f"{stem}.report.json"
        path.write_text(self.to_json(), encoding="utf-8")
        return path


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def load(path: Path) -> dict[str, object]:
    """A saved report as the mapping its JSON holds."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not an ingestion report", hint="pass a *.report.json file")
    return data


def find_reports(roots: list[Path], key: str) -> list[Path]:
    """Reports whose batch id, file name or path is key (newest first)."""
    candidate = Path(key)
    if candidate.name.endswith(".report.json") and candidate.is_file():
        return [candidate]
    found = []
    for root in roots:
        if not root.is_dir():
            continue
        for path in root.rglob("*.report.json"):
            stem = path.name.removesuffix(".report.json")
            if key in (path.parent.name, stem) or str(candidate) == str(path.parent / stem):
                found.append(path)
    # the report of the ingestion itself before later "already ingested" notes
    return sorted(
        found, key=lambda p: (load(p).get("status") != "duplicate", p.stat().st_mtime), reverse=True
    )
