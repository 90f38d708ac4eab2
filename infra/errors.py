"""The one error hierarchy of LakePulse.

Every failure a user can meet is a `LakePulseError`: a one-line message naming
the cause, an optional one-line hint naming the fix, and the exit code the CLI
returns for it. Nothing else in the project defines exception types meant for
users; modules may keep private control-flow exceptions that never escape them.

Exit codes (documented in the README):

    0   success
    1   a run failed (quality gate, dbt, maintenance, ingestion with --strict)
    2   usage error (unknown command or option; printed by the CLI library)
    3   a service is down, unreachable or could not be started
    4   configuration is invalid
    5   a source (database, API, files) is unreachable or sent something unusable
    70  a bug: an unexpected exception (one line; `--debug` shows the traceback)
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_RUN_FAILED = 1
EXIT_USAGE = 2
EXIT_SERVICE = 3
EXIT_CONFIG = 4
EXIT_SOURCE = 5
EXIT_BUG = 70


class LakePulseError(Exception):
    """Base of every error shown to users: `str()` is the one-line message."""

    exit_code: int = EXIT_RUN_FAILED

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = " ".join(message.split())  # one line, whatever the caller passed
        self.hint = " ".join(hint.split()) if hint else None

    def __str__(self) -> str:
        return self.message

    def line(self) -> str:
        """The message and its hint on one line."""
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


class ConfigError(LakePulseError, ValueError):
    """A setting, contract or suite is invalid; the message names it and the fix.

    Also a ValueError so that pydantic validators may raise it.
    """

    exit_code = EXIT_CONFIG


class ServiceError(LakePulseError, RuntimeError):
    """A service could not be started, checked, reached or stopped."""

    exit_code = EXIT_SERVICE


class EngineUnavailable(ServiceError):
    """The Spark Connect engine (Sail, JVM Spark, a remote cluster) cannot be reached."""


class SourceError(LakePulseError, RuntimeError):
    """A source (Postgres, an HTTP API, a landing folder) is unreachable or unusable."""

    exit_code = EXIT_SOURCE


class ApiError(SourceError):
    """An HTTP API source failed (status, timeout, malformed page)."""


class RunFailed(LakePulseError, RuntimeError):
    """A pipeline run ran but did not succeed."""

    exit_code = EXIT_RUN_FAILED


class QualityGateFailed(RunFailed):
    """A Great Expectations gate (or dbt data test) stopped the run at a layer."""


class DbtRunFailed(RunFailed):
    """A dbt command failed (a model, snapshot or selection error)."""


class MaintenanceFailed(RunFailed):
    """Table maintenance (compaction, vacuum, checkpoints) failed for some tables;
    `results` holds every table's outcome so the caller can still print them all."""

    def __init__(
        self, message: str, hint: str | None = None, *, results: list[dict[str, object]]
    ) -> None:
        super().__init__(message, hint)
        self.results = results


class IngestionFailed(RunFailed):
    """Ingestion finished with rejected input and the caller asked for --strict."""
