"""Run a layer's quality gate with Great Expectations on Spark Connect DataFrames.

`run_gate(settings, layer)` validates every check of `suites/<layer>.yml`,
appends one row per expectation to `quality.results` and one score per check
to `quality.scores`, rebuilds the Data Docs site under the state directory,
and returns a `GateDecision`: `passed` is false when any error-severity
expectation failed (warn-severity failures are reported only).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from expectations.spec import ROW_COUNT_TOLERANCE, Check, ExpectationSpec, Suite, load_suite
from infra import storage
from infra.errors import ConfigError, ServiceError
from infra.settings import Settings

if TYPE_CHECKING:
    from great_expectations.data_context.data_context.file_data_context import FileDataContext
    from great_expectations.expectations.expectation import Expectation
    from pyspark.sql import SparkSession

QUALITY_DB = "quality"
RESULTS_TABLE = "results"
SCORES_TABLE = "scores"
DATASOURCE = "lakepulse_spark"


@dataclass(frozen=True)
class ExpectationOutcome:
    check: str
    expectation: str
    severity: str
    success: bool
    observed_value: str | None
    element_count: int | None
    unexpected_count: int | None
    note: str = ""


@dataclass
class GateDecision:
    layer: str
    run_id: str
    checked_at: datetime
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    docs_index: Path | None = None
    seconds: float = 0.0

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "error"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "warn"]

    @property
    def passed(self) -> bool:
        return not self.failures

    def scores(self) -> dict[str, float]:
        by_check: dict[str, list[bool]] = {}
        for outcome in self.outcomes:
            by_check.setdefault(outcome.check, []).append(outcome.success)
        return {check: sum(ok) / len(ok) for check, ok in by_check.items()}


def gx_root(settings: Settings) -> Path:
    """The Great Expectations project folder under the state directory."""
    return settings.home / "quality" / "gx"


def docs_index(settings: Settings) -> Path:
    """The Data Docs site's index page (rebuilt by every gate run)."""
    return gx_root(settings) / "uncommitted" / "data_docs" / "local_site" / "index.html"


def _context(settings: Settings) -> FileDataContext:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    root = gx_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(root.parent))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _previous_row_count(spark: SparkSession, layer: str, check: str) -> int | None:
    from infra.engines.spark import table_exists

    if not table_exists(spark, QUALITY_DB, RESULTS_TABLE):
        return None
    rows = spark.sql(
        f"select observed_value from {QUALITY_DB}.{RESULTS_TABLE} "
        f"where layer = '{layer}' and check_name = '{check}' "
        f"and expectation = '{ROW_COUNT_TOLERANCE}' order by checked_at desc limit 1"
    ).collect()
    return int(rows[0]["observed_value"]) if rows else None


def _gx_expectation(spec: ExpectationSpec, previous_rows: int | None) -> Expectation | None:
    """The Great Expectations expectation of a spec (None: a first run has no baseline)."""
    import great_expectations as gx
    from great_expectations.expectations.core.expect_table_row_count_to_be_between import (
        ExpectTableRowCountToBeBetween,
    )
    from great_expectations.expectations.expectation import Expectation

    if spec.type == ROW_COUNT_TOLERANCE:
        tolerance = float(spec.kwargs.get("tolerance", 0.5))
        if previous_rows is None:
            return None  # first run: nothing to compare with yet
        return ExpectTableRowCountToBeBetween(
            min_value=int(previous_rows * (1 - tolerance)),
            max_value=int(previous_rows * (1 + tolerance)) + 1,
            meta={"severity": spec.severity, "previous_row_count": previous_rows},
            description=f"{ROW_COUNT_TOLERANCE}: within {tolerance:.0%} of the previous run's "
            f"{previous_rows:,} rows [{spec.severity}]",
        )
    class_name = "".join(part.capitalize() for part in spec.type.split("_"))
    expectation_class = getattr(gx.expectations, class_name, None)
    if not isinstance(expectation_class, type) or not issubclass(expectation_class, Expectation):
        raise ConfigError(
            f"unknown expectation type {spec.type!r} (not in great_expectations)",
            hint="use a Great Expectations 1.x expectation name "
            "(e.g. expect_column_values_to_not_be_null)",
        )
    # the description names the expectation in Data Docs the way the gate reports it
    expectation: Expectation = expectation_class(
        **spec.kwargs,
        meta={"severity": spec.severity},
        description=f"{spec.label} [{spec.severity}]",
    )
    return expectation


