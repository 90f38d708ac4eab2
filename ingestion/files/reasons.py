"""Why a row was quarantined: a kind to count by, and the detail of this row."""

from __future__ import annotations

from typing import NamedTuple


class Reason(NamedTuple):
    kind: str
    """The rule broken, e.g. `unit_price: not a number` or `ragged row`."""
    detail: str
    """What this row did, e.g. `'12,5'` or `expected 5 fields, found 4`."""

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"
