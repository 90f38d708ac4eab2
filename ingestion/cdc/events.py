"""Change events and their Debezium-compatible envelope.

Envelope (JSON), one per row change:

    {
      "before": {col: value} | null,   # deletes and updates carry the before-image
      "after":  {col: value} | null,   # null for deletes
      "source": {"version", "connector": "postgresql", "name", "ts_ms" (commit time),
                 "snapshot": "true" | "last" | "false", "db", "schema", "table",
                 "txId", "lsn" (commit LSN as an integer)},
      "op": "r" | "c" | "u" | "d" | "t",
      "ts_ms": when LakePulse read the change,
      "transaction": {"id": "<txId>:<lsn>", "total_order": position in the transaction,
                      "data_collection_order": position among the table's changes in it}
    }

Values follow the type mapping in `ingestion.cdc.values`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from ingestion.cdc.pgoutput import Relation

CONNECTOR_VERSION = "lakepulse-0.1"
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)  # built per row: not frozen, which would slow __init__ down
class ChangeEvent:
    relation: Relation
    op: str  # r, c, u, d, t
    before: dict | None
    after: dict | None
    lsn: int  # commit LSN of the transaction (the snapshot's consistent point for op r)
    tx_id: int
    commit_time: datetime
    seq: int  # order within the transaction, from 0
    data_collection_order: int
    snapshot: str = "false"

    @property
    def table(self) -> str:
        return self.relation.qualified

    def envelope(self, *, db: str, server_name: str, read_ms: int) -> dict:
        commit_ms = (self.commit_time - UNIX_EPOCH) // timedelta(milliseconds=1)
        return {
            "before": self.before,
            "after": self.after,
            "source": {
                "version": CONNECTOR_VERSION,
                "connector": "postgresql",
                "name": server_name,
                "ts_ms": commit_ms,
                "snapshot": self.snapshot,
                "db": db,
                "schema": self.relation.schema,
                "table": self.relation.name,
                "txId": self.tx_id,
                "lsn": self.lsn,
            },
            "op": self.op,
            "ts_ms": read_ms,
            "transaction": {
                "id": f"{self.tx_id}:{self.lsn}",
                "total_order": self.seq + 1,
                "data_collection_order": self.data_collection_order,
            },
        }

    def envelope_json(self, **kwargs) -> str:
        return orjson.dumps(self.envelope(**kwargs)).decode()
