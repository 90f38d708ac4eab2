"""Postgres text values -> Bronze column types, JSON values and JSON texts (the type mapping).

| Postgres | Bronze (Arrow / Spark) | envelope JSON |
|---|---|---|
| smallint, integer, bigint, oid | int16 / int32 / int64 | number (integer) |
| real, double precision | float32 / float64 | number; NaN/Infinity as strings |
| numeric(p,s) | decimal128(p,s) | string with every digit kept (e.g. "1234.50") |
| numeric, money | string | string with every digit kept |
| boolean | bool | true / false |
| date | date32 | "YYYY-MM-DD" |
| timestamp (no time zone) | timestamp(us, UTC) | ISO-8601 taken as UTC, with "Z" |
| timestamptz | timestamp(us, UTC) | ISO-8601 in UTC with "Z", e.g. "2024-03-05T10:12:00.123456Z" |
| bytea | binary | base64 string |
| text, varchar, char, uuid, enum, inet, interval, json, arrays, other | string | string |
| null | null | null |

Values are converted column-wise with Arrow kernels where they can be; a column
holding values the kernels do not take (e.g. `infinity` timestamps, bytea,
strings needing JSON escapes) goes value by value through the same converters.
A value its type's converter rejects keeps its text in the envelope; a value
that does not fit the Bronze column's type is written as null.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import orjson
import pyarrow as pa
import pyarrow.compute as pc

JsonValue = str | int | float | bool | None
Converter = Callable[[str], JsonValue]

INT_OIDS = frozenset({20, 21, 23, 26})
FLOAT_OIDS = frozenset({700, 701})
NUMERIC_OID = 1700
BOOL_OID = 16
BYTEA_OID = 17
DATE_OID = 1082
TIMESTAMP_OID = 1114
TIMESTAMPTZ_OID = 1184
UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

_ARROW_TYPES: dict[int, pa.DataType] = {
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    26: pa.int64(),
    700: pa.float32(),
    701: pa.float64(),
    BOOL_OID: pa.bool_(),
    BYTEA_OID: pa.binary(),
    DATE_OID: pa.date32(),
    TIMESTAMP_OID: UTC_TIMESTAMP,
    TIMESTAMPTZ_OID: UTC_TIMESTAMP,
}
_NEEDS_ESCAPE = r'["\\\x00-\x1f]'  # what orjson escapes in a string
_UTC_TEXT = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?"  # 4-digit AD years, as Postgres prints


def arrow_type(type_oid: int, modifier: int) -> pa.DataType:
    """The Bronze column type of a Postgres type (numeric without precision: text)."""
    if type_oid == NUMERIC_OID and modifier >= 4:
        return pa.decimal128(((modifier - 4) >> 16) & 0xFFFF, (modifier - 4) & 0xFFFF)
    return _ARROW_TYPES.get(type_oid, pa.string())


# --- one value: text -> JSON value (the envelope's mapping, and the slow path) ---


def _utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


def parse_timestamptz(text: str) -> datetime:
    """Postgres timestamptz output text ('2024-03-05 10:12:00.5+02') as an aware datetime."""
    value = text.replace(" ", "T", 1)
    if value[-3] in "+-" and value[-3:].lstrip("+-").isdigit():  # "+00" -> "+00:00"
        value += ":00"
    return datetime.fromisoformat(value)


def _iso_utc_text(body: str) -> str | None:
    """'YYYY-MM-DD HH:MM:SS[.f]' already in UTC -> ISO with 'Z' and six fraction digits."""
    if len(body) < 19 or body[10] != " " or body[4] != "-":
        return None  # 5-digit or BC years and the like: take the exact path
    if len(body) == 19:
        return f"{body[:10]}T{body[11:]}Z"
    if body[19] != ".":
        return None
    return f"{body[:10]}T{body[11:19]}.{body[20:]:0<6}Z"


def _timestamptz(text: str) -> str:
    if text.endswith("+00"):  # the capture session runs with timezone UTC
        fast = _iso_utc_text(text[:-3])
        if fast is not None:
            return fast
    return _utc_iso(parse_timestamptz(text))


def _timestamp(text: str) -> str:
    fast = _iso_utc_text(text)
    if fast is not None:
        return fast
    return _utc_iso(datetime.fromisoformat(text.replace(" ", "T", 1)).replace(tzinfo=UTC))


def _float(text: str) -> float | str:
    return float(text) if text not in ("NaN", "Infinity", "-Infinity") else text


def _bool(text: str) -> bool:
    return text == "t"


def _bytea(text: str) -> str:
    return base64.b64encode(bytes.fromhex(text[2:])).decode("ascii")


_CONVERTERS: dict[int, Converter] = {
    **dict.fromkeys(INT_OIDS, int),
    **dict.fromkeys(FLOAT_OIDS, _float),
    BOOL_OID: _bool,
    TIMESTAMPTZ_OID: _timestamptz,
    TIMESTAMP_OID: _timestamp,
    BYTEA_OID: _bytea,
}


def json_converter(type_oid: int) -> Converter | None:
    """The text -> JSON value function of a Postgres type; None when the text is kept as is."""
    return _CONVERTERS.get(type_oid)


def json_value(text: str | None, convert: Converter | None) -> JsonValue:
    """A text value as JSON under its type's converter; text the converter rejects (e.g. an
    'infinity' timestamp) is kept as text, and Bronze's typed column gets null."""
    if text is None or convert is None:
        return text
    try:
        return convert(text)
    except ValueError:
        return text


