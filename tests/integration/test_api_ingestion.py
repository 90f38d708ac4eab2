"""The JSON API reader against a local HTTP server: pages, 429/5xx, auth, watermark, kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from infra.errors import ApiError, ConfigError
from ingestion.api.config import load_api
from ingestion.api.ingest import pull
from tests.helpers import LAKEPULSE, free_port, run_cli

pytestmark = pytest.mark.stack
TOKEN = "s3cret-token"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class RatingsApi:
    """Serves /ratings filtered by updated_since (>=), paged, with planned failures."""

    def __init__(self) -> None:
        self.records: list[dict[str, object]] = []
        self.failures: dict[int, list[int]] = {}
        self.requests: list[dict[str, str]] = []
        self.block_page: int | None = None
        self.blocked = threading.Event()
        self.release = threading.Event()

    def add(self, first: int, count: int, at: datetime) -> None:
        for i in range(first, first + count):
            self.records.append(
                {
                    "rating_id": i,
                    "stock_item_id": 1 + i % 200,
                    "stars": 1 + i % 5,
                    "review": f"review {i}",
                    "updated_at": _iso(at + timedelta(seconds=i)),
                }
            )

    def page(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.requests.append(query)
        page, size = int(query.get("page", 1)), int(query.get("per_page", 100))
        planned = self.failures.get(page)
        if planned:
            status = planned.pop(0)
            return status, {"Retry-After": "0.2"} if status == 429 else {}, b"busy"
        if page == self.block_page:
            self.blocked.set()
            self.release.wait(120)
        since = query.get("updated_since")
        rows = sorted(
            (r for r in self.records if since is None or str(r["updated_at"]) >= since),
            key=lambda r: (str(r["updated_at"]), int(r["rating_id"])),
        )
        body = {"data": rows[(page - 1) * size : page * size], "page": page}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


@pytest.fixture
def api() -> Iterator[tuple[RatingsApi, int]]:
    state = RatingsApi()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self.send_response(401)
                self.end_headers()
                return
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            status, headers, body = state.page(query)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, port
    state.release.set()
    server.shutdown()
    server.server_close()


def _source_file(folder: Path, name: str, port: int) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yml"
    path.write_text(f"""
name: {name}
source: tests
url: http://127.0.0.1:{port}/ratings
records: data
auth: {{header: Authorization, env: TEST_RATINGS_TOKEN, prefix: "Bearer "}}
pagination: {{type: page, page_param: page, size_param: per_page, page_size: 100}}
incremental: {{param: updated_since, field: updated_at}}
rate_limit: 50
retries: {{attempts: 4, backoff_seconds: 0.05, max_backoff_seconds: 1}}
primary_key: [rating_id]
columns:
  - {{name: rating_id, type: bigint}}
  - {{name: stock_item_id, type: int, required: true}}
  - {{name: stars, type: int, required: true, min: 1, max: 5}}
  - {{name: review, type: string}}
  - {{name: updated_at, type: timestamp, required: true}}
