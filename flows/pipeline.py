"""The daily pipeline as a Prefect flow: sources, CDC, then gate -> build -> gate per layer.

dbt runs through prefect-dbt's runner inside the flow, so every model,
snapshot and test is its own Prefect task (a failure shows by name and its
downstream nodes are skipped). A failed gate stops promotion: the next layer
is not built, so consumers keep querying its last good Delta version. Every
run ends with a Markdown report artifact and a table artifact of node
statuses, whether it passed or not.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from expectations.gate import GateDecision, run_gate
from flows.alerts import notify_failure
from flows.dbt_runner import DBT_PROJECT_DIR, dbt_env
from infra.errors import DbtRunFailed, QualityGateFailed
from infra.settings import Settings

SILVER_SELECTION = ["path:models/staging", "path:models/intermediate", "path:snapshots"]
GOLD_SELECTION = ["path:models/marts", "path:tests"]
REPORT_KEY = "daily-pipeline-report"
STATUS_KEY = "daily-pipeline-dbt-nodes"


@dataclass
class PipelineReport:
    started_at: datetime
    captured: dict[str, int] = field(default_factory=dict)
    batches: list[dict[str, object]] = field(default_factory=list)
    layer_rows: dict[str, int] = field(default_factory=dict)
    gates: list[GateDecision] = field(default_factory=list)
    nodes: list[dict[str, str]] = field(default_factory=list)
    failure: str | None = None
    freshness_seconds: float | None = None
    stages: dict[str, float] = field(default_factory=dict)
    source_check: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def markdown(self) -> str:
        verdict = "failed" if self.failure else "completed"
        lines = [
            f"# Daily pipeline {verdict}",
            "",
            f"Started {self.started_at:%Y-%m-%d %H:%M:%S} UTC, took {self.seconds:.1f} s.",
            "",
        ]
        if self.failure:
            lines += [f"**Failure:** {self.failure}", ""]
        lines += [
            "## Rows ingested (CDC events into Bronze)",
            "",
            "| table | events |",
            "|---|---:|",
        ]
        captured = [f"| {t} | {n:,} |" for t, n in sorted(self.captured.items())]
        lines += captured or ["| (none) | 0 |"]
        lines += ["", "## Files and API pulls into Bronze", ""]
        if self.batches:
            lines += [
                "| source | dataset | status | read | landed | quarantined |",
                "|---|---|---|---:|---:|---:|",
            ]
            lines += [
                f"| {b['source']} | {b['dataset']} | {b['status']} | {b['rows_read']:,} | "
                f"{b['landed']:,} | {b['quarantined']:,} |"
                for b in self.batches
            ]
        else:
            lines.append("(no files landed, no API source enabled)")
        lines += ["", "## Rows per layer", "", "| layer | rows |", "|---|---:|"]
        lines += [f"| {layer} | {n:,} |" for layer, n in self.layer_rows.items()]
        lines += [
            "",
            "## Quality gates",
            "",
            "| layer | result | expectations | failed | warnings | Data Docs |",
            "|---|---|---:|---:|---:|---|",
        ]
        for gate in self.gates:
            docs = f"file://{gate.docs_index}" if gate.docs_index else ""
            lines.append(
                f"| {gate.layer} | {'passed' if gate.passed else 'FAILED'} | "
                f"{len(gate.outcomes)} | {len(gate.failures)} | {len(gate.warnings)} | "
                f"{docs} |"
            )
            lines += [f"|  | ✗ {f.check}: {f.expectation} |  |  |  |  |" for f in gate.failures]
        if self.freshness_seconds is not None:
            lines += [
                "",
                f"Data freshness (newest source commit to Gold): {self.freshness_seconds:,.0f} s",
            ]
        if self.source_check:
            lines += ["", "## Source to Gold (Trino)", ""]
            lines += [f"- {line}" for line in self.source_check]
        if self.stages:
            lines += ["", "## Stage timings", "", "| stage | seconds |", "|---|---:|"]
            lines += [f"| {stage} | {sec:,.1f} |" for stage, sec in self.stages.items()]
        slow = sorted(self.nodes, key=lambda n: -float(n["seconds"]))[:10]
        if slow:
            lines += [
                "",
                "## Slowest dbt nodes",
                "",
                "| node | status | seconds |",
                "|---|---|---:|",
            ]
            lines += [f"| {n['node']} | {n['status']} | {n['seconds']} |" for n in slow]
        return "\n".join(lines)


@task(retries=3, retry_delay_seconds=10)
def check_sources(settings: Settings) -> None:
    """Postgres reachable with logical decoding and the publication; Sail answering."""
    from infra.engines.spark import session
    from ingestion.cdc.source import check_source
    from ingestion.source.db import connect

    with connect(settings) as conn:
        check_source(conn)
    session(settings).sql("select 1").collect()


@task(retries=2, retry_delay_seconds=10)
def capture_changes(settings: Settings) -> dict[str, int]:
    from ingestion.cdc.capture import run

    summary = run(settings)
    per_table: dict[str, int] = {}
    for (table, _op), n in summary.events.items():
        per_table[table] = per_table.get(table, 0) + n
    return per_table


@task(retries=2, retry_delay_seconds=10)
def ingest_batches(settings: Settings) -> list[dict[str, object]]:
    """Files waiting in the landing folder, then every enabled API source."""
    from ingestion.api.config import load_apis
    from ingestion.api.ingest import pull
    from ingestion.files.ingest import ingest_files

    reports = ingest_files(settings)
    reports += [pull(settings, source) for source in load_apis().values() if source.enabled]
    return [
        {
            "source": r.source,
            "dataset": r.dataset,
            "status": r.status,
            "rows_read": r.rows_read,
            "landed": r.landed,
            "quarantined": r.quarantined,
        }
        for r in reports
    ]


@task
def quality_gate(settings: Settings, layer: str) -> GateDecision:
    return run_gate(settings, layer)


def build_layer(
    settings: Settings,
    layer: str,
    selection: list[str],
    report: PipelineReport,
    extra_args: tuple[str, ...] = (),
) -> None:
    """dbt build of a layer, one Prefect task per node (prefect-dbt's runner).

    Failed dbt data tests are part of the layer's gate (QualityGateFailed); a failed
    model or snapshot is a build failure (DbtRunFailed).
    """
    from prefect_dbt import PrefectDbtRunner, PrefectDbtSettings

    from infra.engines.spark import session
    from infra.lake_gc import drop_uncommitted_tables, prune_generations

    for table in drop_uncommitted_tables(session(settings), settings):
        get_run_logger().warning("dropped %s: registered but never committed", table)
    os.environ.update(dbt_env(settings))
    runner = PrefectDbtRunner(
        settings=PrefectDbtSettings(
            project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR.parent / "profiles"
        ),
        raise_on_failure=False,
    )
    result = runner.invoke(
        ["build", "--select", *selection, "--indirect-selection", "cautious", *extra_args]
    )
    failed_tests: list[str] = []
    failed_nodes: list[str] = []
    for node in getattr(result.result, "results", None) or []:
        status = str(node.status)
        report.nodes.append(
            {"node": node.node.name, "status": status, "seconds": f"{node.execution_time:.2f}"}
        )
        if status in ("error", "fail"):
            is_test = str(node.node.resource_type).endswith("test")
            (failed_tests if is_test else failed_nodes).append(node.node.name)
    prune_generations(session(settings), settings)
    if failed_nodes or (not result.success and not failed_tests):
        raise DbtRunFailed(f"dbt failed at {', '.join(failed_nodes) or 'an unknown node'}")
    if failed_tests:
        raise QualityGateFailed(
            f"{layer} gate failed (dbt tests: {', '.join(failed_tests)}); "
            "later layers were not built"
        )


def _layer_rows(settings: Settings) -> dict[str, int]:
    from infra.engines.spark import session

    spark = session(settings)
    counts = {}
    for layer in ("bronze", "silver", "gold"):
        total = 0
        for row in spark.sql(f"show tables in {layer}").collect():
            if not row["isTemporary"]:
                total += spark.table(f"{layer}.{row['tableName']}").count()
        counts[layer] = total
    return counts


def _freshness(settings: Settings) -> float | None:
    from infra.engines.spark import session

    row = (
        session(settings)
        .sql(
            "select cast(current_timestamp() as double) - cast(max(_cdc_committed_at) as double) s "
            "from silver.stg_wwi__orders"
        )
        .collect()[0]
    )
    return row["s"]


def _source_to_gold(settings: Settings) -> list[str]:
    """Report lines of the source-to-Gold reconciliation when Trino runs (else none)."""
    from flows.source_reconcile import source_to_gold
    from infra.engines import trino
    from infra.errors import LakePulseError

    if not trino.available(settings):
        return []
    logger = get_run_logger()
    try:
        result = source_to_gold(settings)
    except Exception as exc:  # a check that cannot run must not fail the run it reports on
        text = exc.line() if isinstance(exc, LakePulseError) else f"{type(exc).__name__}: {exc}"
        text = text.splitlines()[0] if text else type(exc).__name__
        logger.warning("source-to-Gold reconciliation through Trino did not run: %s", text)
        return [f"not run: {text}"]
    if result.ok:
        logger.info("%s", result.summary())
    else:
        logger.warning("%s", result.summary())
    return [result.summary(), *(d.line() for d in result.differences[:20])]


def _publish(report: PipelineReport) -> None:
    create_markdown_artifact(
        key=REPORT_KEY, markdown=report.markdown(), description="Daily pipeline run report"
    )
    if report.nodes:
        create_table_artifact(
            key=STATUS_KEY, table=report.nodes, description="dbt node status and timing"
        )


@flow(name="daily_pipeline", log_prints=True)
def daily_pipeline() -> dict[str, int]:
    """Capture, gate and build every layer; publish a report. Fails at the first failed gate."""
    settings = Settings.from_env()
    logger = get_run_logger()
    report = PipelineReport(started_at=datetime.now(UTC))
    began = time.monotonic()

    def stage(name: str, began_at: float) -> None:
        report.stages[name] = time.monotonic() - began_at

    try:
        mark = time.monotonic()
        check_sources(settings)
        report.captured = capture_changes(settings)
        stage("sources and CDC", mark)
        mark = time.monotonic()
        report.batches = ingest_batches(settings)
        stage("files and APIs", mark)
        for layer, selection in (
            ("bronze", None),
            ("silver", SILVER_SELECTION),
            ("gold", GOLD_SELECTION),
        ):
            if selection:
                logger.info("building %s", layer)
                mark = time.monotonic()
                build_layer(settings, layer, selection, report)
                stage(f"dbt {layer}", mark)
            mark = time.monotonic()
            decision = quality_gate(settings, layer)
            stage(f"{layer} gate", mark)
            report.gates.append(decision)
            if not decision.passed:
                names = "; ".join(f"{f.check}: {f.expectation}" for f in decision.failures)
                raise QualityGateFailed(
                    f"{layer} gate failed ({names}); later layers were not built"
                )
        report.freshness_seconds = _freshness(settings)
        report.source_check = _source_to_gold(settings)
    except Exception as exc:
        report.failure = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        notify_failure("daily_pipeline", flow_run.name or "", report.failure, report.markdown())
        raise
    finally:
        report.seconds = time.monotonic() - began
        try:
            report.layer_rows = _layer_rows(settings)
        except Exception as exc:  # the report must still be published
            logger.warning("could not count rows per layer: %s", exc)
        _publish(report)
    return report.layer_rows
