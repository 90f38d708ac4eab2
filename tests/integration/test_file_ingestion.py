"""File ingestion on the real stack: malformed partner files land or quarantine exactly right."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from ingestion.files.ingest import Folders, ingest_files
from tests.helpers import LAKEPULSE, run_cli

pytestmark = pytest.mark.stack

HEADER = "id,name,price,qty,day,note"
CONTRACT = """
name: {name}
source: tests
format: {format}
files: "{pattern}"
encoding: {encoding}
primary_key: [id]
columns:
  - {{name: id, type: int}}
  - {{name: name, type: string, required: true}}
  - {{name: price, type: "decimal(10,2)", min: 0}}
  - {{name: qty, type: int}}
  - {{name: day, type: date}}
  - {{name: note, type: string, max_length: 5000000}}
"""


def _contract(
    folder: Path, name: str, pattern: str, fmt: str = "auto", encoding: str = "auto"
) -> None:
    (folder / f"{name}.yml").write_text(
        CONTRACT.format(name=name, pattern=pattern, format=fmt, encoding=encoding)
    )


def _rows(n: int, start: int = 1) -> list[str]:
    return [
        f"{i},item {i},{i}.50,{i % 7},2026-11-{1 + i % 28:02d}," for i in range(start, start + n)
    ]


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    monkeypatch.setenv("LAKEPULSE_CONTRACTS", str(contracts))
    files = tmp_path / "drop"
    files.mkdir()
    return contracts, files


def _bronze(spark, table: str, sha: str) -> list[int]:
    return sorted(
        r["id"]
        for r in spark.sql(f"select id from bronze.{table} where _file_sha256 = '{sha}'").collect()
    )


def _quarantine(spark, sha: str) -> dict[int, list[str]]:
    rows = spark.sql(
        f"select _row_number, reasons from bronze.ingest_quarantine where _file_sha256 = '{sha}'"
    ).collect()
    return {r["_row_number"]: list(r["reasons"]) for r in rows}


def test_malformed_files_land_or_quarantine_exactly_the_right_rows(workspace, settings, spark):
    contracts, drop = workspace
    _contract(contracts, "mal_items", "mal_*")
    _contract(contracts, "mal_strict", "strict_*", fmt="csv", encoding="utf-8")
    _contract(contracts, "mal_events", "events_*", fmt="jsonl")
    big = "x" * (10 * 1024 * 1024)
    files = {
        # declared UTF-8, sent as CP1252: only the row holding the byte is quarantined
        "strict_cp1252.csv": (
            HEADER + "\n" + "\n".join(_rows(2)) + "\n3,Müller,1.00,1,2026-11-03,\n"
        ).encode("cp1252"),
        "mal_utf16.csv": (
            HEADER + "\r\n" + "\r\n".join(_rows(3)) + "\r\n4,Zoë €,2.00,1,2026-11-04,\r\n"
        ).encode("utf-16"),
        "mal_newlines.csv": (
            HEADER + "\r\n1,a,1,1,2026-11-01,\n2,b,1,1,2026-11-01,\r3,c,1,1,2026-11-01,\r\n"
        ).encode(),
        "mal_ragged.csv": (
            HEADER + "\n1,a,1,1,2026-11-01,\n2,b,1,1\n3,c,1,1,2026-11-01,,extra\n"
            "4,d,1,1,2026-11-01,\n"
        ).encode(),
        "mal_quote.csv": (
            HEADER + '\n1,a,1,1,2026-11-01,\n2,"b,1,1,2026-11-01,\n'
            '3,c,1,1,2026-11-01,\n4,"multi\nline",1,1,2026-11-01,\n'
        ).encode(),
        "mal_header_missing.csv": (b"id,title,price\n1,a,1\n"),
        "mal_header_extra.csv": "NAME;Id;colour;price\nhé;1;red;1.5\nb;2;blue;2\n".encode(
            "latin-1"
        ),
        "mal_types.csv": (
            HEADER + "\n1,a,abc,1.5,2026-02-30,\n2,b,-1,3,2026-11-01,\n"
            "3,c,99999999999,x,2026-11-01,\n4,,1,1,,\n5,e,1.234,1,2026-11-01,\n"
        ).encode(),
        "mal_empty.csv": b"",
        "mal_big_field.csv": (
            HEADER + f"\n1,a,1,1,2026-11-01,{big}\n2,b,1,1,2026-11-01,"
            f"{'y' * 2_000_000}\n3,c,1,1,2026-11-01,\n"
        ).encode(),
        "events_bad_line.jsonl": (
            b'{"id": 1, "name": "a"}\n{"id": 2, "name": "b",}\n\n'
            b'[1, 2]\n{"id": 3, "name": "c", "price": {"x": 1}}\n'
            b'{"id": 4, "name": "d", "mood": "fine"}\n'
        ),
        "mal_dup_keys.csv": (
            HEADER + "\n1,a,1,1,2026-11-01,\n2,b,1,1,2026-11-01,\n1,a again,1,1,2026-11-01,\n"
        ).encode(),
        "mal_truncated.csv.gz": gzip.compress((HEADER + "\n" + "\n".join(_rows(5000))).encode())[
            :-40
        ],
        "mal_ok.csv.gz": gzip.compress((HEADER + "\n" + "\n".join(_rows(5))).encode()),
    }
    for name, data in files.items():
        (drop / name).write_bytes(data)
    reports = {r.source: r for r in ingest_files(settings, [drop])}
    assert set(reports) == set(files)
    for report in reports.values():  # the accounting rule, for every file
        assert report.balanced, report.source
        if report.status == "landed":
            assert report.landed + report.quarantined == report.rows_read

    def check(name: str, table: str, landed: list[int], quarantined: dict[int, str]) -> None:
        report = reports[name]
        assert report.status == "landed", (name, report.rejected_reason)
        assert _bronze(spark, table, report.sha256) == landed, name
        found = _quarantine(spark, report.sha256)
        assert sorted(found) == sorted(quarantined), (name, found)
        for line, kind in quarantined.items():
            assert any(r.startswith(kind) for r in found[line]), (name, line, found[line])
        assert report.rows_read == len(landed) + len(quarantined)

    items, strict, events = "tests__mal_items", "tests__mal_strict", "tests__mal_events"
    check("strict_cp1252.csv", strict, [1, 2], {4: "undecodable bytes"})
    assert reports["strict_cp1252.csv"].detected_encoding == "cp1252"
    assert "0xFC at byte" in _quarantine(spark, reports["strict_cp1252.csv"].sha256)[4][0]
    check("mal_utf16.csv", items, [1, 2, 3, 4], {})
    assert reports["mal_utf16.csv"].encoding == "utf-16-le" and reports["mal_utf16.csv"].bom
    assert (
        spark.sql(
            f"select name from bronze.{items} where id = 4 and _file_sha256 = "
            f"'{reports['mal_utf16.csv'].sha256}'"
        ).collect()[0]["name"]
        == "Zoë €"
    )
    check("mal_newlines.csv", items, [1, 2, 3], {})
    assert any("mixed line endings" in d for d in reports["mal_newlines.csv"].schema_drift)
    check("mal_ragged.csv", items, [1, 4], {3: "ragged row", 4: "ragged row"})
    check("mal_quote.csv", items, [1, 3, 4], {3: "unterminated quote"})
    check("mal_header_extra.csv", items, [1, 2], {})
    extra = reports["mal_header_extra.csv"]
    assert extra.encoding == "cp1252" and extra.delimiter == ";"
    assert any("'colour' is not in the contract" in d for d in extra.schema_drift)
    check(
        "mal_types.csv",
        items,
        [],
        {
            2: "price: not a number",
            3: "price: below the minimum",
            4: "price: too large",
            5: "name: required value missing",
            6: "price: more than 2 decimal places",
        },
    )
    types = _quarantine(spark, reports["mal_types.csv"].sha256)
    assert len(types[2]) == 3  # every reason: price, qty and day
    assert any(r.startswith("qty: not an integer") for r in types[4])
    check("mal_big_field.csv", items, [2, 3], {2: "note: longer than max_length"})
    assert (
        spark.sql(
            f"select length(note) as n from bronze.{items} where id = 2 and "
            f"_file_sha256 = '{reports['mal_big_field.csv'].sha256}'"
        ).collect()[0]["n"]
        == 2_000_000
    )
    check(
        "events_bad_line.jsonl",
        events,
        [1, 4],
        {2: "invalid JSON", 4: "not an object", 5: "price: nested value"},
    )
    assert any("'mood'" in d for d in reports["events_bad_line.jsonl"].schema_drift)
    check("mal_dup_keys.csv", items, [1, 2], {4: "duplicate primary key"})
    check("mal_ok.csv.gz", items, [1, 2, 3, 4, 5], {})

    folders = Folders.of(settings)
    for name, why in (
        ("mal_header_missing.csv", "header lacks required column(s) name"),
        ("mal_empty.csv", "empty file"),
        ("mal_truncated.csv.gz", "gzip"),
    ):
        report = reports[name]
        assert report.status == "rejected" and why in report.rejected_reason, name
        assert (folders.rejected / report.dataset / report.batch_id / name).is_file()
        saved = json.loads(
            (
                folders.rejected / report.dataset / report.batch_id / f"{name}.report.json"
            ).read_text()
        )
        assert saved["status"] == "rejected" and saved["balanced"]
        assert not _bronze(spark, items, report.sha256)
    # files given from outside the landing folder are copied, reports sit beside the copy
    archived = folders.archive / "mal_items" / reports["mal_types.csv"].batch_id
    assert (archived / "mal_types.csv").is_file() and (drop / "mal_types.csv").is_file()
    markdown = (archived / "mal_types.csv.report.md").read_text()
    assert "price: not a number" in markdown and "| quarantined | 5 |" in markdown

    # the same folder again: nothing new (rejected files are tried again and rejected again)
    before = spark.sql(f"select count(*) as n from bronze.{items}").collect()[0]["n"]
    again = {r.source: r.status for r in ingest_files(settings, [drop])}
    rejected = {"mal_header_missing.csv", "mal_empty.csv", "mal_truncated.csv.gz"}
    assert {n for n, s in again.items() if s == "rejected"} == rejected
    assert {s for n, s in again.items() if n not in rejected} == {"duplicate"}
    assert spark.sql(f"select count(*) as n from bronze.{items}").collect()[0]["n"] == before


def test_landing_folder_new_versions_reports_and_cli(workspace, settings, spark, stack_env_vars):
    contracts, _ = workspace
    _contract(contracts, "prices", "prices_*")
    folders = Folders.of(settings)
    folders.landing.mkdir(parents=True, exist_ok=True)
    landed = folders.landing / "prices_week.csv"
    landed.write_text(HEADER + "\n" + "\n".join(_rows(3)) + "\n")
    env = {**stack_env_vars, "LAKEPULSE_CONTRACTS": str(contracts)}
    first = run_cli("ingest", "files", env=env)
    assert first.returncode == 0, first.stderr
    assert not landed.exists()  # moved from landing to the archive
    # a new version of the same file name is a new batch
    landed.write_text(HEADER + "\n" + "\n".join(_rows(3, start=10)) + "\n")
    second = run_cli("ingest", "files", env=env)
    assert second.returncode == 0, second.stderr
    batches = spark.sql(
        "select _batch_id, count(*) as n from bronze.tests__prices group by _batch_id"
    ).collect()
    assert sorted(r["n"] for r in batches) == [3, 3]
    # the same content dropped again lands nothing and leaves landing empty
    landed.write_text(HEADER + "\n" + "\n".join(_rows(3, start=10)) + "\n")
    third = run_cli("ingest", "files", env=env)
    assert third.returncode == 0 and "1 already ingested" in third.stdout, third.stdout
    assert spark.sql("select count(*) as n from bronze.tests__prices").collect()[0]["n"] == 6
    assert not landed.exists()
    # reports by file name (the ingestion, not the later duplicate note) and by batch id
    shown = run_cli("report", "prices_week.csv", env=env)
    assert shown.returncode == 0 and "landed" in shown.stdout, shown.stderr
    batch = batches[0]["_batch_id"]
    as_json = run_cli("report", batch, "--json", env=env)
    assert json.loads(as_json.stdout)["batch_id"] == batch
    # the exit code of each error class is the CLI's (tests/integration/test_cli_errors.py)
    missing = run_cli("report", "nope.csv", env=env)
    assert missing.returncode != 0 and len(missing.stderr.strip().splitlines()) == 1
    bad = contracts / "broken.yml"
    bad.write_text("name: broken\ncolumns:\n  - {name: a, type: money}\n")
    broken = run_cli("ingest", "files", env=env)
    assert broken.returncode != 0 and "Traceback" not in broken.stdout + broken.stderr
    assert "broken.yml" in broken.stderr and "money" in broken.stderr
    assert len(broken.stderr.strip().splitlines()) == 1


def test_kill_9_mid_file_then_rerun_lands_every_row_once(
    workspace, settings, spark, stack_env_vars
):
    contracts, drop = workspace
    _contract(contracts, "killed", "killed_*")
    path = drop / "killed_big.csv"
    rows = 60_000
    path.write_text(HEADER + "\n" + "\n".join(_rows(rows)) + "\n")
    env = {
        **stack_env_vars,
        "LAKEPULSE_CONTRACTS": str(contracts),
        "LAKEPULSE_FILE_CHUNK_ROWS": "10000",
    }
    table_dir = settings.lake_dir / "bronze" / "tests__killed" / "_delta_log"
    proc = subprocess.Popen(
        [LAKEPULSE, "ingest", "files", str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    # kill -9 once the first chunk is committed and before the file is done
    while time.monotonic() < deadline and proc.poll() is None:
        if table_dir.is_dir() and len(list(table_dir.glob("*.json"))) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the ingester finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = spark.sql("select count(*) as n from bronze.tests__killed").collect()[0]["n"]
    assert 0 < partial < rows
    reports = ingest_files(settings, [path])
    assert reports[0].status == "landed" and reports[0].landed == rows
    statuses = [
        r["status"]
        for r in spark.sql(
            "select status from bronze.ingest_log where sha256 = "
            f"'{reports[0].sha256}' order by logged_at"
        ).collect()
    ]
    assert statuses == ["started", "purged", "started", "landed"]
    counts = spark.sql(
        "select count(*) as n, count(distinct id) as k from bronze.tests__killed"
    ).collect()[0]
    assert counts["n"] == counts["k"] == rows
