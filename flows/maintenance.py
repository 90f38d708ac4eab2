"""The `table_maintenance` flow: compaction, Z-ordering, checkpoints and vacuum through delta-rs.

Sail has no OPTIMIZE or VACUUM, so maintenance runs delta-rs on each table's
path (found through the metastore). delta-rs cannot run in a forked process,
so every table is maintained in a `spawn` worker. Vacuum keeps every file a
version younger than `time_travel_hours` still needs, so time travel within
that window never breaks. Each run reports files before and after per table
as a Prefect table artifact.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from infra import storage
from infra.errors import ConfigError, MaintenanceFailed
from infra.settings import Settings, first_problem

CONFIG_PATH = Path(__file__).with_name("maintenance.yml")
REPORT_KEY = "table-maintenance-report"


class MaintenanceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time_travel_hours: int = Field(168, ge=0)
    target_file_mb: int = Field(128, gt=0)
    layers: list[str] = ["bronze", "silver", "gold", "quality"]
    zorder: dict[str, list[str]] = {}


def load_config(path: Path = CONFIG_PATH) -> MaintenanceConfig:
    try:
        return MaintenanceConfig.model_validate(yaml.safe_load(path.read_text()) or {})
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(
            f"maintenance config {path}: {first_problem(exc)}: fix the file"
        ) from None


@dataclass
class TableResult:
    table: str
    path: str
    version_before: int = 0
    version_after: int = 0
    active_files_before: int = 0
    active_files_after: int = 0
    disk_files_before: int = 0
    disk_files_after: int = 0
    compacted_removed: int = 0
    compacted_added: int = 0
    zorder: list[str] = field(default_factory=list)
    vacuumed: int = 0
    checkpoint: bool = False
    error: str | None = None


def _disk_files(settings: Settings, path: str) -> int:
    return sum(
        1
        for file, _ in storage.files_under(settings, path)
        if file.endswith(".parquet") and "/_delta_log/" not in file
    )


def maintain_path(
    settings: Settings,
    table: str,
    path: str,
    zorder: list[str],
    target_mb: int,
    retention_hours: int,
    dry_run: bool = False,
) -> TableResult:
    """Maintain one Delta table with delta-rs (run in a spawned process)."""
    from deltalake import DeltaTable

    result = TableResult(table=table, path=path, zorder=list(zorder))
    options = storage.delta_storage_options(settings)
    try:
        dt = DeltaTable(path, storage_options=options)
        result.version_before = dt.version()
        result.active_files_before = len(dt.file_uris())
        result.disk_files_before = _disk_files(settings, path)
        if dry_run:
            result.vacuumed = len(
                dt.vacuum(
                    retention_hours=retention_hours, dry_run=True, enforce_retention_duration=False
                )
            )
        else:
            target = target_mb * 1024 * 1024
            metrics = (
                dt.optimize.z_order(zorder, target_size=target)
                if zorder
                else dt.optimize.compact(target_size=target)
            )
            result.compacted_removed = int(metrics.get("numFilesRemoved", 0))
            result.compacted_added = int(metrics.get("numFilesAdded", 0))
            dt = DeltaTable(path, storage_options=options)
            dt.create_checkpoint()
            result.checkpoint = True
            # files a version younger than the window needs are kept: time travel holds
            result.vacuumed = len(
                dt.vacuum(
                    retention_hours=retention_hours, dry_run=False, enforce_retention_duration=False
                )
            )
            dt = DeltaTable(path, storage_options=options)
        result.version_after = dt.version()
        result.active_files_after = len(dt.file_uris())
        result.disk_files_after = _disk_files(settings, path)
    except Exception as exc:  # one broken table must not stop the others
        result.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return result


def live_tables(settings: Settings, layers: list[str]) -> dict[str, str]:
    """`layer.table` -> location of every Delta table the metastore knows (views skipped)."""
    from infra.engines.spark import session
    from infra.lake_gc import table_locations

    spark = session(settings)
    tables = {}
    for layer in layers:
        for name, location in table_locations(spark, layer).items():
            if storage.exists(settings, f"{location}/_delta_log"):
                tables[f"{layer}.{name}"] = location
    return tables


def maintain(
    settings: Settings,
    config: MaintenanceConfig,
    tables: list[str] | None = None,
    dry_run: bool = False,
) -> list[TableResult]:
    found = live_tables(settings, config.layers)
    unknown = sorted(set(tables or []) - set(found))
    if unknown:
        raise ConfigError(
            f"no Delta table {', '.join(unknown)} in the metastore: name tables as layer.table"
        )
    chosen = {t: p for t, p in found.items() if not tables or t in tables}
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        futures = [
            pool.submit(
                maintain_path,
                settings,
                table,
                path,
                config.zorder.get(table, []),
                config.target_file_mb,
                config.time_travel_hours,
                dry_run,
            )
            for table, path in sorted(chosen.items())
        ]
        return [future.result() for future in futures]


@task
def maintain_tables(
    settings: Settings, tables: list[str] | None, dry_run: bool
) -> list[TableResult]:
    return maintain(settings, load_config(), tables, dry_run)


def report_markdown(results: list[TableResult], config: MaintenanceConfig, dry_run: bool) -> str:
    before = sum(r.disk_files_before for r in results)
    after = sum(r.disk_files_after for r in results)
    failed = [r for r in results if r.error]
    lines = [
        f"# Table maintenance{' (dry run)' if dry_run else ''}",
        "",
        f"{len(results)} tables; data files on disk {before:,} → {after:,}; time travel "
        f"kept for {config.time_travel_hours} h.",
        "",
    ]
    if failed:
        lines += ["## Failed", "", *(f"- {r.table}: {r.error}" for r in failed), ""]
    return "\n".join(lines)


@flow(name="table_maintenance", log_prints=True)
def table_maintenance(
    tables: list[str] | None = None, dry_run: bool = False
) -> list[dict[str, Any]]:
    """Compact (Z-order where configured), checkpoint and vacuum every Delta table."""
    settings = Settings.from_env()
    config = load_config()
    results = maintain_tables(settings, tables, dry_run)
    logger = get_run_logger()
    for r in results:
        logger.info(
            "%s: files %d -> %d, vacuumed %d%s",
            r.table,
            r.disk_files_before,
            r.disk_files_after,
            r.vacuumed,
            f", error {r.error}" if r.error else "",
        )
    rows = [asdict(r) for r in results]
    create_table_artifact(key=REPORT_KEY, table=rows, description="Files before/after per table")
    create_markdown_artifact(
        key=f"{REPORT_KEY}-summary", markdown=report_markdown(results, config, dry_run)
    )
    failed = [r.table for r in results if r.error]
    if failed:
        raise MaintenanceFailed(
            f"maintenance failed for {', '.join(failed)} (see the report)", results=rows
        )
    return rows
