"""Postgres text values to JSON values (the envelope's type mapping).

| Postgres | JSON |
|---|---|
| smallint, integer, bigint, oid | number (integer) |
| real, double precision | number; NaN/Infinity as strings |
| numeric, money | string with every digit kept (e.g. "1234.50") |
| boolean | true / false |
| text, varchar, char, uuid, enum, inet, interval, other | string |
| date | "YYYY-MM-DD" |
| time | "HH:MM:SS[.ffffff]" |
| timestamp (no time zone) | ISO-8601 "YYYY-MM-DDTHH:MM:SS[.ffffff]" taken as UTC, with "Z" |
| timestamptz | ISO-8601 in UTC with "Z", e.g. "2024-03-05T10:12:00.123456Z" |
| bytea | base64 string |
| json, jsonb | the JSON document as a string |
| arrays | string in Postgres array syntax |
| null | null |
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime

INT_OIDS = {20, 21, 23, 26}
FLOAT_OIDS = {700, 701}
NUMERIC_OIDS = {1700, 790}
BOOL_OID = 16
BYTEA_OID = 17
DATE_OID = 1082
TIMESTAMP_OID = 1114
TIMESTAMPTZ_OID = 1184

# Spark SQL types for Bronze columns of each Postgres type
SPARK_TYPES = {
    20: "bigint",
    21: "smallint",
    23: "int",
    26: "bigint",
    700: "float",
    701: "double",
    16: "boolean",
    1082: "date",
    1114: "timestamp",
    1184: "timestamp",
}


def spark_type(type_oid: int, modifier: int) -> str:
    if type_oid == 1700:
        if modifier >= 4:
            precision = ((modifier - 4) >> 16) & 0xFFFF
            scale = (modifier - 4) & 0xFFFF
            return f"decimal({precision},{scale})"
        return "string"  # unconstrained numeric: keep every digit
    if type_oid == BYTEA_OID:
        return "binary"
    return SPARK_TYPES.get(type_oid, "string")


def _utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


def parse_timestamptz(text: str) -> datetime:
    value = text.replace(" ", "T", 1)
    if value[-3] in "+-" and value[-3:].lstrip("+-").isdigit():  # "+00" -> "+00:00"
        value += ":00"
    return datetime.fromisoformat(value)


def _iso_utc_text(body: str) -> str | None:
    """'YYYY-MM-DD HH:MM:SS[.f]' already in UTC -> ISO with 'Z' and six fraction digits."""
    if len(body) < 19 or body[10] != " " or body[4] != "-":
        return None  # 5-digit or BC years and the like: take the slow path
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


def _float(text: str):
    return float(text) if text not in ("NaN", "Infinity", "-Infinity") else text


def _bool(text: str) -> bool:
    return text == "t"


def _bytea(text: str) -> str:
    return base64.b64encode(bytes.fromhex(text[2:])).decode("ascii")


_CONVERTERS: dict[int, Callable[[str], object]] = {
    **dict.fromkeys(INT_OIDS, int),
    **dict.fromkeys(FLOAT_OIDS, _float),
    BOOL_OID: _bool,
    TIMESTAMPTZ_OID: _timestamptz,
    TIMESTAMP_OID: _timestamp,
    BYTEA_OID: _bytea,
}


def json_converter(type_oid: int) -> Callable[[str], object] | None:
    """The text -> JSON value function of a Postgres type; None when the text is kept as is."""
    return _CONVERTERS.get(type_oid)


def json_value(text: str | None, convert: Callable[[str], object] | None):
    """A text value as JSON under its type's converter; text the converter rejects (e.g. an
    'infinity' timestamp) is kept as text, and Bronze's typed column gets null."""
    if text is None or convert is None:
        return text
    try:
        return convert(text)
    except ValueError:
        return text


def to_json(text: str | None, type_oid: int):
    if text is None:
        return None
    convert = _CONVERTERS.get(type_oid)
    return text if convert is None else convert(text)  # numeric keeps its digits, dates as is
