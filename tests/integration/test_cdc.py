"""Log-based CDC into Bronze against the real Postgres, Sail and metastore."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter

import orjson
import pytest

from infra.errors import EXIT_SERVICE, EXIT_SOURCE
from ingestion.cdc.capture import run
from ingestion.source.db import PUBLICATION, connect
from ingestion.source.seeder import seed
from ingestion.source.simulator import SCHEMA_CHANGE_COLUMN, simulate
from tests.helpers import reset_capture

pytestmark = pytest.mark.stack

SLOT = "lakepulse_cdc"
OPS = {"insert": "c", "update": "u", "delete": "d"}


def reset(spark, settings) -> None:
    reset_capture(spark, settings, SLOT)


def bronze_counts(spark, tables) -> Counter:
    counts: Counter = Counter()
    for table in tables:
        name = "bronze." + table.replace(".", "__")
        for r in spark.sql(f"select _op, count(*) n from {name} group by _op").collect():
            counts[(table, r["_op"])] = r["n"]
    return counts


def capture_error_line(env: dict[str, str], exit_code: int) -> str:
    """Run `lakepulse ingest cdc --once`; it must fail with `exit_code` (the error class's,
    infra.errors) and exactly one stderr line, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "ingest", "cdc", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == exit_code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def ledger_counts(ledger) -> Counter:
    return Counter({(t, OPS[op]): n for (t, op), n in ledger.changes.items()})


@pytest.fixture
def fresh(spark, settings):
    reset(spark, settings)
    report = seed(settings, scale=0.01, seed=42, replace=True)
    yield report
    reset(spark, settings)


def test_snapshot_of_tables_larger_than_a_chunk_lands_every_row(
    fresh, spark, settings, monkeypatch
):
    import ingestion.cdc.capture as capture

    monkeypatch.setattr(capture, "SNAPSHOT_CHUNK", 700)
    assert max(fresh.counts.values()) > 4 * 700  # several chunks for the biggest tables
    summary = run(settings)
    assert {t: n for (t, op), n in summary.events.items() if op == "r"} == fresh.counts
    landed = {t: n for (t, op), n in bronze_counts(spark, fresh.counts).items() if op == "r"}
    assert landed == fresh.counts

    # values land as Postgres holds them: booleans, decimals, padded text, in both the typed
    # columns and the envelope
    with connect(settings) as conn:
        pg = {
            r[0]: r[1:]
            for r in conn.execute(
                "select stock_item_id, is_chiller_stock, unit_price, stock_item_name "
                "from warehouse.stock_items"
            ).fetchall()
        }
    rows = spark.sql(
        "select stock_item_id, is_chiller_stock, unit_price, stock_item_name, "
        "_envelope from bronze.warehouse__stock_items"
    ).collect()
    assert {
        r["stock_item_id"]: (r["is_chiller_stock"], r["unit_price"], r["stock_item_name"])
        for r in rows
    } == pg
    with connect(settings) as conn:
        employees = conn.execute(
            "select count(*) from application.people where is_employee"
        ).fetchone()[0]
    assert (
        employees > 0
        and spark.sql(
            "select count(*) n from bronze.application__people where is_employee"
        ).collect()[0]["n"]
        == employees
    )
    for r in rows:
        after = orjson.loads(r["_envelope"])["after"]
        assert after["is_chiller_stock"] is pg[r["stock_item_id"]][0]
        assert after["unit_price"] == str(pg[r["stock_item_id"]][1])


