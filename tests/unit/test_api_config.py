"""API source files: defaults, the contract they imply, one-line errors with hints (no services)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.errors import ConfigError
from ingestion.api.client import dig
from ingestion.api.config import ApiSource, load_api, load_apis

SOURCE = """
name: ratings
url: https://api.example.com/ratings
auth: {env: TEST_API_CONFIG_TOKEN}
incremental: {field: updated_at}
primary_key: [rating_id]
columns:
  - {name: rating_id, type: bigint}
  - {name: updated_at, type: timestamp}
"""


def test_defaults_and_the_contract_of_a_source(tmp_path: Path):
    (tmp_path / "ratings.yml").write_text(SOURCE)
    source = load_apis(tmp_path)["ratings"]
    assert (source.pagination.type, source.pagination.page_size) == ("none", 100)
    assert (source.retries.attempts, source.timeout_seconds, source.rate_limit) == (6, 30.0, None)
    contract = source.contract
    assert (contract.table, contract.format, contract.primary_key) == (
        "api__ratings",
        "json",
        ["rating_id"],
    )
    rating_id = contract.column("rating_id")
    assert rating_id is not None and rating_id.required and not rating_id.nullable


def test_a_missing_secret_names_the_variable(monkeypatch: pytest.MonkeyPatch):
    source = ApiSource.model_validate(
        {
            "name": "r",
            "url": "http://x",
            "auth": {"env": "TEST_API_CONFIG_TOKEN"},
            "columns": [{"name": "a"}],
        }
    )
    assert source.auth is not None
    monkeypatch.delenv("TEST_API_CONFIG_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="the secret is not set") as caught:
        source.auth.headers("r")
    assert caught.value.hint == "export TEST_API_CONFIG_TOKEN"
    monkeypatch.setenv("TEST_API_CONFIG_TOKEN", "t")
    assert source.auth.headers("r") == {"Authorization": "Bearer t"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SOURCE.replace("https://", "ftp://"), "must start with http:// or https://"),
        (SOURCE.replace("field: updated_at", "field: nope"), "incremental field 'nope'"),
        (SOURCE + "colour: red\n", "colour"),
        ("url: [\n", "is not valid YAML"),
    ],
)
def test_bad_sources_are_one_line_errors_with_a_hint(tmp_path: Path, text: str, message: str):
    path = tmp_path / "bad.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_api(path)
    assert message in str(caught.value) and "\n" not in caught.value.line()
    assert caught.value.hint


def test_dig_follows_dotted_paths():
    body = {"data": {"items": [1, 2]}, "next": None}
    assert dig(body, "data.items") == [1, 2]
    assert dig(body, None) is body
    assert dig(body, "data.items.more") is None
    assert dig(body, "missing") is None
