"""Quality suites as code: the YAML files in `expectations/suites/`, loaded and checked.

A suite file names its layer and lists checks. A check validates one table of
the layer (`table`) or the rows of a SQL query (`query`, for cross-table rules
such as orphans or reconciliations), optionally filtered (`where`), against
expectations: Great Expectations 1.x expectation types with their arguments,
plus `severity` (`error` blocks promotion, `warn` is reported only). Named
`groups` of expectations can be included by several checks; `{key}` in an
expectation's arguments is replaced by the check's `key`. The special type
`row_count_within_tolerance` compares the row count with the previous run's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from infra.errors import ConfigError
from infra.settings import first_problem

SUITES_DIR = Path(__file__).resolve().parent / "suites"
LAYERS = ("bronze", "silver", "gold")
SEVERITIES = ("error", "warn")
ROW_COUNT_TOLERANCE = "row_count_within_tolerance"


@dataclass(frozen=True)
class ExpectationSpec:
    type: str
    kwargs: dict[str, Any]
    severity: str = "error"

    @property
    def label(self) -> str:
        target = self.kwargs.get("column") or ",".join(self.kwargs.get("column_list", []))
        return f"{self.type}({target})" if target else self.type


@dataclass(frozen=True)
class Check:
    name: str
    layer: str
    table: str | None
    query: str | None
    where: str | None
    expectations: tuple[ExpectationSpec, ...]
    optional: bool = False
    """Skip the check while its table does not exist (datasets fed only by some sources)."""

    def sql(self) -> str:
        base = (
            self.query.strip().rstrip(";")
            if self.query
            else f"select * from {self.layer}.{self.table}"
        )
        return f"select * from ({base}) as checked where {self.where}" if self.where else base


@dataclass
class Suite:
    layer: str
    checks: list[Check] = field(default_factory=list)


def _empty(value: object, info: ValidationInfo) -> object:
    """A key written without a value (`checks:`) is an empty list or mapping."""
    if value is not None:
        return value
    return {} if info.field_name == "groups" else []


class _CheckEntry(BaseModel):
    """One item of a suite's `checks` as written (see the module doc)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    table: str | None = None
    query: str | None = None
    where: str | None = None
    key: str | None = None
    include: list[str] = []
    expectations: list[object] = []
    optional: bool = False

    @field_validator("include", "expectations", mode="before")
    @classmethod
    def _blank(cls, value: object, info: ValidationInfo) -> object:
        return _empty(value, info)


class _SuiteFile(BaseModel):
    """A suite file as written: its layer, named expectation groups, and checks."""

    model_config = ConfigDict(extra="forbid")

    layer: str
    groups: dict[str, list[object]] = {}
    checks: list[object] = []

    @field_validator("groups", "checks", mode="before")
    @classmethod
    def _blank(cls, value: object, info: ValidationInfo) -> object:
        return _empty(value, info)


_Model = TypeVar("_Model", bound=BaseModel)


def _parse(model: type[_Model], raw: object, where: str) -> _Model:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(
            f"{where}: {first_problem(exc)}", hint="see expectations/spec.py for the suite format"
        ) from None


def _expectation(raw: object, where: str, key: str | None) -> ExpectationSpec:
    if not isinstance(raw, dict) or "type" not in raw:
        raise ConfigError(
            f"{where}: each expectation needs a `type` (got {raw!r})",
            hint="write it as {type: expect_..., column: ...}",
        )
    kwargs = {k: v for k, v in raw.items() if k not in ("type", "severity")}
    if key is not None:
        kwargs = {
            k: v.replace("{key}", key) if isinstance(v, str) else v for k, v in kwargs.items()
        }
    elif any(isinstance(v, str) and "{key}" in v for v in kwargs.values()):
        raise ConfigError(
            f"{where}: uses {{key}} but the check has no `key`",
            hint="add `key: <column>` to the check",
        )
    severity = raw.get("severity", "error")
    if severity not in SEVERITIES:
        raise ConfigError(
            f"{where}: severity must be error or warn (got {severity!r})",
            hint="error blocks promotion, warn is reported only",
        )
    return ExpectationSpec(type=raw["type"], kwargs=kwargs, severity=severity)


def load_suite(layer: str, path: Path | None = None) -> Suite:
    """Load and check `suites/<layer>.yml`; bad files raise ConfigError naming the problem."""
    if layer not in LAYERS:
        raise ConfigError(f"unknown layer {layer!r}", hint=f"use one of {', '.join(LAYERS)}")
    path = path or SUITES_DIR / f"{layer}.yml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(
            f"cannot read suite {path}: {exc.strerror}",
            hint=f"restore expectations/suites/{layer}.yml",
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"suite {path} is not valid YAML: {str(exc).splitlines()[0]}",
            hint="fix the file's YAML syntax",
        ) from None
    if not isinstance(raw, dict) or raw.get("layer") != layer:
        raise ConfigError(
            f"suite {path} must declare `layer: {layer}`",
            hint="a suite is a mapping with `layer`, `groups` and `checks`",
        )
    file = _parse(_SuiteFile, raw, f"suite {path}")
    suite = Suite(layer=layer)
    for i, item in enumerate(file.checks):
        check = _check(file, item, layer, f"{path.name} check {i + 1}")
        if any(c.name == check.name for c in suite.checks):
            raise ConfigError(
                f"{path.name} check {i + 1}: check name {check.name!r} is used twice",
                hint="give one of the checks another `name`",
            )
        suite.checks.append(check)
    return suite


def _check(file: _SuiteFile, item: object, layer: str, where: str) -> Check:
    """One check of a suite file, its groups expanded and its expectations checked."""
    entry = _parse(_CheckEntry, item, where)
    if bool(entry.table) == bool(entry.query):
        raise ConfigError(
            f"{where}: give exactly one of `table` or `query`",
            hint="`table` checks a table of the layer, `query` the rows of a SQL query",
        )
    name = entry.name or entry.table
    if not name:
        raise ConfigError(f"{where}: a query check needs a `name`", hint="add `name: <check name>`")
    where = f"{where} ({name})"
    raws: list[object] = []
    for group in entry.include:
        if group not in file.groups:
            raise ConfigError(
                f"{where}: unknown group {group!r} in include",
                hint=f"define it under `groups` or use one of {', '.join(sorted(file.groups))}",
            )
        raws.extend(file.groups[group])
    raws.extend(entry.expectations)
    if not raws:
        raise ConfigError(
            f"{where}: no expectations", hint="add `expectations` or `include` a group"
        )
    if entry.optional and not entry.table:
        raise ConfigError(
            f"{where}: only a `table` check can be optional",
            hint="remove `optional` from the query check",
        )
    return Check(
        name=name,
        layer=layer,
        table=entry.table,
        query=entry.query,
        where=entry.where,
        expectations=tuple(_expectation(r, where, entry.key) for r in raws),
        optional=entry.optional,
    )
