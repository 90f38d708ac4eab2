"""The daily pipeline through Prefect: a deployment run on the real stack completes, reports
and matches Postgres; a Silver fault fails the run at the Silver gate and leaves Gold as it was."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from flows.pipeline import REPORT_KEY
from ingestion.source.seeder import seed
from tests.helpers import LAKEPULSE, reset_capture

pytestmark = pytest.mark.stack

SLOT = "lakepulse_cdc"
DEPLOYMENT = "daily_pipeline/daily"


class Receiver:
    """A local HTTP endpoint that records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length", 0))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def receiver():
    hook = Receiver()
    yield hook
    hook.server.shutdown()


@pytest.fixture(scope="module")
def served(spark, settings, stack_env_vars, receiver):
    """A seeded source and a `lakepulse deploy` process serving the daily pipeline."""
    reset_capture(spark, settings, SLOT, layers=("bronze", "silver", "gold"))
    seed(settings, scale=0.01, seed=5, dirty_rate=0.02, replace=True)
    from prefect.settings import PREFECT_API_URL, temporary_settings

    saved = dict(os.environ)
    prefect_settings = temporary_settings(updates={PREFECT_API_URL: settings.prefect_api_url})
    prefect_settings.__enter__()
    env = {**stack_env_vars, "PREFECT_API_URL": settings.prefect_api_url,
           "LAKEPULSE_ALERT_WEBHOOK": receiver.url}
    log = open(settings.log_dir / "deploy-test.log", "w")  # noqa: SIM115
    server = subprocess.Popen([LAKEPULSE, "deploy"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_deployment()
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        prefect_settings.__exit__(None, None, None)
        os.environ.clear()
        os.environ.update(saved)
        reset_capture(spark, settings, SLOT, layers=("bronze", "silver", "gold"))


def _wait_for_deployment() -> None:
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + 120
    with get_client(sync_client=True) as client:
        while True:
            try:
                client.read_deployment_by_name(DEPLOYMENT)
                return
            except Exception:
                assert time.monotonic() < deadline, "deployment never registered"
                time.sleep(1)


def _run_deployment():
    from prefect.deployments import run_deployment

    return run_deployment(DEPLOYMENT, timeout=900)


def _latest_report() -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        reports = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[REPORT_KEY])),
            sort=ArtifactSort.CREATED_DESC, limit=1)
        assert reports, "no report artifact"
        return reports[0].data


def test_deployment_run_completes_reports_and_matches_postgres(served, spark, settings, receiver):
    from ingestion.files.ingest import Folders
    from tests.integration.test_dbt_wwi import (
        assert_gold_matches_postgres,
        assert_silver_matches_postgres,
    )

    landing = Folders.of(settings).landing
    landing.mkdir(parents=True, exist_ok=True)
    (landing / "supplier_prices_pipeline.csv").write_text(
        "supplier_id,stock_item_id,unit_price,currency,valid_from\n"
        "1,1,10.00,USD,2026-11-20\n2,2,abc,USD,2026-11-20\n")
    flow_run = _run_deployment()
    assert flow_run.state.is_completed(), flow_run.state
    assert receiver.received == []
    assert_silver_matches_postgres(spark, settings)
    assert_gold_matches_postgres(spark, settings)
    report = _latest_report()
    assert "# Daily pipeline completed" in report
    from ingestion.source.db import connect

    with connect(settings) as conn:
        orders = conn.execute("select count(*) from sales.orders").fetchone()[0]
    assert f"| sales.orders | {orders:,} |" in report
    for layer in ("bronze", "silver", "gold"):
        assert f"| {layer} | passed |" in report
    assert ("| supplier_prices_pipeline.csv | supplier_price_lists | landed | 2 | 1 | 1 |"
            in report)
    assert not (landing / "supplier_prices_pipeline.csv").exists()


def test_a_silver_fault_stops_the_run_at_the_silver_gate_and_leaves_gold(
    served, spark, settings, receiver
):
    from deltalake import DeltaTable

    from infra.lake_gc import described_location

    gold = str(described_location(spark, "gold.fct_sales"))
    version = DeltaTable(gold).version()
    spark.sql("insert into silver.stg_wwi__customers "
              "select * from silver.stg_wwi__customers order by customer_id limit 1")
    flow_run = _run_deployment()
    assert flow_run.state.is_failed(), flow_run.state
    assert str(described_location(spark, "gold.fct_sales")) == gold
    assert DeltaTable(gold).version() == version
    report = _latest_report()
    assert "# Daily pipeline failed" in report
    assert "silver gate failed" in report
    # the duplicate is caught by the Silver gate's dbt tests, before Gold is touched
    assert "unique_stg_wwi__customers_customer_id" in report
    assert len(receiver.received) == 1
    alert = receiver.received[0]
    assert alert["flow"] == "daily_pipeline" and alert["run"] == flow_run.name
    assert "silver gate failed" in alert["failure"]
