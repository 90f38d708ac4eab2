"""Pull an API source into Bronze, incrementally and exactly once.

The watermark is the newest value of the source's incremental field already in
Bronze, so it lives in the lake and moves only with a Bronze commit. A pull
fetches every page after the watermark, validates the records against the
source's columns, then writes valid rows and quarantined rows, bracketed by
`started` / `landed` entries in `bronze.ingest_log`. A pull killed before its
commit leaves the watermark where it was and the next pull starts from it; a
pull killed between its writes is recognised by its `started` entry and its
partial rows removed. Records at exactly the watermark that Bronze already
holds (APIs that filter with >=) are counted and skipped, not duplicated.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from infra.settings import Settings
from ingestion.api.client import FetchStats, pages
from ingestion.api.config import ApiSource
from ingestion.bronze.records import Origin, RecordStore, batch_id, ingest_lock
from ingestion.files.ingest import Progress
from ingestion.files.ledger import Ledger
from ingestion.files.reasons import Reason
from ingestion.files.report import IngestReport
from ingestion.files.validate import coerce, validate


def reports_dir(settings: Settings) -> Path:
    """Where pull reports are kept: `<home>/files/api/<dataset>/<batch>/`."""
    return settings.home / "files" / "api"


def watermark(store: RecordStore, source: ApiSource) -> str | None:
    """The newest incremental value in Bronze, as the API expects it (ISO-8601)."""
    if source.incremental is None:
        return None
    value = store.newest(source.contract.table, source.incremental.field)
    if value is None:
        return None
    if isinstance(value, datetime):
        # Spark Connect hands timestamps back as naive local time: astimezone reads them so
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    isoformat = getattr(value, "isoformat", None)
    return str(isoformat()) if callable(isoformat) else str(value)


def _keys_at(
    store: RecordStore, source: ApiSource, mark: str | None
) -> tuple[object, set[tuple[object, ...]]]:
    """The typed watermark and the primary keys Bronze already holds at exactly it."""
    if mark is None or source.incremental is None or not source.primary_key:
        return None, set()
    column = source.contract.column(source.incremental.field)
    assert column is not None  # ApiSource checks the field is a column
    typed = coerce(column, mark)
    return typed, store.keys_where(source.contract.table, column.name, typed, source.primary_key)


def pull(settings: Settings, source: ApiSource, progress: Progress | None = None) -> IngestReport:
    """One incremental pull of an API source into Bronze (see the module doc)."""
    from infra.engines.spark import session

    started = time.perf_counter()
    headers = source.auth.headers(source.name) if source.auth else {}  # fails fast
    store = RecordStore(session(settings), settings)
    with ingest_lock(settings):
        return _pull(settings, source, store, headers, progress, started)


def _pull(
    settings: Settings,
    source: ApiSource,
    store: RecordStore,
    headers: dict[str, str],
    progress: Progress | None,
    started: float,
) -> IngestReport:
    contract = source.contract
    now = datetime.now(UTC)
    for _, stale in store.interrupted(contract.name):
        store.abandon(contract.table, contract.name, stale)
    mark = watermark(store, source)
    pull_id = hashlib.sha256(f"{contract.table}|{mark}|{now.isoformat()}".encode()).hexdigest()
    batch = batch_id(pull_id, now)
    report = IngestReport(
        batch_id=batch,
        dataset=contract.name,
        table=contract.table,
        source=source.url,
        sha256=pull_id,
        format="json api",
        encoding="utf-8",
        started_at=now.isoformat(timespec="seconds"),
    )
    report.notes.append(f"watermark before the pull: {mark or 'none (full load)'}")
    mark_value, existing = _keys_at(store, source, mark)
    field = source.incremental.field if source.incremental else None
    stats = FetchStats()
    origin = Origin(contract.name, source.url, pull_id, batch, now)
    ledger = Ledger(store, contract, origin, report)  # writes nothing before the last page
    skipped = 0
    for page in pages(source, mark, stats, headers):
        for record in page.records:
            raw = json.dumps(record, ensure_ascii=False, default=str)
            reasons: list[Reason] = []
            typed: dict[str, object] = {}
            if not isinstance(record, dict):
                reasons.append(Reason("not an object", f"a JSON {type(record).__name__}"))
            else:
                typed, reasons = validate(contract, record)
            key = tuple(typed.get(k) for k in contract.primary_key)
            if (
                not reasons
                and field is not None
                and typed.get(field) == mark_value
                and key in existing
            ):
                skipped += 1  # this very version is in Bronze already (a >= filter)
                continue
            ledger.add(report.rows_read + skipped + 1, raw, typed, reasons)
        if progress:
            progress(source.name, stats.pages, report.rows_read)
    store.log(origin, "started")
    ledger.flush(force=True)
    report.notes.append(
        f"{stats.pages} page(s), {stats.requests} request(s), retries: "
        + (", ".join(f"{k} x{v}" for k, v in stats.retries.items()) or "none")
        + f", {stats.waited_seconds:.1f}s waiting (rate limit and backoff)"
    )
    if skipped:
        report.notes.append(
            f"{skipped} record(s) at the watermark were already in Bronze (skipped, not duplicated)"
        )
    report.seconds = time.perf_counter() - started
    folder = reports_dir(settings) / contract.name / batch
    path = report.save(folder, "pull")
    store.log(
        origin,
        "landed",
        rows_read=report.rows_read,
        landed=report.landed,
        quarantined=report.quarantined,
        report=str(path),
    )
    report.notes.append(f"watermark after the pull: {watermark(store, source) or 'none'}")
    report.save(folder, "pull")
    return report
