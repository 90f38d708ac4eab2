"""Contracts, encodings, dialects and coercion of partner files (no services needed)."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from infra.errors import ConfigError
from ingestion.files import encoding, parse
from ingestion.files.contract import Column, Contract, load_contract
from ingestion.files.validate import Invalid, coerce, validate

CONTRACT = Contract.model_validate(
    {
        "name": "items",
        "primary_key": ["id"],
        "columns": [
            {"name": "id", "type": "int"},
            {"name": "name", "type": "string", "required": True},
            {"name": "price", "type": "decimal(10,2)"},
            {"name": "seen", "type": "timestamp"},
        ],
    }
)


def _records(text: str, name: str = "x.csv", contract: Contract = CONTRACT):
    layout, records = parse.records(contract, name, text, [])
    return layout, list(records)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("name: a\ncolumns:\n  - {name: x, type: money}\n", "columns.0.type: type 'money'"),
        ("name: a\nprimary_key: [y]\ncolumns:\n  - {name: x}\n", "primary key column 'y'"),
        ("name: a\ncolumns:\n  - {name: x}\n  - {name: x}\n", "declared twice: x"),
        ("name: A-b\ncolumns:\n  - {name: x}\n", "lower_snake_case"),
        ("name: a\nencoding: klingon\ncolumns:\n  - {name: x}\n", "unknown encoding"),
        ("name: a\ncolumns: [\n", "not valid YAML"),
        ("name: a\ncolumns:\n  - {name: x, colour: red}\n", "colour"),
        ("- just a list\n", "must be a YAML mapping"),
        ("name: a\ncolumns:\n  - {name: x, type: 'decimal(4,6)'}\n", "decimal(p,s)"),
    ],
)
def test_bad_contracts_are_one_line_errors(tmp_path, body, message):
    path = tmp_path / "c.yml"
    path.write_text(body)
    with pytest.raises(ConfigError) as caught:
        load_contract(path)
    assert message in str(caught.value) and "\n" not in caught.value.line()
    assert caught.value.hint  # names the fix


def test_repo_contracts_load():
    from ingestion.files.contract import load_contracts

    contracts = load_contracts()
    assert {"supplier_price_lists", "customer_surveys"} <= set(contracts)


@pytest.mark.parametrize(
    ("data", "expected", "bom"),
    [
        ("a,é".encode("utf-16-be"), "utf-16-be", False),
        ("a,é".encode("utf-32"), "utf-32-le", True),
        (codecs.BOM_UTF8 + "a,é".encode(), "utf-8-sig", True),
        ("a,é€".encode("cp1252"), "cp1252", False),
        (b"a,\x81\xe9", "latin-1", False),
    ],
)
def test_encoding_detection(data, expected, bom):
    assert encoding.detect(data) == (expected, bom)
    assert encoding.decode(data).text.startswith("a,")


def test_binary_content_is_refused():
    with pytest.raises(encoding.BinaryContent):
        encoding.detect(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")


def test_declared_encoding_marks_bad_bytes_with_offsets():
    decoded = encoding.decode("ok\nbäd\nfine\n".encode("cp1252"), "utf-8")
    assert decoded.bad_offsets == [4] and decoded.detected == "cp1252"
    assert encoding.visible(decoded.text) == "ok\nb\\xE4d\nfine\n"


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [("id\tname\n1\ta\n2\tb", "\t"), ("id|name\n1|a\n2|b", "|"), ("id;name\n1;a,b\n2;c", ";")],
)
def test_delimiter_sniffing(line, delimiter):
    assert parse.sniff_delimiter(parse.split_lines(line)) == delimiter


def test_header_only_file_has_no_records_and_blank_lines_are_not_rows():
    layout, records = _records("ID, Name ,price\n\n")
    assert records == [] and layout.header == ["ID", "Name", "price"]
    assert "optional column 'seen' is absent (null)" in layout.drift


def test_json_array_wrapped_in_an_object_and_invalid_arrays():
    _, records = _records('{"items": [{"id": 1, "name": "a"}, 5]}', "x.json")
    assert [r.values for r in records] == [{"id": 1, "name": "a"}, {}]
    assert records[1].reasons[0].kind == "not an object"
    with pytest.raises(parse.FileRejected, match="line 1 column"):
        _records('[{"id": 1}', "x.json")


@pytest.mark.parametrize(
    ("column", "value", "typed"),
    [
        (Column(name="p", type="decimal(6,2)"), " 12.5 ", Decimal("12.50")),
        (Column(name="p", type="decimal(6,2)"), "1.230", Decimal("1.23")),
        (Column(name="b", type="boolean"), "Yes", True),
        (
            Column(name="t", type="timestamp"),
            "2026-11-02T10:00:00+02:00",
            datetime(2026, 11, 2, 8, tzinfo=UTC),
        ),
        (
            Column(name="t", type="timestamp"),
            "2026-11-02 10:00:00",
            datetime(2026, 11, 2, 10, tzinfo=UTC),
        ),
        (
            Column(name="d", type="date", format="%d/%m/%Y"),
            "03/11/2026",
            datetime(2026, 11, 3).date(),
        ),
        (Column(name="i", type="int"), 7.0, 7),
    ],
)
def test_coercion(column, value, typed):
    assert coerce(column, value) == typed


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        (Column(name="p", type="decimal(6,2)"), "10000", "too large for decimal(6,2)"),
        (Column(name="p", type="decimal(6,2)"), "NaN", "not a finite number"),
        (Column(name="i", type="int"), "3000000000", "out of range for int"),
        (Column(name="i", type="int"), True, "not an integer"),
        (Column(name="s", type="string", pattern="[A-Z]+"), "abc", "does not match [A-Z]+"),
        (Column(name="s", type="string", allowed=["a"]), "b", "not an allowed value"),
        (Column(name="b", type="boolean"), "maybe", "not a boolean"),
    ],
)
def test_rule_violations_name_the_rule(column, value, rule):
    with pytest.raises(Invalid) as caught:
        coerce(column, value)
    assert caught.value.rule.startswith(rule)


def test_validate_collects_every_reason_and_requires_keys():
    typed, reasons = validate(CONTRACT, {"id": "", "name": " ", "price": "x"})
    assert typed == {"id": None, "name": None, "price": None, "seen": None}
    assert [r.kind for r in reasons] == [
        "id: required value missing",
        "name: required value missing",
        "price: not a number",
    ]


def test_numbers_at_the_edges_are_reasons_not_crashes():
    big = Column(name="p", type="decimal(38,2)")
    assert coerce(big, "1" * 30 + ".25") == Decimal("1" * 30 + ".25")
    for value, kind in (
        ("1e100", "p: too large for decimal(18,2)"),
        ("1e-100", "p: more than 2 decimal places"),
    ):
        contract = Contract.model_validate(
            {"name": "n", "columns": [{"name": "p", "type": "decimal(18,2)"}]}
        )
        assert [r.kind for r in validate(contract, {"p": value})[1]] == [kind]
    wide = Contract.model_validate(
        {
            "name": "n",
            "columns": [{"name": "d", "type": "double"}, {"name": "t", "type": "timestamp"}],
        }
    )
    kinds = [r.kind for r in validate(wide, {"d": 10**400, "t": "0001-01-01T00:00:00+05:00"})[1]]
    assert kinds == ["d: out of range for double", "t: out of range for timestamp"]


def test_allowed_numbers_compare_as_numbers():
    assert coerce(Column(name="p", type="decimal(5,2)", allowed=[0.5]), "0.50") == Decimal("0.5")
    assert coerce(Column(name="d", type="double", allowed=[1]), "1") == 1.0


def test_delimiter_names_and_bad_delimiters(tmp_path):
    base = "name: a\ncolumns:\n  - {name: x}\n"
    path = tmp_path / "c.yml"
    path.write_text(base + "delimiter: tab\n")
    assert load_contract(path).delimiter == "\t"
    path.write_text(base + "delimiter: '::'\n")
    with pytest.raises(ConfigError, match="must be one character"):
        load_contract(path)


def test_a_multi_line_record_of_the_wrong_width_stays_one_quarantined_row():
    contract = Contract.model_validate(
        {"name": "m", "columns": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}
    )
    _, records = _records('a,b,c\n1,"multi\nline",x,EXTRA\n2,y,z\n', contract=contract)
    assert [(r.row_number, bool(r.values)) for r in records] == [(2, False), (4, True)]
    assert records[0].reasons[0].kind == "ragged row"


def test_undecodable_offsets_stay_aligned_across_rows():
    data = b"a,b\n" + b"\xff" * 7 + b",x\n" + b"y,\xfe\n"
    decoded = encoding.decode(data, "utf-8")
    contract = Contract.model_validate({"name": "m", "columns": [{"name": "a"}, {"name": "b"}]})
    _, found = parse.records(contract, "x.csv", decoded.text, decoded.bad_offsets)
    records = list(found)
    assert "0xFE at byte 16" in records[1].reasons[0].detail