def test_snapshot_then_stream_reconciles_with_the_ledger(fresh, spark, settings):
    first = run(settings)
    assert first.snapshot_tables == 24
    snap = {t: n for (t, op), n in first.events.items() if op == "r"}
    assert snap == fresh.counts
    assert first.total == sum(fresh.counts.values())

    ledger = simulate(settings, pattern="bulk", rate=4000, duration=3, seed=5)
    second = run(settings)
    assert second.snapshot_tables == 0
    assert Counter(second.events) == ledger_counts(ledger)
    tables = sorted({t for t, _ in ledger.changes})
    stream = Counter({k: v for k, v in bronze_counts(spark, tables).items() if k[1] != "r"})
    assert stream == ledger_counts(ledger)

    # by key: Bronze replayed in commit order gives exactly Postgres's current orders
    latest = spark.sql(
        "select order_id, status, _op from (select *, row_number() over (partition by order_id "
        "order by _lsn desc, _seq desc) rn from bronze.sales__orders) where rn = 1"
    ).collect()
    bronze_state = {r["order_id"]: r["status"] for r in latest if r["_op"] != "d"}
    with connect(settings) as conn:
        pg_state = dict(conn.execute("select order_id, status from sales.orders").fetchall())
    assert bronze_state == pg_state

    # deletes carry before-images (key and values), from the envelope too
    deletes = spark.sql(
        "select order_line_id, quantity, _envelope from bronze.sales__order_lines where _op = 'd'"
    ).collect()
    assert deletes
    assert all(r["order_line_id"] is not None and r["quantity"] is not None for r in deletes)
    assert all('"before":{' in r["_envelope"] and '"after":null' in r["_envelope"] for r in deletes)

    # a multi-table transaction keeps one _tx_id, one commit LSN and a gapless order
    seqs: dict[int, list[int]] = {}
    lsns: dict[int, set[int]] = {}
    for table in tables:
        name = "bronze." + table.replace(".", "__")
        for r in spark.sql(f"select _tx_id, _lsn, _seq from {name} where _op <> 'r'").collect():
            seqs.setdefault(r["_tx_id"], []).append(r["_seq"])
            lsns.setdefault(r["_tx_id"], set()).add(r["_lsn"])
    assert len(seqs) == ledger.transactions
    for tx, seq in seqs.items():
        assert sorted(seq) == list(range(len(seq))), tx
        assert len(lsns[tx]) == 1
    invoicing = spark.sql(
        "select i._tx_id from bronze.sales__invoices i join bronze.sales__invoice_lines l "
        "on i._tx_id = l._tx_id where i._op = 'c' limit 1"
    ).collect()
    assert invoicing

    # a rerun finds nothing new and writes nothing twice
    third = run(settings)
    assert third.total == 0
    for table in tables:
        name = "bronze." + table.replace(".", "__")
        dup = spark.sql(
            f"select count(*) - count(distinct _lsn, _seq, _op) d from {name} where _op <> 'r'"
        ).collect()[0]["d"]
        assert dup == 0, table


def test_kill_9_mid_stream_loses_nothing_and_duplicates_nothing(
    fresh, spark, settings, stack_env_vars
):
    assert run(settings).snapshot_tables == 24
    ledger = simulate(settings, pattern="bulk", rate=1e9, duration=60, max_events=50_000, seed=9)
    assert ledger.events >= 50_000
    rng = random.Random(2024)
    kills = 0
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "ingest", "cdc", "--once", "--batch", "1000"],
            env=stack_env_vars,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(3.5, 8.0))  # start-up takes ~3 s, the drain much longer
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 1
    final = run(settings)
    assert final.snapshot_tables == 0
    tables = sorted({t for t, _ in ledger.changes})
    stream = Counter({k: v for k, v in bronze_counts(spark, tables).items() if k[1] != "r"})
    assert stream == ledger_counts(ledger)  # zero lost
    for table in tables:
        name = "bronze." + table.replace(".", "__")
        dup = spark.sql(
            f"select count(*) - count(distinct _lsn, _seq, _op) d from {name} where _op <> 'r'"
        ).collect()[0]["d"]
        assert dup == 0, table  # zero duplicated