def _observed(result: dict[str, Any]) -> str | None:
    value = result.get("observed_value")
    if value is None and "unexpected_percent" in result:
        value = f"{result['unexpected_percent']:.3g}% unexpected"
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def _validate_check(
    context: FileDataContext, spark: SparkSession, check: Check, run_id: str
) -> list[ExpectationOutcome]:
    """Validate one check's DataFrame; one outcome per expectation."""
    import great_expectations as gx

    outcomes: list[ExpectationOutcome] = []
    df = spark.sql(check.sql())
    suite_name = f"{check.layer}.{check.name}"
    suite = gx.ExpectationSuite(name=suite_name)
    needs_baseline = any(s.type == ROW_COUNT_TOLERANCE for s in check.expectations)
    previous = _previous_row_count(spark, check.layer, check.name) if needs_baseline else None
    labels: list[tuple[str, str]] = []
    for spec in check.expectations:
        expectation = _gx_expectation(spec, previous)
        if expectation is None:
            outcomes.append(
                ExpectationOutcome(
                    check=check.name,
                    expectation=spec.label,
                    severity=spec.severity,
                    success=True,
                    observed_value=str(df.count()) if spec.type == ROW_COUNT_TOLERANCE else None,
                    element_count=None,
                    unexpected_count=None,
                    note="first run: baseline recorded",
                )
            )
            continue
        suite.add_expectation(expectation)
        labels.append(
            (spec.label if spec.type != ROW_COUNT_TOLERANCE else ROW_COUNT_TOLERANCE, spec.severity)
        )
    if not labels:
        return outcomes
    suite = context.suites.add_or_update(suite)
    source = context.data_sources.add_or_update_spark(name=DATASOURCE)
    asset = next((a for a in source.assets if a.name == check.name), None) or (
        source.add_dataframe_asset(name=check.name)
    )
    batch_def = next((b for b in asset.batch_definitions if b.name == "whole"), None) or (
        asset.add_batch_definition_whole_dataframe("whole")
    )
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite_name, data=batch_def, suite=suite)
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=suite_name,
            validation_definitions=[definition],
            result_format={"result_format": "SUMMARY"},
        )
    )
    run = checkpoint.run(
        batch_parameters={"dataframe": df}, run_id=gx.RunIdentifier(run_name=run_id)
    )
    validation = next(iter(run.run_results.values()))
    for (label, severity), item in zip(labels, validation.results, strict=True):
        result = item.result or {}
        if item.exception_info and item.exception_info.get("raised_exception"):
            message = item.exception_info.get("exception_message") or "raised an exception"
            outcomes.append(
                ExpectationOutcome(
                    check=check.name,
                    expectation=label,
                    severity=severity,
                    success=False,
                    observed_value=message.splitlines()[0][:300],
                    element_count=None,
                    unexpected_count=None,
                    note="error",
                )
            )
            continue
        outcomes.append(
            ExpectationOutcome(
                check=check.name,
                expectation=label,
                severity=severity,
                success=bool(item.success),
                observed_value=_observed(result),
                element_count=result.get("element_count"),
                unexpected_count=result.get("unexpected_count"),
            )
        )
    return outcomes


def _record(spark: SparkSession, settings: Settings, decision: GateDecision) -> None:
    """Append the outcomes to `quality.results` and the check scores to `quality.scores`."""
    from infra.engines.spark import append_delta

    rows = [
        (
            decision.run_id,
            decision.layer,
            o.check,
            o.expectation,
            o.severity,
            o.success,
            o.observed_value,
            o.element_count,
            o.unexpected_count,
            o.note,
            decision.checked_at,
        )
        for o in decision.outcomes
    ]
    schema = (
        "run_id string, layer string, check_name string, expectation string, severity string, "
        "success boolean, observed_value string, element_count bigint, unexpected_count bigint, "
        "note string, checked_at timestamp"
    )
    append_delta(spark.createDataFrame(rows, schema), settings, QUALITY_DB, RESULTS_TABLE)
    scores = [
        (decision.run_id, decision.layer, check, score, decision.checked_at)
        for check, score in decision.scores().items()
    ]
    append_delta(
        spark.createDataFrame(
            scores,
            "run_id string, layer string, check_name string, score double, checked_at timestamp",
        ),
        settings,
        QUALITY_DB,
        SCORES_TABLE,
    )


def _lake_answers(settings: Settings, layer: str) -> None:
    """Stop the gate at once when the lake's S3 is gone: every remaining expectation would
    wait out the object store's retries only to record an error."""
    if not storage.s3_reachable(settings):
        raise ServiceError(
            f"the {layer} gate stopped: the lake's S3 endpoint "
            f"{storage.s3_access(settings).endpoint} does not answer",
            hint="run `lakepulse up` (embedded S3) or fix LAKEPULSE_S3_ENDPOINT, then rerun",
        )


def run_gate(
    settings: Settings, layer: str, table: str | None = None, suite: Suite | None = None
) -> GateDecision:
    """Validate a layer (or one of its checks), record the results, rebuild Data Docs.

    `suite` replaces `expectations/suites/<layer>.yml` (tests use it).
    """
    from infra.engines.spark import ensure_database, session, table_exists

    began = time.monotonic()
    suite = suite or load_suite(layer)
    checks = [c for c in suite.checks if table is None or table in (c.name, c.table)]
    if table is not None and not checks:
        raise ConfigError(
            f"no {layer} check named {table!r} in expectations/suites/{layer}.yml",
            hint=f"choose one of {', '.join(sorted(c.name for c in suite.checks))}",
        )
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    spark = session(settings)
    ensure_database(spark, settings, QUALITY_DB)
    context = _context(settings)
    now = datetime.now(UTC)
    decision = GateDecision(
        layer=layer, run_id=f"{layer}-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}", checked_at=now
    )
    for check in checks:
        _lake_answers(settings, layer)
        if check.optional and not table_exists(spark, check.layer, check.table or ""):
            continue  # nothing landed in this dataset yet
        decision.outcomes.extend(_validate_check(context, spark, check, decision.run_id))
    _lake_answers(settings, layer)
    _record(spark, settings, decision)
    context.build_data_docs()
    decision.docs_index = docs_index(settings)
    decision.seconds = time.monotonic() - began
    return decision
