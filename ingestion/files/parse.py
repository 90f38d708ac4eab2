"""Split decoded text into records: delimited text (dialect detected) or JSON.

Every record keeps its first line number and its raw text, so a row that cannot
be parsed is quarantined with exactly what the partner sent. Parse problems are
per record (ragged row, unterminated quote, invalid JSON line, undecodable
bytes); only a file that cannot be read as a whole raises FileRejected.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from ingestion.files.contract import Contract
from ingestion.files.encoding import marked_bytes
from ingestion.files.reasons import Reason

csv.field_size_limit(sys.maxsize)
DELIMITERS = (",", ";", "\t", "|")
_HEADER_NORMAL = re.compile(r"[^a-z0-9]+")


class FileRejected(ValueError):
    """The whole file cannot be ingested; the message says why and what to do."""


@dataclass
class Record:
    row_number: int
    raw: str
    values: dict[str, object]
    reasons: list[Reason] = field(default_factory=list)


@dataclass
class Layout:
    """What was found about a file's shape, for the report."""

    format: str
    delimiter: str | None = None
    quotechar: str | None = None
    header: list[str] | None = None
    line_endings: dict[str, int] = field(default_factory=dict)
    drift: list[str] = field(default_factory=list)
    total_lines: int = 0


def split_lines(text: str) -> list[str]:
    """Physical lines with their endings; \\r\\n, \\n and \\r all end a line."""
    return io.StringIO(text, newline="").readlines()