def test_added_source_column_appears_in_bronze(fresh, spark, settings):
    run(settings)
    ledger = simulate(settings, pattern="trickle", rate=400, duration=2, schema_change=True)
    summary = run(settings)
    assert summary.events[("sales.customers", "u")] == ledger.changes[("sales.customers", "update")]
    assert any(SCHEMA_CHANGE_COLUMN in d for d in summary.schema_drift)
    filled = spark.sql(
        f"select count(*) n from bronze.sales__customers where {SCHEMA_CHANGE_COLUMN} is not null"
    ).collect()[0]["n"]
    assert filled == ledger.changes[("sales.customers", "update")]
    assert (
        spark.sql("select count(*) n from bronze.sales__customers where _op = 'r'").collect()[0][
            "n"
        ]
        == fresh.counts["sales.customers"]
    )
    seed(settings, scale=0.01, seed=42, replace=True)


def test_dropped_and_retyped_columns_are_recorded_not_fatal(fresh, spark, settings):
    run(settings)
    with connect(settings, autocommit=True) as conn:
        conn.execute("alter table warehouse.stock_items drop column brand")
        conn.execute("alter table warehouse.stock_items alter column lead_time_days type bigint")
        conn.execute(
            "alter table warehouse.stock_items alter column quantity_per_outer type text "
            "using quantity_per_outer::text || ' units'"
        )
        conn.execute(
            "update warehouse.stock_items set unit_price = unit_price + 1 where stock_item_id <= 5"
        )
    summary = run(settings)
    assert summary.events[("warehouse.stock_items", "u")] == 5
    drift = " | ".join(summary.schema_drift)
    assert "brand no longer sent" in drift
    assert "lead_time_days retyped" in drift
    assert "quantity_per_outer do not fit" in drift
    rows = spark.sql(
        "select brand, lead_time_days, quantity_per_outer, _envelope "
        "from bronze.warehouse__stock_items where _op = 'u'"
    ).collect()
    assert len(rows) == 5
    assert all(r["brand"] is None and r["lead_time_days"] is not None for r in rows)
    assert all(r["quantity_per_outer"] is None and " units" in r["_envelope"] for r in rows)


def test_follow_mode_captures_changes_as_they_commit(fresh, settings):
    import threading

    run(settings)
    result = {}
    follower = threading.Thread(
        target=lambda: result.update(
            summary=run(settings, follow=True, max_seconds=14, poll_seconds=0.2)
        )
    )
    follower.start()
    time.sleep(3)
    ledger = simulate(settings, pattern="trickle", rate=150, duration=4, seed=21)
    follower.join(timeout=120)
    assert not follower.is_alive()
    summary = result["summary"]
    assert summary.batches >= 2  # it picked changes up while they were being made
    assert Counter(summary.events) == ledger_counts(ledger)


