"""The minimal slice: a tiny Bronze table of customer change events written through Spark Connect.

It exercises the same path the CDC writer uses (Spark Connect -> Delta at an
absolute location -> Hive Metastore) so `make demo` and the tests can prove
the stack end to end before any real source is connected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pyspark.sql import SparkSession

from infra.settings import Settings
from infra.spark import append_delta, ensure_database, table_exists

DATABASE = "bronze"
TABLE = "demo__customers"
SCHEMA = (
    "customer_id int, customer_name string, email string, phone string, "
    "_op string, _lsn bigint, _seq int, _ingested_at timestamp, _batch_id string"
)

# (customer_id, name, email, phone, op, lsn, seq)
EVENTS: list[tuple[int | None, str, str, str, str, int, int]] = [
    (1, "Tailspin Toys (Head Office) ", " Sales@TailspinToys.com", "(308) 555-0100", "r", 100, 0),
    (2, "Wingtip Toys (Head Office)", "sales@wingtiptoys.com ", "308-555-0101", "r", 100, 1),
    (3, "Eric Torres", "ERIC@example.com", "+1 (217) 555-0102", "r", 100, 2),
    (4, "Aakriti Byrraju", "aakriti@example.com", "217.555.0103", "r", 100, 3),
    (3, "Eric Torres", "eric.torres@example.com", "+1 (217) 555-0199", "u", 205, 0),
    (4, "Aakriti Byrraju", "aakriti@example.com", "217.555.0103", "d", 310, 0),
    (5, "Bala Dixit", " Bala@Example.com", "(406) 555-0104", "c", 415, 0),
]
BATCH_ID = "demo-slice-v1"


@dataclass(frozen=True)
class SliceResult:
    table: str
    written: int
    skipped: bool


def _rows(events: list[tuple], batch_id: str) -> list[tuple]:
    now = datetime.now(UTC)
    return [(*event[:4], event[4], event[5], event[6], now, batch_id) for event in events]


def write_slice(
    spark: SparkSession,
    settings: Settings,
    *,
    extra_events: list[tuple] | None = None,
    batch_id: str = BATCH_ID,
) -> SliceResult:
    """Append the slice's events once per batch id (a rerun of the same batch writes nothing)."""
    ensure_database(spark, settings, DATABASE)
    qualified = f"{DATABASE}.{TABLE}"
    if table_exists(spark, DATABASE, TABLE):
        seen = spark.sql(
            f"select count(*) as n from {qualified} where _batch_id = '{batch_id}'"
        ).collect()[0]["n"]
        if seen:
            return SliceResult(table=qualified, written=0, skipped=True)
    events = EVENTS if extra_events is None else extra_events
    df = spark.createDataFrame(_rows(events, batch_id), SCHEMA)
    append_delta(df, settings, DATABASE, TABLE)
    return SliceResult(table=qualified, written=len(events), skipped=False)
