"""The daily pipeline through Prefect: a deployment run on the real stack completes, reports
and matches Postgres; a Silver fault fails the run at the Silver gate and leaves Gold as it was."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from flows.pipeline import REPORT_KEY
from infra.errors import ConfigError
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
    reset_capture(spark, settings, SLOT, layers=("bronze", "silver", "gold", "quality"))
    seed(settings, scale=0.01, seed=5, dirty_rate=0.02, replace=True)
    from prefect.settings import PREFECT_API_URL, temporary_settings

    saved = dict(os.environ)
    prefect_settings = temporary_settings(updates={PREFECT_API_URL: settings.prefect_api_url})
    prefect_settings.__enter__()
    env = {
        **stack_env_vars,
        "PREFECT_API_URL": settings.prefect_api_url,
        "LAKEPULSE_ALERT_WEBHOOK": receiver.url,
    }
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
        reset_capture(spark, settings, SLOT, layers=("bronze", "silver", "gold", "quality"))


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


CUSTOMER_DUPLICATES = (
    "select count(*) - count(distinct customer_id) as d from silver.stg_wwi__customers"
)


def _customer_duplicates(spark) -> int:
    return spark.sql(CUSTOMER_DUPLICATES).collect()[0]["d"]


def _plant_customer_duplicate(spark) -> None:
    spark.sql(
        "insert into silver.stg_wwi__customers "
        "select * from silver.stg_wwi__customers order by customer_id limit 1"
    )


@pytest.fixture
def built(served, spark, settings):
    """Silver and Gold built by a completed run and free of faults planted by other tests,
    whatever ran before (tests run in random order): repairs only what is missing."""
    from infra.engines.spark import table_exists

    if table_exists(spark, "silver", "stg_wwi__customers") and _customer_duplicates(spark):
        repaired = _run("backfill/on-demand", models=["stg_wwi__customers"], full_refresh=True)
        assert repaired.state.is_completed(), repaired.state
    if not table_exists(spark, "gold", "fct_sales"):
        flow_run = _run_deployment()
        assert flow_run.state.is_completed(), flow_run.state
    assert _customer_duplicates(spark) == 0


def _latest_report(key: str = REPORT_KEY) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        reports = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
        assert reports, "no report artifact"
        return reports[0].data


def test_deployment_run_completes_reports_and_matches_postgres(served, spark, settings, receiver):
    # a first run from scratch (other tests may have run the pipeline already): the report
    # then counts every source row as captured
    reset_capture(spark, settings, SLOT, layers=("bronze", "silver", "gold", "quality"))
    alerts_before = len(receiver.received)
    from ingestion.files.ingest import Folders
    from tests.integration.test_dbt_wwi import (
        assert_gold_matches_postgres,
        assert_silver_matches_postgres,
    )

    landing = Folders.of(settings).landing
    landing.mkdir(parents=True, exist_ok=True)
    (landing / "supplier_prices_pipeline.csv").write_text(
        "supplier_id,stock_item_id,unit_price,currency,valid_from\n"
        "1,1,10.00,USD,2026-11-20\n2,2,abc,USD,2026-11-20\n"
    )
    flow_run = _run_deployment()
    assert flow_run.state.is_completed(), flow_run.state
    assert len(receiver.received) == alerts_before  # a completed run sends no alert
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
    assert "| supplier_prices_pipeline.csv | supplier_price_lists | landed | 2 | 1 | 1 |" in report
    assert not (landing / "supplier_prices_pipeline.csv").exists()


def test_a_silver_fault_stops_the_run_at_the_silver_gate_and_leaves_gold(
    built, spark, settings, receiver
):
    from deltalake import DeltaTable

    from infra.lake_gc import described_location

    gold = str(described_location(spark, "gold.fct_sales"))
    version = DeltaTable(gold).version()
    alerts_before = len(receiver.received)
    _plant_customer_duplicate(spark)
    flow_run = _run_deployment()
    assert flow_run.state.is_failed(), flow_run.state
    assert str(described_location(spark, "gold.fct_sales")) == gold
    assert DeltaTable(gold).version() == version
    report = _latest_report()
    assert "# Daily pipeline failed" in report
    assert "silver gate failed" in report
    # the duplicate is caught by the Silver gate's dbt tests, before Gold is touched
    assert "unique_stg_wwi__customers_customer_id" in report
    assert len(receiver.received) == alerts_before + 1
    alert = receiver.received[-1]
    assert alert["flow"] == "daily_pipeline" and alert["run"] == flow_run.name
    assert "silver gate failed" in alert["failure"]


def _run(name: str, **parameters):
    from prefect.deployments import run_deployment

    return run_deployment(name, parameters=parameters, timeout=900)


def _delta_version(spark, table: str) -> int:
    from deltalake import DeltaTable

    from infra.lake_gc import described_location

    return DeltaTable(str(described_location(spark, table))).version()


def test_backfill_dry_run_lists_then_full_refresh_repairs_silver(built, spark, settings):
    """A Silver fault (a duplicate customer) is repaired by a full-refresh backfill, which
    rebuilds the customer model and everything downstream from Bronze; the dry run before it
    only lists them."""
    from flows.backfill import REPORT_KEY as BACKFILL_KEY

    _plant_customer_duplicate(spark)
    assert _customer_duplicates(spark) == 1
    version = _delta_version(spark, "silver.stg_wwi__customers")
    dry = _run("backfill/on-demand", models=["stg_wwi__customers"], full_refresh=True, dry_run=True)
    assert dry.state.is_completed(), dry.state
    nodes = _latest_report(BACKFILL_KEY)
    assert "dry run" in nodes and "- model stg_wwi__customers" in nodes
    assert "- model dim_customer" in nodes and "- model fct_sales" in nodes
    assert "- model stg_wwi__orders\n" not in nodes
    assert _delta_version(spark, "silver.stg_wwi__customers") == version
    done = _run("backfill/on-demand", models=["stg_wwi__customers"], full_refresh=True)
    assert done.state.is_completed(), done.state
    assert _customer_duplicates(spark) == 0


def test_backfill_since_a_date_replays_bronze_changes(built, spark, settings, stack_env_vars):
    from tests.helpers import run_cli
    from tests.integration.test_dbt_wwi import assert_silver_matches_postgres

    spark.sql("update silver.stg_wwi__orders set comments = 'corrupted' where order_id <= 3")
    result = run_cli(
        "backfill",
        "--select",
        "stg_wwi__orders",
        "--since",
        "2000-01-01",
        env={**stack_env_vars, "PREFECT_API_URL": settings.prefect_api_url},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "model fct_sales" in result.stdout
    assert (
        spark.sql(
            "select count(*) as n from silver.stg_wwi__orders where comments = 'corrupted'"
        ).collect()[0]["n"]
        == 0
    )
    assert_silver_matches_postgres(spark, settings)
    bad = run_cli(
        "backfill", "--select", "stg_wwi__orders", "--since", "yesterday", env=stack_env_vars
    )
    assert bad.returncode == ConfigError.exit_code and "YYYY-MM-DD" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_sail_restart_mid_run_is_retried_and_the_run_completes(
    built, spark, settings, stack_env_vars
):
    """Sail is down when the run starts and comes back during it: the source check retries
    and the run completes with Silver and Gold equal to Postgres."""
    import contextvars
    import threading

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        TaskRunFilter,
        TaskRunFilterName,
        TaskRunFilterState,
        TaskRunFilterStateName,
    )

    from ingestion.source.simulator import simulate
    from tests.helpers import run_cli
    from tests.integration.test_dbt_wwi import (
        assert_gold_matches_postgres,
        assert_silver_matches_postgres,
    )

    simulate(settings, pattern="trickle", rate=200, duration=2, seed=77)
    retrying = TaskRunFilter(
        name=TaskRunFilterName(like_="check_sources"),
        state=TaskRunFilterState(name=TaskRunFilterStateName(any_=["AwaitingRetry"])),
    )
    result: dict = {}
    # the thread runs in a copy of this context: the same Prefect API settings
    context = contextvars.copy_context()
    runner = threading.Thread(
        target=lambda: context.run(lambda: result.update(run=_run_deployment()))
    )
    assert run_cli("down", "--only", "sail", env=stack_env_vars).returncode == 0
    try:
        runner.start()
        with get_client(sync_client=True) as client:
            deadline = time.monotonic() + 180
            failed_once = False
            while not failed_once and time.monotonic() < deadline and runner.is_alive():
                failed_once = bool(client.read_task_runs(task_run_filter=retrying))
                time.sleep(0.5)
        assert failed_once, "the source check never failed while Sail was down"
    finally:
        assert run_cli("up", "--only", "sail", env=stack_env_vars).returncode == 0
    runner.join(timeout=900)
    flow_run = result["run"]
    assert flow_run.state.is_completed(), flow_run.state
    with get_client(sync_client=True) as client:
        tasks = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run.id]))
        )
    checks = [t for t in tasks if t.name.startswith("check_sources")]
    assert checks and checks[0].run_count >= 2
    assert_silver_matches_postgres(spark, settings)
    assert_gold_matches_postgres(spark, settings)


def test_table_maintenance_compacts_and_keeps_time_travel(built, spark, settings):
    from deltalake import DeltaTable

    from flows.deployments import stack_prefect
    from flows.maintenance import load_config, maintain_path, table_maintenance
    from infra.lake_gc import described_location
    from ingestion.cdc.capture import run as capture
    from ingestion.source.simulator import simulate

    table = "bronze.sales__orders"
    path = str(described_location(spark, table))
    # Small commits until the table is past its first automatic checkpoint (version 10),
    # whatever ran before this test. Sail 0.7.2 cannot time-travel to the version just
    # before a table's first checkpoint (docs/architecture.md), which a younger table's
    # pre-compaction version would be once maintenance checkpoints it.
    for round_seed in range(100, 120):
        if DeltaTable(path).version() >= 11:
            break
        simulate(settings, pattern="trickle", rate=200, duration=0.5, seed=round_seed)
        capture(settings, slot=SLOT)
    assert DeltaTable(path).version() >= 11
    rows = spark.table(table).count()
    with stack_prefect(settings):
        report = {r["table"]: r for r in table_maintenance(tables=[table, "gold.fct_sales"])}
    orders = report[table]
    assert orders["error"] is None and orders["zorder"] == ["order_id"]
    days = spark.sql(f"select count(distinct _ingest_date) as n from {table}").collect()[0]["n"]
    assert orders["active_files_before"] > days and orders["active_files_after"] == days
    assert orders["checkpoint"] and orders["vacuumed"] == 0  # inside the time-travel window
    assert load_config().time_travel_hours == 168
    assert spark.table(table).count() == rows
    old = spark.read.format("delta").option("versionAsOf", orders["version_before"]).load(path)
    assert old.count() == rows  # time travel to before the compaction still works
    assert report["gold.fct_sales"]["error"] is None
    # with no window, vacuum removes the compacted-away files: only live files stay on disk
    swept = maintain_path(settings, table, path, [], 128, retention_hours=0)
    assert swept.vacuumed >= orders["active_files_before"]
    assert swept.disk_files_after == swept.active_files_after == days
    assert spark.table(table).count() == rows
    # Sail keeps writing to the maintained table (the next capture appends to it)
    from ingestion.cdc.capture import run

    run(settings)
