"""The Debezium-compatible envelope and its row images, built as JSON text column-wise.

Envelope (JSON), one per row change:

    {
      "before": {col: value} | null,   # deletes and updates carry the before-image
      "after":  {col: value} | null,   # null for deletes and truncates
      "source": {"version", "connector": "postgresql", "name", "ts_ms" (commit time),
                 "snapshot": "true" | "false", "db", "schema", "table",
                 "txId", "lsn" (commit LSN as an integer)},
      "op": "r" | "c" | "u" | "d" | "t",
      "ts_ms": when LakePulse read the change,
      "transaction": {"id": "<txId>:<lsn>", "total_order": position in the transaction,
                      "data_collection_order": position among the table's changes in it}
    }

Keys appear in this order, images' keys in the table's column order, without
spaces (as `orjson.dumps` writes the same objects). Values follow the mapping
in `ingestion.cdc.convert.values`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.cdc.convert.values import json_texts
from ingestion.cdc.pgoutput import Relation

CONNECTOR_VERSION = "lakepulse-0.1"
SERVER_NAME = "wwi"  # Debezium's topic prefix / logical server name
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Changes:
    """Per-row change metadata: op, JSON images, transaction, position."""

    ops: pa.StringArray
    before: pa.StringArray  # JSON text, "null" where there is none
    after: pa.StringArray
    xid: Ints
    lsn: Ints  # commit LSN (the snapshot's consistent point for op r)
    commit_us: Ints  # Unix microseconds
    seq: Ints  # position in the transaction, from 0
    order: Ints  # position among the table's changes in the transaction, from 1
    snapshot: str  # source.snapshot: "true" or "false"

    def __len__(self) -> int:
        return len(self.ops)


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def image_json(
    relation: Relation, texts: list[pa.StringArray], absent: list[Bools | None], rows: int
) -> pa.StringArray:
    """{"column": value, ...} per row, keys in the relation's column order; a column absent
    from a row (an unchanged TOAST value) leaves its key out."""
    if not relation.columns:
        return pa.repeat(pa.scalar("{}"), rows)
    if all(a is None for a in absent):
        parts: list[pa.StringArray | str] = []
        for i, (column, values) in enumerate(zip(relation.columns, texts, strict=True)):
            parts.append(("{" if i == 0 else ",") + _dumps(column.name) + ":")
            parts.append(json_texts(values, column.type_oid))
        return pc.binary_join_element_wise(*parts, "}", "")
    members = []
    for column, values, gone in zip(relation.columns, texts, absent, strict=True):
        member = pc.binary_join_element_wise(
            "," + _dumps(column.name) + ":", json_texts(values, column.type_oid), ""
        )
        members.append(member if gone is None else pc.if_else(pa.array(gone), "", member))
    joined = pc.binary_join_element_wise(*members, "")
    return pc.binary_join_element_wise("{", pc.utf8_slice_codeunits(joined, 1), "}", "")


def envelopes(relation: Relation, changes: Changes, *, db: str, now: datetime) -> pa.StringArray:
    """Each row's envelope JSON, laid out as the module docstring shows."""

    def text(values: Ints) -> pa.StringArray:
        return pa.array(values).cast(pa.string())

    xid_text, lsn_text = text(changes.xid), text(changes.lsn)
    source = (
        f',"source":{{"version":{_dumps(CONNECTOR_VERSION)},"connector":"postgresql",'
        f'"name":{_dumps(SERVER_NAME)},"ts_ms":'
    )
    return pc.binary_join_element_wise(
        '{"before":',
        changes.before,
        ',"after":',
        changes.after,
        source,
        text(changes.commit_us // 1000),
        f',"snapshot":{_dumps(changes.snapshot)},"db":{_dumps(db)},'
        f'"schema":{_dumps(relation.schema)},"table":{_dumps(relation.name)},"txId":',
        xid_text,
        ',"lsn":',
        lsn_text,
        '},"op":"',
        changes.ops,
        f'","ts_ms":{int(now.timestamp() * 1000)},"transaction":{{"id":"',
        xid_text,
        ":",
        lsn_text,
        '","total_order":',
        text(changes.seq + 1),
        ',"data_collection_order":',
        text(changes.order),
        "}}",
        "",
    )