def _line_endings(lines: list[str]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for line in lines:
        if line.endswith("\r\n"):
            counts["CRLF"] += 1
        elif line.endswith("\n"):
            counts["LF"] += 1
        elif line.endswith("\r"):
            counts["CR"] += 1
    return dict(counts)


def guess_format(name: str, text: str, declared: str) -> str:
    if declared != "auto":
        return declared
    stem = name.lower().removesuffix(".gz")
    for suffix, fmt in (
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
        (".json", "json"),
        (".tsv", "tsv"),
        (".csv", "csv"),
    ):
        if stem.endswith(suffix):
            return fmt
    start = text.lstrip()[:1]
    return "json" if start == "[" else "jsonl" if start == "{" else "csv"


def sniff_delimiter(lines: list[str]) -> str:
    """The candidate delimiter that splits the first lines into the most consistent fields."""
    sample = [line for line in lines[:50] if line.strip()]
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        except csv.Error:
            continue
        if not counts:
            continue
        mode, hits = Counter(counts).most_common(1)[0]
        score = (hits / len(counts) if mode > 1 else 0.0, mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def normal_name(header: str) -> str:
    return _HEADER_NORMAL.sub("_", header.strip().lower()).strip("_")


def _resolve_header(contract: Contract, header: list[str], layout: Layout) -> list[str | None]:
    """Map each file column to a contract column (None when not in the contract)."""
    names = [normal_name(h) for h in header]
    declared = {c.name for c in contract.columns}
    mapping = [n if n in declared else None for n in names]
    matched = {n for n in mapping if n}
    if not matched:
        raise FileRejected(
            f"header matches none of the contract columns ({', '.join(sorted(declared))}): "
            "send the file with its header line, or fix the contract"
        )
    missing = [c.name for c in contract.columns if c.required and c.name not in matched]
    if missing:
        raise FileRejected(
            f"header lacks required column(s) {', '.join(missing)} "
            f"(found: {', '.join(h.strip() for h in header)}): fix the file or the contract"
        )
    for original, name in zip(header, mapping, strict=True):
        if name is None:
            layout.drift.append(f"column {original.strip()!r} is not in the contract (ignored)")
    for column in contract.columns:
        if column.name not in matched:
            layout.drift.append(f"optional column {column.name!r} is absent (null)")
    if [n for n in mapping if n] != [c.name for c in contract.columns if c.name in matched]:
        layout.drift.append("columns are in a different order than the contract (matched by name)")
    seen = Counter(n for n in mapping if n)
    duplicated = [n for n, k in seen.items() if k > 1]
    if duplicated:
        raise FileRejected(f"header names column(s) {', '.join(duplicated)} more than once")
    return mapping


def _undecodable(raw: str, offsets: Iterator[int]) -> list[Reason]:
    bad = marked_bytes(raw)
    if not bad:
        return []
    at = [next(offsets, "?") for _ in bad]  # consume all: later rows keep their offsets
    places = ", ".join(f"0x{b:02X} at byte {o}" for b, o in zip(bad[:5], at, strict=False))
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    return [Reason("undecodable bytes", f"{places}{more}")]


def delimited_records(
    contract: Contract, lines: list[str], layout: Layout, bad_offsets: list[int]
) -> Iterator[Record]:
    delimiter = layout.delimiter or ","
    offsets = iter(bad_offsets)
    start = 0
    mapping: list[str | None] | None = None
    if contract.header:
        while start < len(lines) and not lines[start].strip():
            start += 1
        if start == len(lines):
            raise FileRejected("no header line: the file holds only blank lines")
        try:
            header = next(csv.reader([lines[start]], delimiter=delimiter, strict=True))
        except csv.Error as exc:
            raise FileRejected(f"header line cannot be parsed ({exc}): fix the file") from None
        if marked_bytes(lines[start]):
            raise FileRejected(
                "header line holds undecodable bytes: the declared encoding is wrong "
                "(fix the contract's encoding or re-send the file)"
            )
        layout.header = [h.strip() for h in header]
        mapping = _resolve_header(contract, header, layout)
        start += 1
    else:
        mapping = [c.name for c in contract.columns]
    width = len(mapping)
    position = start
    while position < len(lines):
        reader = csv.reader(lines[position:], delimiter=delimiter, quotechar='"', strict=True)
        consumed = 0
        while True:
            record_start = position + consumed
            try:
                fields = next(reader)
            except StopIteration:
                position = len(lines)
                break
            except csv.Error as exc:
                end = position + reader.line_num
                if end - record_start > 1 or end >= len(lines):
                    # a quote opened on this line swallowed the lines after it
                    raw = lines[record_start]
                    position = record_start + 1
                    reason = Reason(
                        "unterminated quote",
                        f"the quoted field opened here never closes properly ({exc})",
                    )
                else:
                    raw = lines[record_start]
                    position = end
                    reason = Reason("malformed quoting", str(exc))
                yield Record(
                    record_start + 1, raw.rstrip("\r\n"), {}, [reason, *_undecodable(raw, offsets)]
                )
                break
            consumed = reader.line_num
            spanned = position + consumed - record_start
            raw = "".join(lines[record_start : position + consumed]).rstrip("\r\n")
            if not fields:
                continue  # blank line: not a row
            reasons = _undecodable(raw, offsets)
            if len(fields) != width:
                # (a record spanning lines keeps them together: re-reading its inner
                # lines as rows could land fragments of a quoted field)
                found = f"expected {width} fields, found {len(fields)}"
                if spanned > 1:
                    found += f" in a record over {spanned} lines (check its quotes)"
                reasons.append(Reason("ragged row", found))
                yield Record(record_start + 1, raw, {}, reasons)
                continue
            values: dict[str, object] = {
                name: value for name, value in zip(mapping, fields, strict=True) if name
            }
            yield Record(record_start + 1, raw, values, reasons)


def _json_record(
    number: int, raw: str, value: object, declared: set[str], layout: Layout, seen_extra: set[str]
) -> Record:
    if not isinstance(value, dict):
        return Record(number, raw, {}, [Reason("not an object", f"a JSON {type(value).__name__}")])
    values: dict[str, object] = {}
    for key, item in value.items():
        name = normal_name(str(key))
        if name in declared:
            values[name] = item
        elif key not in seen_extra:
            seen_extra.add(key)
            layout.drift.append(f"field {key!r} is not in the contract (ignored)")
    return Record(number, raw, values)


def json_lines_records(
    contract: Contract, lines: list[str], layout: Layout, bad_offsets: list[int]
) -> Iterator[Record]:
    declared = {c.name for c in contract.columns}
    offsets = iter(bad_offsets)
    seen_extra: set[str] = set()
    for index, line in enumerate(lines):
        raw = line.rstrip("\r\n")
        if not raw.strip():
            continue
        undecodable = _undecodable(raw, offsets)
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield Record(
                index + 1,
                raw,
                {},
                [*undecodable, Reason("invalid JSON", f"{exc.msg} at column {exc.colno}")],
            )
            continue
        record = _json_record(index + 1, raw, value, declared, layout, seen_extra)
        record.reasons[:0] = undecodable
        yield record


def json_array_records(contract: Contract, text: str, layout: Layout) -> Iterator[Record]:
    if marked_bytes(text):
        raise FileRejected("undecodable bytes in a JSON document: fix the declared encoding")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileRejected(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg} "
            "(a JSON array file must parse as a whole; send JSON Lines to isolate bad rows)"
        ) from None
    if isinstance(document, dict):
        lists = [v for v in document.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise FileRejected(
                "a JSON file must hold an array of objects (or one object "
                "with exactly one array field)"
            )
        document = lists[0]
    if not isinstance(document, list):
        raise FileRejected(
            f"a JSON file must hold an array of objects, not a {type(document).__name__}"
        )
    declared = {c.name for c in contract.columns}
    seen_extra: set[str] = set()
    for index, value in enumerate(document):
        raw = json.dumps(value, ensure_ascii=False, default=str)
        yield _json_record(index + 1, raw, value, declared, layout, seen_extra)


def records(
    contract: Contract, name: str, text: str, bad_offsets: list[int]
) -> tuple[Layout, Iterator[Record]]:
    """The layout of a decoded file and an iterator of its records."""
    fmt = guess_format(name, text, contract.format)
    layout = Layout(format=fmt)
    if fmt == "json":
        layout.total_lines = text.count("\n") + 1
        return layout, json_array_records(contract, text, layout)
    lines = split_lines(text)
    layout.total_lines = len(lines)
    layout.line_endings = _line_endings(lines)
    if len(layout.line_endings) > 1:
        layout.drift.append(
            "mixed line endings ("
            + ", ".join(f"{k} {v}" for k, v in layout.line_endings.items())
            + ")"
        )
    if fmt == "jsonl":
        return layout, json_lines_records(contract, lines, layout, bad_offsets)
    layout.delimiter = contract.delimiter or ("\t" if fmt == "tsv" else sniff_delimiter(lines))
    layout.quotechar = '"'
    return layout, delimited_records(contract, lines, layout, bad_offsets)
