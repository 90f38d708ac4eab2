"""Change messages, truncates and snapshot rows -> one Bronze Arrow table per table version.

Every kind of change goes through `_assemble`: source columns typed from their
text (`values.typed_column`), the change metadata (`_op`, `_lsn`, `_tx_id`,
`_commit_ts`, `_seq`), the writer's lineage columns and the `_envelope`,
laid out as the Bronze table's schema reconciles with the source's
(`BronzeWriter.layout`). Rows the table's high-water mark already covers are
left out: snapshot rows sit at (consistent LSN, 0), streamed changes at
(commit LSN, 1).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.bronze.writer import (
    LINEAGE,
    NO_MARK,
    BronzeWriter,
    Mark,
    MarkQuery,
    Prepared,
    lineage_columns,
    spark_name,
)
from ingestion.cdc.batch import UNIX_EPOCH, TableRows, TableTruncates, Transactions
from ingestion.cdc.convert import envelope, rows
from ingestion.cdc.convert.envelope import Changes, Ints
from ingestion.cdc.convert.values import UTC_TIMESTAMP, arrow_type, typed_column
from ingestion.cdc.pgoutput import ProtocolError, Relation

CHANGE_COLUMNS = pa.schema(
    [
        ("_op", pa.string()),
        ("_lsn", pa.int64()),
        ("_tx_id", pa.int64()),
        ("_commit_ts", UTC_TIMESTAMP),
        ("_seq", pa.int32()),
        *LINEAGE,
        ("_envelope", pa.string()),
    ]
)
_OPS = pa.array(["c", "u", "d"])


def _mark(row: dict[str, Any]) -> Mark:
    # a table published after the slot was made may hold streamed changes older than its
    # own snapshot: the newer of the two is the mark
    return max(
        (row["s"], 1) if row["s"] is not None else NO_MARK,
        (row["r"], 0) if row["r"] is not None else NO_MARK,
    )


MARK = MarkQuery(
    "max(case when _op <> 'r' then _lsn end) as s, max(case when _op = 'r' then _lsn end) as r",
    _mark,
)


def table_name(relation: Relation) -> str:
    """The Bronze table of a source table (`sales.orders` -> `sales__orders`)."""
    return f"{relation.schema}__{relation.name}"


def prepare_changes(
    writer: BronzeWriter,
    table_rows: TableRows,
    txs: Transactions,
    batch_id: str,
    *,
    target: Relation | None = None,
    now: datetime | None = None,
) -> Prepared:
    """The Arrow table of one table version's row messages not yet in Bronze, laid out for
    `target` (the table's latest version in the batch; default: this one)."""
    relation = table_rows.relation
    target = target or relation
    mark = writer.high_water_mark(table_name(target))
    picked, tx, lsn = _streamed_after(mark, txs, table_rows.tx)
    if not len(picked):
        return Prepared(table_name(target), None, Counter(), mark, False)
    messages = (
        table_rows.messages
        if len(picked) == len(table_rows.tx)
        else [table_rows.messages[i] for i in picked.tolist()]
    )
    parsed = rows.parse(messages, len(relation.columns))
    op_index = np.where(parsed.kinds == rows.INSERT, 0, np.where(parsed.kinds == rows.UPDATE, 1, 2))
    ops = _OPS.take(pa.array(op_index))
    images = [parsed.image(i) for i in range(len(relation.columns))]
    image = envelope.image_json(relation, [t for t, _ in images], [a for _, a in images], len(ops))
    xids, _, commit_us = txs.arrays()
    changes = Changes(
        ops,
        _before(relation, parsed, image),
        _where_not(ops, "d", image),
        xids[tx],
        lsn,
        commit_us[tx],
        np.asarray(table_rows.seq, np.int64)[picked],
        np.asarray(table_rows.order, np.int64)[picked],
        "false",
    )
    table, adds = _assemble(
        writer, target, relation, [t for t, _ in images], changes, batch_id, now
    )
    written = Counter(dict(zip("cud", np.bincount(op_index, minlength=3).tolist(), strict=True)))
    return Prepared(table_name(target), table, +written, max(mark, (int(lsn.max()), 1)), adds)


def prepare_truncates(
    writer: BronzeWriter,
    truncates: TableTruncates,
    txs: Transactions,
    batch_id: str,
    *,
    target: Relation | None = None,
    now: datetime | None = None,
) -> Prepared:
    """The Arrow table of a table version's truncates not yet in Bronze (op 't', no images,
    source columns null)."""
    relation = truncates.relation
    target = target or relation
    mark = writer.high_water_mark(table_name(target))
    picked, tx, lsn = _streamed_after(mark, txs, truncates.tx)
    n = len(picked)
    if not n:
        return Prepared(table_name(target), None, Counter(), mark, False)
    xids, _, commit_us = txs.arrays()
    nothing = pa.repeat(pa.scalar("null"), n)
    changes = Changes(
        pa.repeat(pa.scalar("t"), n),
        nothing,
        nothing,
        xids[tx],
        lsn,
        commit_us[tx],
        np.asarray(truncates.seq, np.int64)[picked],
        np.asarray(truncates.order, np.int64)[picked],
        "false",
    )
    texts = [pa.nulls(n, pa.string()) for _ in relation.columns]
    table, adds = _assemble(writer, target, relation, texts, changes, batch_id, now)
    return Prepared(
        table_name(target), table, Counter({"t": n}), max(mark, (int(lsn.max()), 1)), adds
    )


def prepare_snapshot(
    writer: BronzeWriter,
    relation: Relation,
    snapshot_rows: list[tuple[str | None, ...]],
    first: int,
    *,
    lsn: int,
    xid: int,
    taken: datetime,
    batch_id: str,
    now: datetime | None = None,
) -> Prepared:
    """The Arrow table of a chunk of snapshot rows (each value its type's output text, as
    `source.snapshot_texts` reads them; `first` is the chunk's position in the table)."""
    table = table_name(relation)
    mark = writer.high_water_mark(table)
    if not snapshot_rows or (lsn, 0) < mark:  # nothing, or a snapshot Bronze already has
        return Prepared(table, None, Counter(), mark, False)
    n = len(snapshot_rows)
    texts = [pa.array(column, pa.string()) for column in zip(*snapshot_rows, strict=True)]
    if len(snapshot_rows[0]) != len(relation.columns):  # zip(strict): every row alike
        raise ProtocolError(
            f"snapshot rows of {relation.qualified} have {len(snapshot_rows[0])} "
            f"columns, the table {len(relation.columns)}"
        )
    seq = np.arange(first, first + n, dtype=np.int64)
    taken_us = (taken - UNIX_EPOCH) // timedelta(microseconds=1)
    changes = Changes(
        pa.repeat(pa.scalar("r"), n),
        pa.repeat(pa.scalar("null"), n),
        envelope.image_json(relation, texts, [None] * len(texts), n),
        np.full(n, xid, np.int64),
        np.full(n, lsn, np.int64),
        np.full(n, taken_us, np.int64),
        seq,
        seq + 1,
        "true",
    )
    rows_table, adds = _assemble(writer, relation, relation, texts, changes, batch_id, now)
    return Prepared(table, rows_table, Counter({"r": n}), max(mark, (lsn, 0)), adds)


def _streamed_after(mark: Mark, txs: Transactions, row_tx: list[int]) -> tuple[Ints, Ints, Ints]:
    """(positions, transactions, commit LSNs) of the streamed rows above the mark: streamed
    changes sit at (lsn, 1), so an equal LSN passes only a snapshot's mark (phase 0)."""
    all_tx = np.asarray(row_tx, np.int64)
    all_lsn = np.asarray(txs.lsn, np.int64)[all_tx]
    picked = np.flatnonzero((all_lsn > mark[0]) | ((all_lsn == mark[0]) & (mark[1] < 1)))
    return picked, all_tx[picked], all_lsn[picked]


def _where_not(ops: pa.StringArray, op: str, image: pa.StringArray) -> pa.StringArray:
    return pc.if_else(pc.equal(ops, op), "null", image)


def _before(relation: Relation, parsed: rows.RowTuples, image: pa.StringArray) -> pa.StringArray:
    """The before image per row: deletes' own image, the old tuple of updates pgoutput sent
    one for, "null" otherwise."""
    n, m = len(parsed), len(parsed.old_rows)
    candidates = [image, pa.array(["null"])]
    pick = np.where(parsed.kinds == rows.DELETE, np.arange(n), n + m)  # n + m: "null"
    if m:
        old = [parsed.old(i) for i in range(len(relation.columns))]
        candidates.insert(
            1, envelope.image_json(relation, [t for t, _ in old], [a for _, a in old], m)
        )
        pick[parsed.old_rows] = n + np.arange(m)
    return pa.concat_arrays(candidates).take(pa.array(pick))


def _assemble(
    writer: BronzeWriter,
    target: Relation,
    relation: Relation,
    texts: list[pa.StringArray],
    changes: Changes,
    batch_id: str,
    now: datetime | None,
) -> tuple[pa.Table, bool]:
    """Bronze's Arrow table (laid out for target) from a relation version's column texts."""
    now = now or datetime.now(UTC)
    table = table_name(target)
    source = pa.schema(
        [(c.name, arrow_type(c.type_oid, c.type_modifier)) for c in target.columns]
        + list(CHANGE_COLUMNS)
    )
    layout, adds_columns = writer.layout(table, source)
    n = len(changes)
    columns: dict[str, pa.Array] = {
        "_op": changes.ops,
        "_lsn": pa.array(changes.lsn),
        "_tx_id": pa.array(changes.xid),
        "_commit_ts": pa.array(changes.commit_us).cast(UTC_TIMESTAMP),
        "_seq": pa.array(changes.seq, pa.int32()),
        **lineage_columns(now, batch_id, n),
        "_envelope": envelope.envelopes(relation, changes, db=writer.settings.pg_database, now=now),
    }
    index = {c.name: i for i, c in enumerate(relation.columns)}
    arrays = []
    for field in layout:
        if field.name in columns:
            arrays.append(columns[field.name].cast(field.type))
        elif field.name in index:
            column = relation.columns[index[field.name]]

            def misfit(name: str = field.name, kind: pa.DataType = field.type) -> None:
                writer.record_drift(
                    f"{table}: values of {name} do not fit Bronze type {spark_name(kind)} "
                    "(written as null; kept in _envelope)"
                )

            arrays.append(
                typed_column(
                    texts[index[field.name]],
                    column.type_oid,
                    column.type_modifier,
                    field.type,
                    misfit,
                )
            )
        else:  # no longer sent, or not yet in this version of the table
            arrays.append(pa.nulls(n, field.type))
    return pa.Table.from_arrays(arrays, schema=layout), adds_columns