def to_json(text: str | None, type_oid: int) -> JsonValue:
    """A text value as JSON; raises ValueError for text the type's converter rejects."""
    if text is None:
        return None
    convert = _CONVERTERS.get(type_oid)
    return text if convert is None else convert(text)


def json_values(texts: pa.StringArray, type_oid: int) -> list[JsonValue]:
    """A column's text values as JSON values (Python objects), one by one."""
    convert = json_converter(type_oid)
    return [json_value(text, convert) for text in texts.to_pylist()]


# --- a column: text -> JSON text (the envelope's images) ---


def json_texts(texts: pa.StringArray, type_oid: int) -> pa.StringArray:
    """Each value's JSON text under the envelope's mapping ("null" for nulls), as
    orjson writes the value `json_value` gives."""
    out = None  # floats stay value by value: orjson's float text is not Postgres's
    if type_oid in INT_OIDS:
        if pc.all(pc.match_substring_regex(texts, r"^-?\d+$")).as_py() in (True, None):
            out = texts  # Postgres's integer text is already JSON
    elif type_oid == BOOL_OID:
        out = pc.if_else(pc.equal(texts, "t"), "true", "false")
    elif type_oid in (TIMESTAMPTZ_OID, TIMESTAMP_OID):
        suffix = r"\+00$" if type_oid == TIMESTAMPTZ_OID else "$"
        if pc.all(pc.match_substring_regex(texts, _UTC_TEXT + suffix)).as_py() in (True, None):
            out = _quoted_iso_utc(texts)
    elif (
        json_converter(type_oid) is None
        and not pc.any(pc.match_substring_regex(texts, _NEEDS_ESCAPE)).as_py()
    ):
        out = pc.binary_join_element_wise('"', texts, '"', "")
    if out is None:  # value by value
        out = pa.array(
            [orjson.dumps(v).decode() for v in json_values(texts, type_oid)], pa.string()
        )
    return pc.fill_null(out, "null")


def _quoted_iso_utc(texts: pa.StringArray) -> pa.StringArray:
    """'YYYY-MM-DD HH:MM:SS[.f][+00]' -> '"YYYY-MM-DDTHH:MM:SS[.ffffff]Z"' (the fraction padded
    to six digits, none when there is none), as `_iso_utc_text` writes it."""
    body = pc.replace_substring_regex(texts, r"\+00$", "")
    fraction = pc.utf8_slice_codeunits(body, 19)
    fraction = pc.if_else(pc.equal(fraction, ""), "", pc.utf8_rpad(fraction, 7, "0"))
    return pc.binary_join_element_wise(
        '"',
        pc.utf8_slice_codeunits(body, 0, 10),
        "T",
        pc.utf8_slice_codeunits(body, 11, 19),
        fraction,
        'Z"',
        "",
    )


# --- a column: text -> the Bronze type ---


def typed_column(
    texts: pa.StringArray,
    type_oid: int,
    modifier: int,
    target: pa.DataType,
    misfit: Callable[[], None],
) -> pa.Array:
    """A column's text values as the Bronze type `target`: Arrow casts in bulk where target
    is the source type's own; otherwise (or when a value does not parse) through the JSON
    values, value by value where needed. `misfit` is called when values become null."""
    if target == arrow_type(type_oid, modifier):
        try:
            if type_oid == BOOL_OID:
                return pc.equal(texts, "t")
            if type_oid == TIMESTAMP_OID:
                return pc.cast(pc.cast(texts, pa.timestamp("us")), target)
            if target == pa.float32():  # through double, as float() does
                return pc.cast(pc.cast(texts, pa.float64()), target)
            if json_converter(type_oid) is None and target == pa.string():
                return texts
            if target != pa.binary():
                return pc.cast(texts, target)
        except (pa.ArrowException, ValueError):
            pass
    return typed_from_json(json_values(texts, type_oid), target, misfit)


def typed_from_json(
    items: list[JsonValue], target: pa.DataType, misfit: Callable[[], None]
) -> pa.Array:
    """JSON values -> an Arrow array of the Bronze type, vectorised where Arrow takes them;
    values that do not fit become null and `misfit` is called."""
    try:
        if pa.types.is_timestamp(target) or target == pa.date32() or pa.types.is_decimal(target):
            return pc.cast(pa.array(items, pa.string()), target)
        if target != pa.binary():
            return pa.array(items, target)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        pass
    return pa.array([_fitted(v, target, misfit) for v in items], target)


def _fitted(value: JsonValue, target: pa.DataType, misfit: Callable[[], None]) -> object:
    try:
        typed = _typed(value, target)
        pa.scalar(typed, target)  # range and scale checks
        return typed
    except (ValueError, TypeError, ArithmeticError, pa.ArrowException):
        misfit()
        return None


def _typed(value: JsonValue, target: pa.DataType) -> object:
    """One JSON value as the Python value of a Bronze type (raises when it does not fit)."""
    if value is None:
        return None
    if pa.types.is_decimal(target):
        return Decimal(str(value))  # str: a float keeps its shortest repr
    if pa.types.is_timestamp(target):
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if target == pa.date32():
        return date.fromisoformat(str(value))
    if target == pa.binary():
        return base64.b64decode(str(value))
    if pa.types.is_integer(target):
        return int(value)
    if pa.types.is_floating(target):
        return float(value)
    if target == pa.bool_() and not isinstance(value, bool):
        raise ValueError(f"not a boolean: {value!r}")
    if target == pa.string() and not isinstance(value, str):
        return str(value)
    return value
