"""The WWI source in the real Postgres: schema, deterministic seed, planted mess, simulator."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections import Counter

import psycopg
import pytest

from infra.errors import ConfigError, SourceError
from infra.settings import Settings
from ingestion.source.db import PUBLICATION, connect
from ingestion.source.generator import PHONE_PATTERN, TABLE_ORDER, VALID_STATUSES
from ingestion.source.seeder import content_hash, seed
from ingestion.source.simulator import SCHEMA_CHANGE_COLUMN, simulate
from tests.helpers import free_port, run_cli

pytestmark = pytest.mark.stack


@pytest.fixture
def seeded(settings):
    """A freshly seeded source per test: other tests of the module simulate changes and
    reseed, and tests run in random order."""
    return seed(settings, scale=0.01, seed=42, dirty_rate=0.0, replace=True)


def test_schema_has_tables_keys_replica_identity_and_publication(seeded, settings):
    with connect(settings) as conn:
        tables = {
            f"{s}.{t}"
            for s, t in conn.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema in ('application', 'sales', 'warehouse', 'purchasing')"
            ).fetchall()
        }
        assert tables == set(TABLE_ORDER)
        for table in TABLE_ORDER:
            pk = conn.execute(
                "select count(*) from pg_index where indrelid = %s::regclass and indisprimary",
                (table,),
            ).fetchone()[0]
            assert pk == 1, table
            ident = conn.execute(
                "select relreplident from pg_class where oid = %s::regclass", (table,)
            ).fetchone()[0]
            assert ident == "f", table
            edited = conn.execute(
                "select data_type from information_schema.columns where table_schema || '.' || "
                "table_name = %s and column_name = 'last_edited_when'",
                (table,),
            ).fetchone()
            assert edited == ("timestamp with time zone",), table
        fks = conn.execute(
            "select count(*) from information_schema.table_constraints "
            "where constraint_type = 'FOREIGN KEY' and constraint_schema in "
            "('application', 'sales', 'warehouse', 'purchasing')"
        ).fetchone()[0]
        assert fks >= 40
        published = {
            f"{s}.{t}"
            for s, t in conn.execute(
                "select schemaname, tablename from pg_publication_tables where pubname = %s",
                (PUBLICATION,),
            ).fetchall()
        }
        assert published == set(TABLE_ORDER)
        emails = conn.execute(
            "select count(*) from sales.customers where email_address is null "
            "or phone_number is null"
        ).fetchone()[0]
        assert emails == 0


def test_counts_match_the_report_and_are_referentially_intact(seeded, settings):
    with connect(settings) as conn:
        for table, expected in seeded.counts.items():
            assert conn.execute(f"select count(*) from {table}").fetchone()[0] == expected
        orphans = conn.execute(
            "select count(*) from sales.order_lines l left join sales.orders o using (order_id) "
            "where o.order_id is null"
        ).fetchone()[0]
        assert orphans == 0
        not_valid = conn.execute(
            "select count(*) from pg_constraint where contype = 'f' and not convalidated"
        ).fetchone()[0]
        assert not_valid == 0  # every foreign key was checked against the loaded rows
    big = (
        "sales.orders",
        "sales.order_lines",
        "sales.invoices",
        "sales.invoice_lines",
        "warehouse.stock_item_transactions",
    )
    assert sum(seeded.counts[t] for t in big) > 0.9 * sum(seeded.counts.values())


def test_same_seed_same_hash_other_seed_other_hash(seeded, settings):
    again = seed(settings, scale=0.01, seed=42, replace=True)
    assert again.content_hash == seeded.content_hash
    other = seed(settings, scale=0.01, seed=43, replace=True)
    assert other.content_hash != seeded.content_hash
    back = seed(settings, scale=0.01, seed=42, replace=True)
    assert back.content_hash == seeded.content_hash


def _measured_mess(conn: psycopg.Connection) -> dict[str, int]:
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    return {
        "messy_emails": one(
            "select count(*) from sales.customers where email_address <> lower(trim(email_address))"
        ),
        "nonstandard_phones": one(
            f"select count(*) from sales.customers where phone_number !~ '{PHONE_PATTERN}'"
        ),
        "padded_names": one(
            "select count(*) from sales.customers "
            "where customer_name <> trim(regexp_replace(customer_name, '\\s+', ' ', 'g'))"
        ),
        "duplicate_customers": one(
            "select count(*) - count(distinct lower(trim(email_address))) from sales.customers"
        ),
        "negative_quantities": one("select count(*) from sales.order_lines where quantity < 0"),
        "unknown_statuses": conn.execute(
            "select count(*) from sales.orders where not (status = any(%s))",
            (sorted(VALID_STATUSES),),
        ).fetchone()[0],
    }


def test_dirty_rate_zero_plants_nothing_and_positive_plants_what_it_reports(settings):
    clean = seed(settings, scale=0.05, seed=42, dirty_rate=0.0, replace=True)
    assert set(clean.planted.values()) == {0}
    with connect(settings) as conn:
        assert set(_measured_mess(conn).values()) == {0}
    dirty = seed(settings, scale=0.05, seed=42, dirty_rate=0.2, replace=True)
    assert all(n > 0 for n in dirty.planted.values()), dirty.planted
    with connect(settings) as conn:
        assert _measured_mess(conn) == dirty.planted
    seed(settings, scale=0.01, seed=42, replace=True)


def _decoded_changes(conn: psycopg.Connection, slot: str) -> Counter[tuple[str, str]]:
    """Count row changes per (table, op) from a test_decoding slot (independent of the ledger)."""
    pattern = re.compile(r"^table (\S+): (INSERT|UPDATE|DELETE):")
    counts: Counter[tuple[str, str]] = Counter()
    for (data,) in conn.execute(
        "select data from pg_logical_slot_get_changes(%s, null, null)", (slot,)
    ).fetchall():
        match = pattern.match(data)
        if match:
            counts[(match.group(1), match.group(2).lower())] += 1
    return counts


@pytest.mark.parametrize(
    ("pattern", "rate", "duration"), [("trickle", 150, 3), ("bulk", 3000, 2), ("burst", 150, 6)]
)
def test_simulator_ledger_matches_the_committed_changes(settings, pattern, rate, duration):
    seed(settings, scale=0.01, seed=42, replace=True)
    slot = f"ledger_check_{pattern}"
    with connect(settings, autocommit=True) as conn:
        conn.execute("select pg_create_logical_replication_slot(%s, 'test_decoding')", (slot,))
        try:
            ledger = simulate(settings, pattern=pattern, rate=rate, duration=duration, seed=11)
            decoded = _decoded_changes(conn, slot)
        finally:
            conn.execute("select pg_drop_replication_slot(%s)", (slot,))
    assert ledger.events > 0
    assert dict(ledger.changes) == dict(decoded)
    ops = {op for _, op in ledger.changes}
    assert {"insert", "update"} <= ops


def test_schema_change_adds_the_column_and_fills_it(settings):
    seed(settings, scale=0.01, seed=42, replace=True)
    ledger = simulate(settings, pattern="trickle", rate=300, duration=2, schema_change=True)
    assert ledger.ddl and SCHEMA_CHANGE_COLUMN in ledger.ddl[0]
    with connect(settings) as conn:
        column = conn.execute(
            "select is_nullable from information_schema.columns where table_schema = 'sales' "
            "and table_name = 'customers' and column_name = %s",
            (SCHEMA_CHANGE_COLUMN,),
        ).fetchone()
        assert column == ("YES",)
        filled = conn.execute(
            f"select count(*) from sales.customers where {SCHEMA_CHANGE_COLUMN} is not null"
        ).fetchone()[0]
        assert 0 < filled <= ledger.changes[("sales.customers", "update")]
    seed(settings, scale=0.01, seed=42, replace=True)  # back to the plain schema


def _one_line_error(result) -> str:
    # the exit code of each error class is the CLI's (tests/integration/test_cli_errors.py)
    assert result.returncode != 0, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return lines[0]


def test_bad_input_gives_one_line_errors(stack_env_vars, settings, monkeypatch):
    seed(settings, scale=0.01, seed=42, replace=True)
    env = stack_env_vars
    line = _one_line_error(run_cli("simulate", "--pattern", "storm", env=env))
    assert "unknown pattern 'storm'" in line
    line = _one_line_error(run_cli("simulate", "--rate", "0", env=env))
    assert "--rate must be positive" in line
    line = _one_line_error(run_cli("seed", "--scale", "-1", env=env))
    assert "--scale must be positive" in line
    line = _one_line_error(run_cli("seed", "--scale", "0.01", env=env))
    assert "already holds the WWI schema" in line
    dead = dict(env, LAKEPULSE_PG_PORT=str(free_port()))  # nothing listens there
    line = _one_line_error(run_cli("simulate", env=dead))
    assert "cannot connect to Postgres" in line
    # each names its fix in the hint
    monkeypatch.setenv("LAKEPULSE_PG_PORT", dead["LAKEPULSE_PG_PORT"])
    for call, kind, hint in (
        (lambda: simulate(settings, pattern="storm"), ConfigError, "trickle"),
        (lambda: seed(settings, scale=-1), ConfigError, "--scale 0.01"),
        (lambda: seed(settings, scale=0.01), SourceError, "--replace"),
        (lambda: connect(Settings.from_env()), SourceError, "lakepulse up"),
    ):
        with pytest.raises(kind) as caught:
            call()
        assert caught.value.hint and hint in caught.value.hint, caught.value.line()


def test_a_killed_seed_leaves_the_previous_data_intact(stack_env_vars, settings):
    before = seed(settings, scale=0.01, seed=42, replace=True).content_hash
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "seed", "--scale", "0.3", "--replace"],
        env=stack_env_vars,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with connect(settings, autocommit=True) as conn:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                copying = conn.execute(
                    "select count(*) from pg_stat_activity where query ilike 'copy sales.%%'"
                ).fetchone()[0]
                if copying:
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the seed never reached its COPY phase")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    with connect(settings, autocommit=True) as conn:
        deadline = time.monotonic() + 30
        while (
            conn.execute(
                "select count(*) from pg_stat_activity where query ilike 'copy %%' and pid <> "
                "pg_backend_pid()"
            ).fetchone()[0]
            and time.monotonic() < deadline
        ):
            time.sleep(0.2)
        assert content_hash(conn) == before
