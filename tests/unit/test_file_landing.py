"""Landing folders, contract choice, Bronze types of a contract and batch ids (no services)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from infra.errors import ConfigError
from ingestion.bronze.records import batch_id
from ingestion.files.contract import Contract
from ingestion.files.landing import Folders, contract_for, pending
from ingestion.files.reasons import Reason
from ingestion.files.report import IngestReport, find_reports, load

PRICES = Contract.model_validate(
    {
        "name": "prices",
        "source": "partners",
        "files": "prices_*",
        "primary_key": ["id"],
        "columns": [
            {"name": "id", "type": "bigint"},
            {"name": "amount", "type": "decimal(12,3)"},
            {"name": "ok", "type": "boolean"},
            {"name": "day", "type": "date"},
            {"name": "seen", "type": "timestamp"},
            {"name": "note"},
        ],
    }
)
SURVEYS = Contract.model_validate(
    {"name": "surveys", "columns": [{"name": "score", "type": "int"}]}
)


def test_a_contract_gives_bronze_its_table_and_arrow_columns():
    assert PRICES.table == "partners__prices"
    assert PRICES.arrow_schema == pa.schema(
        [
            ("id", pa.int64()),
            ("amount", pa.decimal128(12, 3)),
            ("ok", pa.bool_()),
            ("day", pa.date32()),
            ("seen", pa.timestamp("us", tz="UTC")),
            ("note", pa.string()),
        ]
    )
    assert SURVEYS.arrow_schema.field("score").type == pa.int32()


def test_batch_ids_sort_by_time_and_name_the_content():
    moment = datetime(2026, 12, 2, 3, 4, 5, 6789, tzinfo=UTC)
    assert batch_id("abcdef0123456789", moment) == "20261202T030405006789Z-abcdef01"


@pytest.fixture
def folders(tmp_path: Path) -> Folders:
    folders = Folders(tmp_path / "landing", tmp_path / "archive", tmp_path / "rejected")
    folders.create()
    return folders


def test_contract_choice_by_name_folder_and_pattern(folders: Folders):
    contracts = {"prices": PRICES, "surveys": SURVEYS}
    by_folder = folders.landing / "surveys" / "week1.csv"
    assert contract_for(by_folder, folders, contracts, None) is SURVEYS
    assert contract_for(folders.landing / "prices_w1.csv", folders, contracts, None) is PRICES
    assert contract_for(folders.landing / "other.csv", folders, contracts, None) is None
    assert contract_for(folders.landing / "other.csv", folders, contracts, "surveys") is SURVEYS
    with pytest.raises(ConfigError, match="no contract named 'nope'") as caught:
        contract_for(folders.landing / "other.csv", folders, contracts, "nope")
    assert caught.value.hint and "prices, surveys" in caught.value.hint


def test_pending_skips_reports_and_refuses_missing_paths(folders: Folders, tmp_path: Path):
    (folders.landing / "a.csv").write_text("x\n")
    (folders.landing / "sub").mkdir()
    (folders.landing / "sub" / "b.csv").write_text("x\n")
    (folders.landing / "a.csv.report.json").write_text("{}")
    (folders.landing / ".hidden").write_text("")
    assert pending(folders, []) == [folders.landing / "a.csv", folders.landing / "sub" / "b.csv"]
    with pytest.raises(ConfigError, match="does not exist") as caught:
        pending(folders, [tmp_path / "missing.csv"])
    assert caught.value.hint == "pass a file or folder to ingest"


def test_a_kept_file_moves_from_landing_and_is_copied_from_elsewhere(
    folders: Folders, tmp_path: Path
):
    landed, outside = folders.landing / "a.csv", tmp_path / "b.csv"
    landed.write_text("x\n")
    outside.write_text("y\n")
    assert folders.keep(landed, folders.archive / "d" / "1").read_text() == "x\n"
    assert folders.keep(outside, folders.archive / "d" / "2").read_text() == "y\n"
    assert not landed.exists() and outside.exists()


def test_reports_account_for_rows_and_are_found_again(folders: Folders):
    report = IngestReport(batch_id="b1", dataset="prices", table="partners__prices", source="p.csv")
    report.rows_read, report.landed, report.quarantined = 3, 2, 1
    report.count_reasons(2, [Reason("amount: not a number", "'x'")], "2,x")
    path = report.save(folders.archive / "prices" / "b1", "p.csv")
    saved = load(path)
    assert saved["balanced"] is True and saved["reasons"] == {"amount: not a number": 1}
    assert saved["examples"] == {
        "amount: not a number": [{"row": 2, "detail": "'x'", "raw": "2,x"}]
    }
    assert "| amount: not a number | 1 | 2: 'x' |" in report.to_markdown()
    assert find_reports([folders.archive], "b1") == [path]
    assert find_reports([folders.archive], "p.csv") == [path]
    report.landed = 1
    assert not report.balanced
    not_a_report = folders.archive / "x.report.json"
    not_a_report.write_text(json.dumps([1, 2]))
    with pytest.raises(ConfigError, match="not an ingestion report"):
        load(not_a_report)
