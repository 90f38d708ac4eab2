"""Dataset contracts: what a partner file (or API record) must look like.

A contract is one YAML file in `ingestion/contracts/` (or LAKEPULSE_CONTRACTS):

    name: supplier_price_lists      # Bronze table <source>__<name>
    source: partners
    format: csv                      # csv | tsv | json | jsonl | auto
    files: "supplier_prices*"       # glob matched against landed file names
    encoding: auto                   # or utf-8, utf-16, cp1252, latin-1 ...
    primary_key: [supplier_id, stock_item_id, valid_from]
    columns:
      - {name: supplier_id, type: int, required: true}
      - {name: unit_price, type: "decimal(18,2)", min: 0}
      - {name: currency, type: string, allowed: [USD, EUR]}

Adding a dataset is adding a contract; no code changes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

import pyarrow as pa
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from infra.errors import ConfigError
from infra.settings import first_problem

CONTRACTS_DIR = Path(__file__).resolve().parents[1] / "contracts"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
"""The Arrow (and so Bronze) type of each simple contract type; decimal(p,s) is decimal128."""
SIMPLE_TYPES = tuple(ARROW_TYPES)


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    type: str = "string"
    required: bool = False
    """The column must be present in every file and never empty."""
    nullable: bool = True
    """An empty value is allowed (when the column is present)."""
    allowed: list[str | int | float | bool] | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    format: str | None = None
    """strptime format for date/timestamp values that are not ISO-8601."""
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"column name {value!r} must be lower_snake_case")
        return value

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        value = value.strip().lower()
        if value in SIMPLE_TYPES:
            return value
        match = _DECIMAL.match(value)
        if match and int(match[2]) <= int(match[1]) <= 38 and int(match[1]) > 0:
            return f"decimal({match[1]},{match[2]})"
        raise ValueError(
            f"type {value!r} is not one of {', '.join(SIMPLE_TYPES)} or decimal(p,s) with p <= 38"
        )

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern {value!r} is not a regular expression: {exc}") from exc
        return value

    @property
    def accepts_empty(self) -> bool:
        return self.nullable and not self.required

    @property
    def decimal(self) -> tuple[int, int] | None:
        match = _DECIMAL.match(self.type)
        return (int(match[1]), int(match[2])) if match else None

    @property
    def arrow_type(self) -> pa.DataType:
        """The Arrow type values of this column land as in Bronze."""
        decimal = self.decimal
        return pa.decimal128(*decimal) if decimal else ARROW_TYPES[self.type]


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    source: str = "files"
    description: str = ""
    format: Literal["csv", "tsv", "json", "jsonl", "auto"] = "auto"
    files: str | None = None
    encoding: str = "auto"
    delimiter: str | None = None
    header: bool = True
    primary_key: list[str] = []
    columns: list[Column]

    @field_validator("name", "source")
    @classmethod
    def _ident(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} must be lower_snake_case (it names a Bronze table)")
        return value

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        import codecs

        value = value.strip().lower()
        if value != "auto":
            try:
                codecs.lookup(value)
            except LookupError as exc:
                raise ValueError(f"unknown encoding {value!r}") from exc
        return value

    @field_validator("delimiter")
    @classmethod
    def _delimiter(cls, value: str | None) -> str | None:
        aliases = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
        value = aliases.get(value, value) if value is not None else None
        if value is not None and (len(value) != 1 or value in '"\r\n'):
            raise ValueError(
                f"delimiter {value!r} must be one character (or tab, comma, semicolon, pipe)"
            )
        return value

    @model_validator(mode="after")
    def _keys(self) -> Contract:
        names = [c.name for c in self.columns]
        if not names:
            raise ValueError("a contract needs at least one column")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"column(s) declared twice: {', '.join(duplicates)}")
        for key in self.primary_key:
            if key not in names:
                raise ValueError(f"primary key column {key!r} is not a declared column")
        for column in self.columns:
            if column.name in self.primary_key:
                column.required = True
                column.nullable = False
            if column.name.startswith("_"):
                raise ValueError(f"column {column.name!r}: leading _ is reserved for metadata")
        return self

    @property
    def table(self) -> str:
        """The Bronze table of this dataset: `<source>__<name>`."""
        return f"{self.source}__{self.name}"

    @property
    def arrow_schema(self) -> pa.Schema:
        """The dataset's columns as Bronze stores them (lineage columns not included)."""
        return pa.schema([(c.name, c.arrow_type) for c in self.columns])

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def matches(self, file_name: str) -> bool:
        from fnmatch import fnmatch

        return self.files is not None and fnmatch(file_name.lower(), self.files.lower())


def load_contract(path: Path) -> Contract:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(
            f"contract {path}{line} is not valid YAML", hint="fix the file's YAML syntax"
        ) from None
    if not isinstance(raw, dict):
        raise ConfigError(
            f"contract {path} must be a YAML mapping",
            hint="give name, format, columns, ... as keys (see ingestion/contracts/)",
        )
    try:
        return Contract.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(
            f"contract {path}: {first_problem(exc)}", hint="fix that field of the contract"
        ) from None


def contracts_dir() -> Path:
    return Path(os.environ.get("LAKEPULSE_CONTRACTS") or CONTRACTS_DIR)


def load_contracts(directory: Path | None = None) -> dict[str, Contract]:
    """Every contract of the project, by dataset name (one-line ConfigError on a bad file)."""
    directory = directory or contracts_dir()
    if not directory.is_dir():
        raise ConfigError(
            f"contracts folder {directory} does not exist",
            hint="set LAKEPULSE_CONTRACTS to the folder of contract YAML files",
        )
    contracts: dict[str, Contract] = {}
    for path in sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")]):
        contract = load_contract(path)
        if contract.name in contracts:
            raise ConfigError(
                f"contract {path}: dataset {contract.name!r} is declared twice",
                hint="rename one of the two contracts (a dataset has one contract)",
            )
        contracts[contract.name] = contract
    return contracts
