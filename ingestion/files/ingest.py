"""Ingest landed files into Bronze: one batch per file, every row landed or quarantined.

Per file, in order: content hash (the same content is never ingested twice),
decompression (gzip), encoding detection, format and dialect detection, parse,
contract validation and type coercion, then valid rows to the dataset's Bronze
table and invalid rows to `bronze.ingest_quarantine`. The file then moves to
`<home>/files/archive/<dataset>/<batch>/` (or `rejected/` when the file as a
whole cannot be read) with its JSON and Markdown reports beside it.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from infra.errors import ConfigError
from infra.settings import Settings
from ingestion.bronze.records import Origin, RecordStore, ingest_lock
from ingestion.files import encoding, parse
from ingestion.files.contract import Contract, load_contracts
from ingestion.files.reasons import Reason
from ingestion.files.report import IngestReport
from ingestion.files.validate import validate

CHUNK_ROWS = int(os.environ.get("LAKEPULSE_FILE_CHUNK_ROWS") or 100_000)
"""Rows per Delta commit within one file (a crash mid-file is undone on the next attempt)."""
UNMATCHED = "_unmatched"
Progress = Callable[[str, int, int], None]


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


def batch_id(sha256: str, moment: datetime) -> str:
    return f"{moment:%Y%m%dT%H%M%S%f}Z-{sha256[:8]}"


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
            raise ConfigError(f"{path} does not exist: pass a file or folder to ingest")
    return files


def contract_for(
    path: Path, folders: Folders, contracts: dict[str, Contract], dataset: str | None
) -> Contract | None:
    if dataset:
        if dataset not in contracts:
            raise ConfigError(
                f"no contract named {dataset!r}: choose one of "
                f"{', '.join(sorted(contracts))} or add ingestion/contracts/"
                f"{dataset}.yml"
            )
        return contracts[dataset]
    # a file in landing/<dataset>/ belongs to that dataset; otherwise match file patterns
    if path.parent != folders.landing and path.parent.name in contracts:
        return contracts[path.parent.name]
    return next((c for c in contracts.values() if c.matches(path.name)), None)


def _decompress(data: bytes, report: IngestReport) -> bytes:
    if not data.startswith(b"\x1f\x8b"):
        return data
    report.compression = "gzip"
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:
        raise parse.FileRejected(
            f"gzip stream is damaged or truncated ({exc}): re-send the complete file"
        ) from None


@dataclass
class _Chunks:
    """Valid and quarantined rows waiting to be written, flushed every CHUNK_ROWS."""

    store: RecordStore
    contract: Contract
    origin: Origin
    rows: list[dict[str, object]]
    quarantine: list[tuple[int, str, list[str]]]
    written: int = 0

    def flush(self, force: bool = False) -> None:
        if force or len(self.rows) >= CHUNK_ROWS:
            self.store.append_rows(self.contract, self.origin, self.rows)
            self.written += len(self.rows)
            self.rows = []
        if force or len(self.quarantine) >= CHUNK_ROWS:
            self.store.append_quarantine(self.origin, self.quarantine)
            self.written += len(self.quarantine)
            self.quarantine = []


def _load_rows(
    contract: Contract,
    data: bytes,
    name: str,
    report: IngestReport,
    chunks: _Chunks,
    progress: Progress | None,
) -> None:
    if not data:
        raise parse.FileRejected("empty file (0 bytes): re-send the file with its content")
    try:
        decoded = encoding.decode(data, contract.encoding)
    except encoding.BinaryContent as exc:
        raise parse.FileRejected(f"{exc}: check the file type") from None
    report.encoding, report.bom = decoded.encoding, decoded.bom
    report.detected_encoding = decoded.detected
    report.undecodable_bytes = len(decoded.bad_offsets)
    layout, records = parse.records(contract, name, decoded.text, decoded.bad_offsets)
    del decoded
    report.format = layout.format
    seen_keys: dict[tuple[object, ...], int] = {}
    for record in records:
        report.rows_read += 1
        reasons: list[Reason] = list(record.reasons)
        typed: dict[str, object] = {}
        if record.values:
            typed, problems = validate(contract, record.values)
            reasons += problems
        elif not reasons:
            reasons.append(Reason("empty record", "no values"))
        if not reasons and contract.primary_key:
            key = tuple(typed[k] for k in contract.primary_key)
            if key in seen_keys:
                reasons.append(Reason("duplicate primary key", f"first at row {seen_keys[key]}"))
            else:
                seen_keys[key] = record.row_number
        if reasons:
            report.quarantined += 1
            raw = encoding.visible(record.raw)
            report.count_reasons(record.row_number, reasons, raw)
            chunks.quarantine.append((record.row_number, raw, [str(r) for r in reasons]))
        else:
            report.landed += 1
            typed["_row_number"] = record.row_number
            chunks.rows.append(typed)
        chunks.flush()
        if progress and report.rows_read % 10_000 == 0:
            progress(name, record.row_number, layout.total_lines)
    report.delimiter, report.quotechar = layout.delimiter, layout.quotechar
    report.header, report.line_endings = layout.header, layout.line_endings
    report.schema_drift = layout.drift


def _keep(path: Path, destination: Path, folders: Folders) -> Path:
    """Move a landed file into its batch folder (copy it when it lives outside landing)."""
    destination.mkdir(parents=True, exist_ok=True)
    target = destination / path.name
    if folders.holds(path):
        shutil.move(str(path), target)
    else:
        shutil.copy2(path, target)
    return target


def ingest_file(
    store: RecordStore | None,
    contract: Contract | None,
    path: Path,
    folders: Folders,
    progress: Progress | None = None,
) -> IngestReport:
    started = time.perf_counter()
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    now = datetime.now(UTC)
    batch = batch_id(sha256, now)
    dataset = contract.name if contract else UNMATCHED
    report = IngestReport(
        batch_id=batch,
        dataset=dataset,
        table=contract.table if contract else "-",
        source=path.name,
        sha256=sha256,
        size_bytes=len(data),
        started_at=now.isoformat(timespec="seconds"),
    )
    if contract is None or store is None:
        report.status = "rejected"
        report.rejected_reason = (
            "no contract matches this file name: add one in ingestion/contracts/ or pass --dataset"
        )
        _finish(report, path, folders.rejected / UNMATCHED / batch, folders, started)
        return report
    origin = Origin(dataset, path.name, sha256, batch, now)
    history = store.history(sha256)
    # landed content is never ingested again; a rejected file may come back (the contract
    # or its encoding may have been fixed since) and is tried again
    done = [h for h in history if h["status"] == "landed"]
    if any(h["status"] == "rejected" for h in history) and not done:
        report.notes.append("this content was rejected before; tried again")
    if done:
        report.status, report.duplicate_of = "duplicate", str(done[0]["batch_id"])
        report.notes.append(
            f"same content already {done[0]['status']} as {done[0]['source']} "
            f"in batch {done[0]['batch_id']}: nothing ingested"
        )
        if folders.holds(path):
            _finish(report, path, folders.archive / dataset / batch, folders, started)
        return report
    store.log(origin, "started")
    chunks = _Chunks(store, contract, origin, [], [])
    try:
        _load_rows(contract, _decompress(data, report), path.name, report, chunks, progress)
        chunks.flush(force=True)
    except parse.FileRejected as exc:
        if chunks.written:
            store.purge(contract.table, sha256)
        report.status, report.rejected_reason = "rejected", str(exc)
        report.landed = report.quarantined = 0
    folder = (folders.archive if report.status == "landed" else folders.rejected) / dataset / batch
    report.seconds = time.perf_counter() - started
    report_path = report.save(folder, path.name)
    # the log entry is the commit point; the file leaves landing only after it
    store.log(
        origin,
        report.status,
        reason=report.rejected_reason,
        rows_read=report.rows_read,
        landed=report.landed,
        quarantined=report.quarantined,
        report=str(report_path),
    )
    _keep(path, folder, folders)
    return report


def _finish(
    report: IngestReport, path: Path, folder: Path, folders: Folders, started: float
) -> None:
    report.seconds = time.perf_counter() - started
    report.save(folder, path.name)
    _keep(path, folder, folders)


def ingest_files(
    settings: Settings,
    paths: Iterable[Path] = (),
    dataset: str | None = None,
    progress: Progress | None = None,
    on_file: Callable[[IngestReport], None] | None = None,
) -> list[IngestReport]:
    """Ingest the given files or folders (default: the landing folder); one report per file."""
    from infra.engines.spark import session

    contracts = load_contracts()
    folders = Folders.of(settings)
    folders.create()
    files = pending(folders, paths)
    if not files:
        return []
    store = RecordStore(session(settings), settings)
    reports = []
    with ingest_lock(settings):
        # rows of attempts that crashed go first, whatever became of their files
        for name, sha256 in store.interrupted():
            if name in contracts:
                store.abandon(contracts[name].table, name, sha256)
        for path in files:
            contract = contract_for(path, folders, contracts, dataset)
            report = ingest_file(store, contract, path, folders, progress)
            reports.append(report)
            if on_file:
                on_file(report)
    return reports
