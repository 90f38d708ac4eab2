"""The one place where exceptions escaping a command become an exit code and one line.

- `infra.errors.LakePulseError`: `error: <message> (hint: <hint>)`, its `exit_code`.
- PySpark / Spark Connect (gRPC) errors: explained by `infra.engines.spark.explain_error`
  as an `EngineUnavailable` (exit 3).
- anything else is a bug: `internal error: <type>: <message> (rerun with --debug ...)`,
  exit 70.

`--debug` (or LAKEPULSE_DEBUG=1) prints the traceback before the line. Usage
errors (exit 2), `typer.Exit` and Ctrl-C are left to the CLI library.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit, TyperException

from infra.errors import EXIT_BUG, EngineUnavailable, LakePulseError

DEBUG_ENV = "LAKEPULSE_DEBUG"
_LIBRARY_SIGNALS = (Exit, Abort, TyperException, KeyboardInterrupt, EOFError)
"""Exits, usage errors and interrupts: the CLI library reports these itself."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else ""


def _engine_error(exc: BaseException) -> EngineUnavailable | None:
    """The Spark Connect failure as an EngineUnavailable, or None if `exc` is not one.

    Only looks at modules already imported: if PySpark was never loaded, `exc`
    cannot be one of its errors (and the check costs no import).
    """
    spark_types: list[type[BaseException]] = []
    if (errors := sys.modules.get("pyspark.errors")) is not None:
        spark_types.append(errors.PySparkException)
    if (grpc := sys.modules.get("grpc")) is not None:
        spark_types.append(grpc.RpcError)
    if not isinstance(exc, tuple(spark_types)):
        return None
    from infra.engines.spark import explain_error

    try:
        return EngineUnavailable(explain_error(exc))
    except LakePulseError:  # the settings it reads are broken too: say what we know
        return EngineUnavailable(f"Spark request failed: {_first_line(exc)}")


def describe(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one line (without styling) for an exception from a command."""
    known = exc if isinstance(exc, LakePulseError) else _engine_error(exc)
    if known is not None:
        return known.exit_code, f"error: {known.line()}"
    message = _first_line(exc)
    detail = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return EXIT_BUG, f"internal error: {detail} (rerun with --debug for the traceback)"


def report(exc: BaseException, *, debug: bool, stderr: Console) -> int:
    """Print `exc` as one line on `stderr` (after its traceback when `debug`); its exit code."""
    code, line = describe(exc)
    if debug:
        traceback.print_exception(exc, file=stderr.file)
    label, _, rest = line.partition(": ")
    stderr.print(
        Text.assemble((f"{label}:", "bold red"), f" {rest}"),
        soft_wrap=True,
        highlight=False,
    )
    return code


class ErrorHandlingGroup(TyperGroup):
    """The root command group: every command runs inside `invoke`, so its failures end here."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _LIBRARY_SIGNALS:
            raise
        except Exception as exc:
            from flows.cli.output import err

            code = report(exc, debug=bool(ctx.params.get("debug")), stderr=err)
            raise Exit(code) from None
