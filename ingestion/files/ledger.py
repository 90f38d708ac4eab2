"""Every record of one batch either lands or is quarantined, and the report accounts for it.

Files and API pulls feed their records through one `Ledger`: it rejects a
repeated primary key within the batch, counts each outcome and its reasons in
the batch's `IngestReport`, and buffers rows for Bronze, writing them every
`chunk_rows` rows (or only on `flush(force=True)` when `chunk_rows` is None).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from ingestion.bronze.records import Origin, Quarantined, RecordStore, Row
from ingestion.files.contract import Contract
from ingestion.files.encoding import visible
from ingestion.files.reasons import Reason
from ingestion.files.report import IngestReport


@dataclass
class Ledger:
    """Sorts one batch's records into Bronze rows and quarantine rows."""

    store: RecordStore
    contract: Contract
    origin: Origin
    report: IngestReport
    chunk_rows: int | None = None
    """Rows buffered before a write; None buffers the whole batch."""
    written: int = 0
    """Rows (landed or quarantined) already written to Bronze."""
    _columns: pa.Schema = field(init=False)
    _rows: list[Row] = field(default_factory=list, init=False)
    _quarantine: list[Quarantined] = field(default_factory=list, init=False)
    _first_at: dict[tuple[object, ...], int] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._columns = self.contract.arrow_schema

    def add(self, row_number: int, raw: str, typed: Row, reasons: list[Reason]) -> None:
        """Account for one record read: `typed` lands unless it has reasons (or repeats a
        primary key of this batch); then it is quarantined with `raw` and every reason."""
        self.report.rows_read += 1
        if not reasons and self.contract.primary_key:
            key = tuple(typed.get(k) for k in self.contract.primary_key)
            first = self._first_at.setdefault(key, row_number)
            if first != row_number:
                reasons = [Reason("duplicate primary key", f"first at row {first}")]
        if reasons:
            self.report.quarantined += 1
            shown = visible(raw)
            self.report.count_reasons(row_number, reasons, shown)
            self._quarantine.append(Quarantined(row_number, shown, [str(r) for r in reasons]))
        else:
            self.report.landed += 1
            typed["_row_number"] = row_number
            self._rows.append(typed)
        self.flush()

    def flush(self, force: bool = False) -> None:
        """Write buffered rows that reached `chunk_rows` (all of them when forced)."""
        full = self.chunk_rows
        if self._rows and (force or (full is not None and len(self._rows) >= full)):
            self.store.append_rows(self.contract.table, self._columns, self.origin, self._rows)
            self.written += len(self._rows)
            self._rows = []
        if self._quarantine and (force or (full is not None and len(self._quarantine) >= full)):
            self.store.append_quarantine(self.origin, self._quarantine)
            self.written += len(self._quarantine)
            self._quarantine = []
