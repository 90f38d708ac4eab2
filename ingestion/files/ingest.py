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
import time
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from infra.settings import Settings
from ingestion.bronze.records import Origin, RecordStore, batch_id, ingest_lock
from ingestion.files import encoding, parse
from ingestion.files.contract import Contract, load_contracts
from ingestion.files.landing import UNMATCHED, Folders, contract_for, pending
from ingestion.files.ledger import Ledger
from ingestion.files.reasons import Reason
from ingestion.files.report import IngestReport
from ingestion.files.validate import validate

__all__ = ["CHUNK_ROWS", "Folders", "Progress", "ingest_file", "ingest_files"]

CHUNK_ROWS = int(os.environ.get("LAKEPULSE_FILE_CHUNK_ROWS") or 100_000)
"""Rows per Delta commit within one file (a crash mid-file is undone on the next attempt)."""
Progress = Callable[[str, int, int], None]
"""Called as (file or source name, position, total) while rows are read."""


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


def _load_rows(data: bytes, name: str, ledger: Ledger, progress: Progress | None) -> None:
    """Decode, parse and validate a file's bytes, passing every record to the ledger."""
    contract, report = ledger.contract, ledger.report
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
    for record in records:
        reasons: list[Reason] = list(record.reasons)
        typed: dict[str, object] = {}
        if record.values:
            typed, problems = validate(contract, record.values)
            reasons += problems
        elif not reasons:
            reasons.append(Reason("empty record", "no values"))
        ledger.add(record.row_number, record.raw, typed, reasons)
        if progress and report.rows_read % 10_000 == 0:
            progress(name, record.row_number, layout.total_lines)
    report.delimiter, report.quotechar = layout.delimiter, layout.quotechar
    report.header, report.line_endings = layout.header, layout.line_endings
    report.schema_drift = layout.drift


def ingest_file(
    store: RecordStore | None,
    contract: Contract | None,
    path: Path,
    folders: Folders,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest one file exactly once (see the module doc); the report says what became of it."""
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
        report.status, report.duplicate_of = "duplicate", done[0]["batch_id"]
        report.notes.append(
            f"same content already {done[0]['status']} as {done[0]['source']} "
            f"in batch {done[0]['batch_id']}: nothing ingested"
        )
        if folders.holds(path):
            _finish(report, path, folders.archive / dataset / batch, folders, started)
        return report
    store.log(origin, "started")
    ledger = Ledger(store, contract, origin, report, chunk_rows=CHUNK_ROWS)
    try:
        _load_rows(_decompress(data, report), path.name, ledger, progress)
        ledger.flush(force=True)
    except parse.FileRejected as exc:
        if ledger.written:
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
    folders.keep(path, folder)
    return report


def _finish(
    report: IngestReport, path: Path, folder: Path, folders: Folders, started: float
) -> None:
    report.seconds = time.perf_counter() - started
    report.save(folder, path.name)
    folders.keep(path, folder)


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
