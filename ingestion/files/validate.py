"""Contract validation and type coercion of one record's values.

Every failing rule is reported (not only the first) as a Reason whose kind is
`column: rule` and whose detail shows the value, so a quarantined row carries
all its reasons and reports can count them by kind.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation, localcontext
from functools import cache

from ingestion.files.contract import Column, Contract
from ingestion.files.reasons import Reason

_INTEGER = re.compile(r"^[+-]?\d+$")
_RANGES = {"int": (-(2**31), 2**31 - 1), "bigint": (-(2**63), 2**63 - 1)}
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


class Invalid(ValueError):
    """A value breaks a rule: `rule` names it (for counting), the message shows the value."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule


def _preview(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return repr(text[:40] + "…" if len(text) > 40 else text)


@cache
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _as_text(value: object) -> str:
    if isinstance(value, dict | list):
        raise Invalid("nested value", f"a JSON {type(value).__name__} where a value belongs")
    return value if isinstance(value, str) else str(value)


def _integer(column: Column, value: object) -> int:
    if isinstance(value, bool):
        raise Invalid("not an integer", _preview(value))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        text = _as_text(value).strip()
        if not _INTEGER.match(text):
            raise Invalid("not an integer", _preview(value))
        number = int(text)
    low, high = _RANGES[column.type]
    if not low <= number <= high:
        raise Invalid(f"out of range for {column.type}", str(number))
    return number


def _decimal(column: Column, value: object) -> Decimal:
    precision, scale = column.decimal or (38, 0)
    if isinstance(value, bool):
        raise Invalid("not a number", _preview(value))
    try:
        number = Decimal(_as_text(value).strip())
    except InvalidOperation:
        raise Invalid("not a number", _preview(value)) from None
    if not number.is_finite():
        raise Invalid("not a finite number", _preview(value))
    # size first (an exponent like 1e100 must not reach quantize), then exact scale
    if number != 0 and number.adjusted() >= precision - scale:
        raise Invalid(f"too large for {column.type}", _preview(value))
    with localcontext() as context:
        context.prec = 80
        exact = number.quantize(Decimal(1).scaleb(-scale))
        if exact != number:
            raise Invalid(f"more than {scale} decimal places", _preview(value))
    return exact


def _double(value: object) -> float:
    if isinstance(value, bool):
        raise Invalid("not a number", _preview(value))
    try:
        number = float(_as_text(value).strip()) if not isinstance(value, int | float) else value
    except ValueError:
        raise Invalid("not a number", _preview(value)) from None
    if math.isnan(number) or math.isinf(number):
        raise Invalid("not a finite number", _preview(value))
    return float(number)


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = _as_text(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Invalid("not a boolean (true/false, yes/no, 1/0)", _preview(value))


def _date(column: Column, value: object) -> date:
    text = _as_text(value).strip()
    try:
        if column.format:
            return datetime.strptime(text, column.format).date()
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"not a date ({column.format or 'YYYY-MM-DD'})", _preview(value)) from None


def _timestamp(column: Column, value: object) -> datetime:
    text = _as_text(value).strip()
    try:
        moment = (
            datetime.strptime(text, column.format)
            if column.format
            else datetime.fromisoformat(text)
        )
    except ValueError:
        raise Invalid(f"not a timestamp ({column.format or 'ISO-8601'})", _preview(value)) from None
    # a timestamp without an offset is taken as UTC
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _string(column: Column, value: object) -> str:
    text = _as_text(value)
    if column.max_length is not None and len(text) > column.max_length:
        raise Invalid(f"longer than max_length {column.max_length:,}", f"{len(text):,} characters")
    if column.pattern and not _pattern(column.pattern).fullmatch(text):
        raise Invalid(f"does not match {column.pattern}", _preview(text))
    return text


def _is_allowed(column: Column, typed: object) -> bool:
    """Compare as the column's type: 0.5 allows 0.50 in a decimal column, 1 allows 1.0."""
    for choice in column.allowed or []:
        try:
            if isinstance(typed, Decimal | float | int) and not isinstance(typed, bool):
                if Decimal(str(choice)) == Decimal(str(typed)):
                    return True
            elif str(choice) == str(typed):
                return True
        except InvalidOperation:
            continue
    return False


def coerce(column: Column, value: object) -> object:
    """The typed value of one field; raises Invalid with what is wrong."""
    kind = column.type
    if kind in ("int", "bigint"):
        typed: object = _integer(column, value)
    elif kind.startswith("decimal"):
        typed = _decimal(column, value)
    elif kind == "double":
        typed = _double(value)
    elif kind == "boolean":
        typed = _boolean(value)
    elif kind == "date":
        typed = _date(column, value)
    elif kind == "timestamp":
        typed = _timestamp(column, value)
    else:
        typed = _string(column, value)
    if column.allowed is not None and not _is_allowed(column, typed):
        choices = ", ".join(sorted({str(a) for a in column.allowed}))
        raise Invalid("not an allowed value", f"{_preview(typed)} (allowed: {choices})")
    if isinstance(typed, int | float | Decimal) and not isinstance(typed, bool):
        if column.min is not None and typed < column.min:
            raise Invalid(f"below the minimum {column.min:g}", str(typed))
        if column.max is not None and typed > column.max:
            raise Invalid(f"above the maximum {column.max:g}", str(typed))
    return typed


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate(
    contract: Contract, values: dict[str, object]
) -> tuple[dict[str, object], list[Reason]]:
    """Typed values for every contract column (None when absent) and the reasons it fails."""
    typed: dict[str, object] = {}
    reasons: list[Reason] = []
    for column in contract.columns:
        value = values.get(column.name)
        if _empty(value):
            typed[column.name] = None
            if not column.accepts_empty:
                reasons.append(Reason(f"{column.name}: required value missing", "empty"))
            continue
        try:
            typed[column.name] = coerce(column, value)
        except Invalid as exc:
            typed[column.name] = None
            reasons.append(Reason(f"{column.name}: {exc.rule}", str(exc)))
        except (ArithmeticError, ValueError) as exc:  # e.g. a date beyond year 1..9999
            typed[column.name] = None
            reasons.append(
                Reason(
                    f"{column.name}: out of range for {column.type}",
                    f"{_preview(value)} ({type(exc).__name__})",
                )
            )
    return typed, reasons