def test_slot_in_use_by_another_consumer_is_a_clear_error(fresh, settings, stack_env_vars):
    from infra.services.postgres import bindir

    run(settings)
    dsn = (
        f"host=127.0.0.1 port={settings.ports.postgres} user={settings.pg_user} "
        f"dbname={settings.pg_database}"
    )
    other = subprocess.Popen(
        [
            str(bindir() / "pg_recvlogical"),
            "-d",
            dsn,
            "--slot",
            SLOT,
            "--start",
            "-f",
            "/dev/null",
            "-o",
            "proto_version=1",
            "-o",
            f"publication_names={PUBLICATION}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with connect(settings, autocommit=True) as conn:
            deadline = time.monotonic() + 30
            while not conn.execute(
                "select active from pg_replication_slots where slot_name = %s", (SLOT,)
            ).fetchone()[0]:
                assert time.monotonic() < deadline, "pg_recvlogical never took the slot"
                time.sleep(0.2)
        line = capture_error_line(stack_env_vars, EXIT_SOURCE)
        assert f"slot {SLOT} is in use by another consumer" in line
    finally:
        other.terminate()
        other.wait(timeout=30)


def test_sail_down_is_a_clear_error_and_acknowledges_nothing(fresh, settings, stack_env_vars):
    from tests.helpers import free_port

    run(settings)
    simulate(settings, pattern="trickle", rate=200, duration=1)
    with connect(settings) as conn:
        before = conn.execute(
            "select confirmed_flush_lsn from pg_replication_slots where slot_name = %s", (SLOT,)
        ).fetchone()
    env = dict(stack_env_vars, LAKEPULSE_SAIL_PORT=str(free_port()))  # nothing listens there
    line = capture_error_line(env, EXIT_SERVICE)
    assert "does not answer" in line and "lakepulse up" in line
    with connect(settings) as conn:
        after = conn.execute(
            "select confirmed_flush_lsn from pg_replication_slots where slot_name = %s", (SLOT,)
        ).fetchone()
    assert after == before
    resumed = run(settings)
    assert resumed.total > 0


def test_metastore_down_is_a_clear_error_and_a_rerun_resumes(fresh, settings, stack_env_vars):
    from tests.helpers import run_cli

    run(settings)
    ledger = simulate(settings, pattern="trickle", rate=200, duration=1, seed=3)
    slot_lsn = (
        "select confirmed_flush_lsn from pg_replication_slots where slot_name = %s",
        (SLOT,),
    )
    with connect(settings) as conn:
        before = conn.execute(*slot_lsn).fetchone()
    assert run_cli("down", "--only", "metastore", env=stack_env_vars).returncode == 0
    try:
        line = capture_error_line(stack_env_vars, EXIT_SERVICE)
        assert "Hive Metastore" in line and "lakepulse up" in line
        with connect(settings) as conn:
            assert conn.execute(*slot_lsn).fetchone() == before  # nothing acknowledged
    finally:
        assert run_cli("up", "--only", "metastore", env=stack_env_vars).returncode == 0
    resumed = run(settings)
    assert Counter(resumed.events) == ledger_counts(ledger)


def test_missing_publication_is_a_clear_error(fresh, settings, stack_env_vars):
    with connect(settings, autocommit=True) as conn:
        conn.execute(f"drop publication {PUBLICATION}")
    try:
        line = capture_error_line(stack_env_vars, EXIT_SOURCE)
        assert f"publication {PUBLICATION} is missing" in line
    finally:
        seed(settings, scale=0.01, seed=42, replace=True)


def test_cdc_stream_flow_beats_and_survives_sail_and_postgres_restarts(
    fresh, spark, settings, stack_env_vars
):
    """The cdc_stream flow follows the WAL and reports heartbeats. A Sail restart is ridden
    out (by the Spark Connect client's retries or by a flow restart); a Postgres restart drops
    the replication connection, so the flow restarts the capture. Every change lands once."""
    import threading

    from flows.cdc_stream import cdc_stream
    from flows.deployments import stack_prefect
    from tests.helpers import run_cli

    run(settings)
    result: dict = {}

    def stream() -> None:
        with stack_prefect(settings):
            result.update(
                cdc_stream(
                    run_seconds=70, heartbeat_seconds=3, max_restarts=30, restart_delay_seconds=3
                )
            )

    def trickle(seed: int):
        return simulate(settings, pattern="trickle", rate=150, duration=3, seed=seed)

    follower = threading.Thread(target=stream)
    follower.start()
    time.sleep(6)
    ledgers = [trickle(31)]
    assert run_cli("down", "--only", "sail", env=stack_env_vars).returncode == 0
    ledgers.append(trickle(32))
    time.sleep(3)
    assert run_cli("up", "--only", "sail", env=stack_env_vars).returncode == 0
    ledgers.append(trickle(33))
    time.sleep(3)
    assert run_cli("down", "--only", "postgres", env=stack_env_vars).returncode == 0
    time.sleep(3)
    assert run_cli("up", "--only", "postgres", env=stack_env_vars).returncode == 0
    ledgers.append(trickle(34))
    follower.join(timeout=300)
    assert not follower.is_alive()
    assert result["restarts"] >= 1 and result["heartbeats"] >= 2
    expected = sum((ledger_counts(ledger) for ledger in ledgers), Counter())
    tables = sorted({t for t, _ in expected})
    stream_counts = Counter({k: v for k, v in bronze_counts(spark, tables).items() if k[1] != "r"})
    assert stream_counts == expected
    assert result["events"] == sum(expected.values())


def test_kill_9_during_the_initial_snapshot_is_rolled_back_and_redone(
    fresh, spark, settings, stack_env_vars
):
    """An interrupted snapshot cannot resume (its exported snapshot died with it): the rerun
    drops the slot, removes the unfinished snapshot's rows and snapshots again, once."""
    env = dict(stack_env_vars, LAKEPULSE_CDC_SNAPSHOT_CHUNK="100")
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "ingest", "cdc", "--once"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # second commit of sales.invoices: mid-snapshot, with big tables still to come
    marker = settings.lake_dir / "bronze" / "sales__invoices" / "_delta_log" / f"{1:020d}.json"
    deadline = time.monotonic() + 180
    while not marker.exists():
        assert proc.poll() is None, "the capture ended before it could be killed"
        assert time.monotonic() < deadline, "the snapshot never reached sales.invoices"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = {
        t: n
        for (t, op), n in bronze_counts(
            spark,
            [
                t
                for t in fresh.counts
                if (settings.lake_dir / "bronze" / t.replace(".", "__")).exists()
            ],
        ).items()
        if op == "r"
    }
    assert 0 < sum(partial.values()) < sum(fresh.counts.values())

    summary = run(settings)
    assert any("never finished" in note for note in summary.notes), summary.notes
    assert summary.snapshot_tables == 24
    landed = {t: n for (t, op), n in bronze_counts(spark, fresh.counts).items() if op == "r"}
    assert landed == fresh.counts  # every row once: the unfinished attempt's rows are gone
    for table in fresh.counts:
        name = "bronze." + table.replace(".", "__")
        batches = spark.sql(
            f"select count(distinct _batch_id) n from {name} where _op = 'r'"
        ).collect()[0]["n"]
        assert batches == 1, table

    ledger = simulate(settings, pattern="trickle", rate=300, duration=2, seed=41)
    resumed = run(settings)  # the new slot streams from the new snapshot's point
    assert resumed.snapshot_tables == 0 and not resumed.notes
    assert Counter(resumed.events) == ledger_counts(ledger)


def test_wal_level_not_logical_is_a_clear_error(
    settings, stack_env_vars, home_factory, monkeypatch
):
    """A source Postgres running with wal_level = replica: one line naming the setting."""
    from infra.services import postgres
    from infra.settings import Settings
    from tests.helpers import free_port

    port = free_port()
    monkeypatch.setenv("LAKEPULSE_HOME", str(home_factory("wal")))
    monkeypatch.setenv("LAKEPULSE_PG_PORT", str(port))
    other = Settings.from_env()
    logical = postgres.argv
    monkeypatch.setattr(
        postgres,
        "argv",
        lambda s: ["wal_level=replica" if a == "wal_level=logical" else a for a in logical(s)],
    )
    postgres.start(other)
    try:
        deadline = time.monotonic() + 60
        while not postgres.healthy(other):
            assert time.monotonic() < deadline, "the replica-level Postgres never answered"
            time.sleep(0.3)
        postgres.bootstrap(other)
        line = capture_error_line(dict(stack_env_vars, LAKEPULSE_PG_PORT=str(port)), EXIT_SOURCE)
        assert "wal_level is 'replica'" in line and "wal_level = logical" in line
    finally:
        postgres.stop(other)


def test_table_added_to_the_publication_is_snapshotted_then_streamed(fresh, spark, settings):
    """A table published after the initial snapshot gets its own snapshot at the next run;
    its changes the capture slot saw before that snapshot are in it, not doubled."""
    run(settings)
    with connect(settings, autocommit=True) as conn:
        conn.execute(
            "create table sales.promotions (promotion_id int primary key, "
            "name text not null, discount numeric(5,2))"
        )
        conn.execute("alter table sales.promotions replica identity full")
        conn.execute(
            "insert into sales.promotions select g, 'p' || g, g / 10.0 "
            "from generate_series(1, 500) g"
        )
        conn.execute(f"alter publication {PUBLICATION} add table sales.promotions")
        # published now, so in the slot's stream, but older than the coming snapshot
        conn.execute("update sales.promotions set name = 'early' where promotion_id <= 10")
    try:
        ledger = simulate(settings, pattern="trickle", rate=200, duration=1, seed=51)
        first = run(settings)
        assert any("sales.promotions" in note for note in first.notes), first.notes
        assert first.snapshot_tables == 1
        promo = {op: n for (t, op), n in first.events.items() if t == "sales.promotions"}
        assert promo == {"r": 500}  # the early updates are inside the snapshot
        others = Counter({k: v for k, v in first.events.items() if k[0] != "sales.promotions"})
        assert others == ledger_counts(ledger)
        early = spark.sql(
            "select count(*) n from bronze.sales__promotions where name = 'early'"
        ).collect()[0]["n"]
        assert early == 10

        with connect(settings, autocommit=True) as conn:
            conn.execute("update sales.promotions set discount = 1 where promotion_id <= 5")
            conn.execute("delete from sales.promotions where promotion_id > 497")
            conn.execute("insert into sales.promotions values (501, 'new', 2), (502, 'new', 3)")
        second = run(settings)
        assert second.snapshot_tables == 0 and not second.notes
        assert {op: n for (t, op), n in second.events.items() if t == "sales.promotions"} == {
            "u": 5,
            "d": 3,
            "c": 2,
        }
        latest = spark.sql(
            "select promotion_id, name, discount, _op from (select *, row_number() over "
            "(partition by promotion_id order by _lsn desc, _seq desc) rn "
            "from bronze.sales__promotions) where rn = 1"
        ).collect()
        bronze_state = {
            r["promotion_id"]: (r["name"], r["discount"]) for r in latest if r["_op"] != "d"
        }
        with connect(settings) as conn:
            pg_state = {
                r[0]: (r[1], r[2])
                for r in conn.execute(
                    "select promotion_id, name, discount from sales.promotions"
                ).fetchall()
            }
        assert bronze_state == pg_state
    finally:
        with connect(settings, autocommit=True) as conn:
            conn.execute("drop table if exists sales.promotions")


def test_table_published_while_following_is_snapshotted_without_a_restart(fresh, spark, settings):
    import threading

    run(settings)
    result = {}
    follower = threading.Thread(
        target=lambda: result.update(
            summary=run(settings, follow=True, max_seconds=15, poll_seconds=0.2)
        )
    )
    follower.start()
    try:
        time.sleep(3)
        with connect(settings, autocommit=True) as conn:
            conn.execute(
                "create table sales.promotions (promotion_id int primary key, name text not null)"
            )
            conn.execute("alter table sales.promotions replica identity full")
            conn.execute(
                "insert into sales.promotions select g, 'p' || g from generate_series(1, 300) g"
            )
            conn.execute(f"alter publication {PUBLICATION} add table sales.promotions")
            conn.execute("update sales.promotions set name = 'seen' where promotion_id <= 10")
            time.sleep(4)
            conn.execute("update sales.promotions set name = 'later' where promotion_id > 295")
        follower.join(timeout=120)
        assert not follower.is_alive()
        summary = result["summary"]
        assert any("sales.promotions" in note for note in summary.notes), summary.notes
        assert summary.events[("sales.promotions", "r")] == 300
        latest = spark.sql(
            "select promotion_id, name from (select *, row_number() over (partition by "
            "promotion_id order by _lsn desc, _seq desc) rn from bronze.sales__promotions) "
            "where rn = 1"
        ).collect()
        with connect(settings) as conn:
            pg_state = dict(
                conn.execute("select promotion_id, name from sales.promotions").fetchall()
            )
        assert {r["promotion_id"]: r["name"] for r in latest} == pg_state
        assert sum(1 for name in pg_state.values() if name == "later") == 5
    finally:
        follower.join(timeout=120)
        with connect(settings, autocommit=True) as conn:
            conn.execute("drop table if exists sales.promotions")