""")
    return path


def _count(spark, table: str) -> tuple[int, int]:
    row = spark.sql(
        f"select count(*) as n, count(distinct rating_id, updated_at) as k from bronze.{table}"
    ).collect()[0]
    return row["n"], row["k"]


def test_pages_retries_quarantine_and_incremental_watermark(
    api, tmp_path, settings, spark, monkeypatch
):
    state, port = api
    monkeypatch.setenv("TEST_RATINGS_TOKEN", TOKEN)
    source = load_api(_source_file(tmp_path / "apis", "ratings_a", port))
    state.add(1, 248, T0)
    state.records.append({"rating_id": 900, "stock_item_id": 3, "stars": 9, "updated_at": _iso(T0)})
    state.records.append({"rating_id": 901, "stars": 2, "updated_at": _iso(T0)})
    state.failures = {2: [429], 3: [500, 503]}
    first = pull(settings, source)
    assert (first.rows_read, first.landed, first.quarantined) == (250, 248, 2)
    assert set(first.reasons) == {
        "stars: above the maximum 5",
        "stock_item_id: required value missing",
    }
    assert "HTTP 429 x1" in first.notes[1] and "HTTP 500 x1" in first.notes[1]
    assert "HTTP 503 x1" in first.notes[1]
    assert _count(spark, "tests__ratings_a") == (248, 248)
    assert "updated_since" not in state.requests[0]
    newest = _iso(T0 + timedelta(seconds=248))
    # 30 new ratings and 5 changed ones, all after the watermark
    state.requests.clear()
    state.add(1000, 30, T0 + timedelta(days=1))
    for record in state.records[:5]:
        record["stars"], record["updated_at"] = 5, _iso(T0 + timedelta(days=2))
    second = pull(settings, source)
    assert state.requests[0]["updated_since"] == newest
    # the record at exactly the watermark is served again (>=) but not landed twice
    assert second.landed == 35 and any("already in Bronze" in n for n in second.notes)
    assert _count(spark, "tests__ratings_a") == (283, 283)
    # the record that set the watermark changes: its new version lands
    state.records[247]["stars"], state.records[247]["updated_at"] = 1, _iso(T0 + timedelta(days=3))
    third = pull(settings, source)
    assert third.landed == 1 and _count(spark, "tests__ratings_a") == (284, 284)
    fourth = pull(settings, source)
    assert fourth.landed == 0 and _count(spark, "tests__ratings_a") == (284, 284)


def test_kill_9_mid_pull_resumes_from_the_watermark(api, tmp_path, settings, spark, stack_env_vars):
    state, port = api
    apis = tmp_path / "apis"
    _source_file(apis, "ratings_k", port)
    env = {**stack_env_vars, "LAKEPULSE_APIS": str(apis), "TEST_RATINGS_TOKEN": TOKEN}
    state.add(1, 150, T0)
    done = run_cli("ingest", "api", "ratings_k", env=env)
    assert done.returncode == 0, done.stderr
    assert _count(spark, "tests__ratings_k") == (150, 150)
    state.add(2000, 250, T0 + timedelta(days=1))
    state.requests.clear()
    state.block_page = 2
    proc = subprocess.Popen(
        [LAKEPULSE, "ingest", "api", "ratings_k"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert state.blocked.wait(120), "the pull never reached page 2"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _count(spark, "tests__ratings_k") == (150, 150)  # nothing half-landed
    killed_since = state.requests[0]["updated_since"]
    state.block_page = None
    state.release.set()
    state.requests.clear()
    resumed = run_cli("ingest", "api", "ratings_k", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert state.requests[0]["updated_since"] == killed_since
    assert _count(spark, "tests__ratings_k") == (400, 400)


def test_api_errors_are_one_line(api, tmp_path, settings, stack_env_vars, monkeypatch):
    state, port = api
    apis = tmp_path / "apis"
    _source_file(apis, "ratings_e", port)
    env = {**stack_env_vars, "LAKEPULSE_APIS": str(apis)}
    # the exit code of each error class is the CLI's (tests/integration/test_cli_errors.py)
    no_token = run_cli("ingest", "api", "ratings_e", env=env)
    assert no_token.returncode != 0
    assert "ratings_e: the secret is not set" in no_token.stderr
    wrong = run_cli("ingest", "api", "ratings_e", env={**env, "TEST_RATINGS_TOKEN": "nope"})
    assert wrong.returncode != 0 and "401" in wrong.stderr
    state.failures = {1: [503] * 10}
    down = run_cli("ingest", "api", "ratings_e", env={**env, "TEST_RATINGS_TOKEN": TOKEN})
    assert down.returncode != 0 and "failed 4 times (last: HTTP 503)" in down.stderr
    unknown = run_cli("ingest", "api", "nope", env=env)
    assert unknown.returncode != 0 and "ratings_e" in unknown.stderr
    for result in (no_token, wrong, down, unknown):
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stdout + result.stderr
    # the errors name their fix in the hint
    source = load_api(apis / "ratings_e.yml")
    monkeypatch.delenv("TEST_RATINGS_TOKEN", raising=False)
    with pytest.raises(ConfigError) as caught:
        pull(settings, source)
    assert caught.value.hint == "export TEST_RATINGS_TOKEN"
    monkeypatch.setenv("TEST_RATINGS_TOKEN", "nope")
    with pytest.raises(ApiError) as caught:
        pull(settings, source)
    assert "401" in str(caught.value) and "auth.env" in (caught.value.hint or "")
    assert not (
        Path(stack_env_vars["LAKEPULSE_HOME"]) / "lake" / "bronze" / "tests__ratings_e"
    ).exists()
