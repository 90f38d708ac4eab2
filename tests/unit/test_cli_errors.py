"""The CLI's error mapping: every failure is one line and the exit code of its class."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from flows.cli.error_handler import describe, report
from infra import errors
from infra.errors import (
    ApiError,
    ConfigError,
    DbtRunFailed,
    EngineUnavailable,
    IngestionFailed,
    MaintenanceFailed,
    QualityGateFailed,
    RunFailed,
    ServiceError,
    SourceError,
)

HINT = "do this"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("bad setting", HINT), errors.EXIT_CONFIG),
        (ServiceError("postgres is down", HINT), errors.EXIT_SERVICE),
        (EngineUnavailable("Sail is down", HINT), errors.EXIT_SERVICE),
        (SourceError("Postgres refused", HINT), errors.EXIT_SOURCE),
        (ApiError("HTTP 503", HINT), errors.EXIT_SOURCE),
        (RunFailed("the run failed", HINT), errors.EXIT_RUN_FAILED),
        (QualityGateFailed("silver gate failed", HINT), errors.EXIT_RUN_FAILED),
        (DbtRunFailed("dbt failed", HINT), errors.EXIT_RUN_FAILED),
        (MaintenanceFailed("vacuum failed", HINT, results=[]), errors.EXIT_RUN_FAILED),
        (IngestionFailed("rows rejected", HINT), errors.EXIT_RUN_FAILED),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_each_error_class_has_its_exit_code_and_one_line(error, code):
    assert describe(error) == (code, f"error: {error.message} (hint: {HINT})")


def test_a_message_without_hint_has_no_hint_part():
    assert describe(ConfigError("no report for 'x'")) == (4, "error: no report for 'x'")


def test_a_multi_line_message_is_joined_into_one_line():
    code, line = describe(SourceError("first\nsecond", "fix\nit"))
    assert (code, line) == (5, "error: first second (hint: fix it)")


def test_any_other_exception_is_a_bug_with_exit_70():
    assert describe(ValueError("missing  value\nmore detail")) == (
        70,
        "internal error: ValueError: missing value (rerun with --debug for the traceback)",
    )
    assert describe(RuntimeError()) == (
        70,
        "internal error: RuntimeError (rerun with --debug for the traceback)",
    )


def test_spark_connect_errors_become_engine_unavailable(monkeypatch):
    from pyspark.errors import AnalysisException
    from pyspark.errors.exceptions.connect import SparkConnectGrpcException

    monkeypatch.setenv("LAKEPULSE_SAIL_PORT", "51234")
    code, line = describe(
        SparkConnectGrpcException(message="StatusCode.UNAVAILABLE Connection refused\nmore")
    )
    assert code == errors.EXIT_SERVICE
    assert line.startswith("error: Spark Connect at sc://127.0.0.1:51234 stopped answering")
    code, line = describe(AnalysisException(message="[TABLE_OR_VIEW_NOT_FOUND] nope"))
    assert code == errors.EXIT_SERVICE
    assert line.startswith("error: Spark request failed: [TABLE_OR_VIEW_NOT_FOUND] nope")


def test_a_grpc_error_is_explained_like_a_spark_error():
    import grpc

    class Refused(grpc.RpcError):
        def __str__(self) -> str:
            return "StatusCode.UNAVAILABLE: Connection refused"

    code, line = describe(Refused())
    assert code == errors.EXIT_SERVICE and "stopped answering" in line


def test_spark_errors_under_broken_settings_still_make_one_line(monkeypatch):
    from pyspark.errors import PySparkException

    monkeypatch.setenv("LAKEPULSE_PG_PORT", "abc")  # explain_error cannot read the settings
    code, line = describe(PySparkException(message="boom\ntrace"))
    assert (code, line) == (errors.EXIT_SERVICE, "error: Spark request failed: boom")


def _stderr() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=40, color_system=None), buffer


def test_report_prints_one_unwrapped_line_even_on_a_narrow_terminal():
    console, buffer = _stderr()
    error = ServiceError("a long message " * 10, "a long hint " * 5)
    assert report(error, debug=False, stderr=console) == errors.EXIT_SERVICE
    assert buffer.getvalue() == f"error: {error.line()}\n"


def test_report_keeps_brackets_in_messages_literal():
    console, buffer = _stderr()
    report(ConfigError("column [bold] is [red]odd"), debug=False, stderr=console)
    assert buffer.getvalue() == "error: column [bold] is [red]odd\n"


def test_report_with_debug_prints_the_traceback_first():
    console, buffer = _stderr()
    try:
        raise ValueError("boom")
    except ValueError as exc:
        assert report(exc, debug=True, stderr=console) == errors.EXIT_BUG
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert "ValueError: boom" in lines
    assert lines[-1] == "internal error: ValueError: boom (rerun with --debug for the traceback)"
