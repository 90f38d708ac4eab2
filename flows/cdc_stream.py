"""The `cdc_stream` flow: follow-mode capture that keeps running, beats, and restarts.

It follows the WAL into Bronze (exactly once: the slot advances only after a
Bronze commit, so a restart resumes where the last commit ended). Every
`heartbeat_seconds` it logs and emits a Prefect event
`lakepulse.cdc.heartbeat` with events captured, batches and the lag in bytes
(WAL position minus the slot's confirmed position) and seconds (since the
newest captured commit). A failure (Postgres or Sail gone) restarts the
capture after a backoff, up to `max_restarts` times in a row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.events import emit_event

from infra.settings import Settings

REPORT_KEY = "cdc-stream-report"
SLOT = "lakepulse_cdc"


@dataclass
class StreamStats:
    events: int = 0
    batches: int = 0
    restarts: int = 0
    heartbeats: int = 0
    lag_bytes: int = 0
    lag_seconds: float = 0.0
    last_error: str | None = None


def wal_lag_bytes(settings: Settings, slot: str) -> int:
    from ingestion.cdc.source import current_wal_lsn, slot_info
    from ingestion.source.db import connect

    with connect(settings, autocommit=True) as conn:
        info = slot_info(conn, slot)
        return max(0, current_wal_lsn(conn) - info[0]) if info else 0


def _beat(settings: Settings, slot: str, stats: StreamStats, logger) -> None:
    try:
        stats.lag_bytes = wal_lag_bytes(settings, slot)
    except Exception as exc:  # the heartbeat must not stop the capture
        logger.warning("heartbeat could not read the WAL lag: %s", exc)
    stats.heartbeats += 1
    logger.info(
        "heartbeat: %d events in %d batches, lag %d bytes / %.1f s, %d restart(s)",
        stats.events,
        stats.batches,
        stats.lag_bytes,
        stats.lag_seconds,
        stats.restarts,
    )
    emit_event(
        event="lakepulse.cdc.heartbeat",
        resource={"prefect.resource.id": f"lakepulse.cdc.{slot}"},
        payload={
            "events": stats.events,
            "batches": stats.batches,
            "lag_bytes": stats.lag_bytes,
            "lag_seconds": stats.lag_seconds,
            "restarts": stats.restarts,
        },
    )


@flow(name="cdc_stream", log_prints=True)
def cdc_stream(
    run_seconds: float | None = None,
    heartbeat_seconds: float = 30.0,
    max_restarts: int = 5,
    restart_delay_seconds: float = 5.0,
    slot: str = SLOT,
) -> dict[str, object]:
    """Follow the WAL into Bronze until `run_seconds` pass (None: until cancelled)."""
    from ingestion.cdc.capture import run

    settings = Settings.from_env()
    logger = get_run_logger()
    stats = StreamStats()
    began = time.monotonic()
    failures_in_a_row = 0
    while True:
        remaining = None if run_seconds is None else run_seconds - (time.monotonic() - began)
        if remaining is not None and remaining <= 0:
            break
        base = (stats.events, stats.batches)
        last_beat = [time.monotonic()]

        def progress(summary, base=base, last_beat=last_beat) -> None:
            stats.events, stats.batches = base[0] + summary.total, base[1] + summary.batches
            stats.lag_seconds = summary.lag_seconds
            if time.monotonic() - last_beat[0] >= heartbeat_seconds:
                last_beat[0] = time.monotonic()
                _beat(settings, slot, stats, logger)

        try:
            summary = run(
                settings, slot=slot, follow=True, max_seconds=remaining, progress=progress
            )
            stats.events, stats.batches = base[0] + summary.total, base[1] + summary.batches
            failures_in_a_row = 0
        except Exception as exc:
            failures_in_a_row += 1
            stats.restarts += 1
            stats.last_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            logger.warning(
                "capture failed (%s); restart %d/%d in %.0f s",
                stats.last_error,
                failures_in_a_row,
                max_restarts,
                restart_delay_seconds,
            )
            if failures_in_a_row > max_restarts:
                raise
            time.sleep(restart_delay_seconds)
            continue
    _beat(settings, slot, stats, logger)
    error = f" (last error: {stats.last_error})" if stats.last_error else ""
    create_markdown_artifact(
        key=REPORT_KEY,
        markdown="\n".join(
            [
                "# CDC stream",
                "",
                f"{stats.events:,} events in {stats.batches:,} batches; "
                f"{stats.restarts} restart(s){error}; "
                f"lag at the end {stats.lag_bytes:,} bytes / {stats.lag_seconds:.1f} s.",
            ]
        ),
    )
    return {
        "events": stats.events,
        "batches": stats.batches,
        "restarts": stats.restarts,
        "lag_bytes": stats.lag_bytes,
        "heartbeats": stats.heartbeats,
    }
