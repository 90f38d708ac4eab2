"""`lakepulse simulate`: realistic OLTP work against the WWI source, with a ledger.

Each operation is one transaction spanning tables (a new order with its
lines; invoicing with stock issues and holdings; status changes; customer
contact changes; cancellations; inventory movements; price changes). The
ledger counts, per table and operation, the rows each committed statement
changed (the statement's rowcount), so CDC tests can prove nothing was lost.
Run one simulator at a time per database: ids are allocated in process.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from infra.errors import ConfigError, SourceError
from infra.settings import Settings
from ingestion.source.db import connect, wwi_loaded

PATTERNS = ("trickle", "bulk", "burst")
SCHEMA_CHANGE_COLUMN = "loyalty_tier"
LOYALTY_TIERS = ("bronze", "silver", "gold", "platinum")
BULK_EVENTS_PER_TX = 1000
BURST_PERIOD_S = 5.0
BURST_ON_S = 1.0


@dataclass
class Ledger:
    """What the simulator committed: row changes per (table, op), transactions, DDL."""

    changes: Counter[tuple[str, str]] = field(default_factory=Counter)
    transactions: int = 0
    ddl: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def events(self) -> int:
        return sum(self.changes.values())

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def by_table(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (table, op), n in sorted(self.changes.items()):
            out.setdefault(table, {})[op] = n
        return out


@dataclass
class _State:
    rng: random.Random
    next_id: dict[str, int]
    open_orders: list[int]
    invoiced_orders: list[int]
    customers: list[int]
    items: dict[int, tuple[float, float, int]]  # id -> (price, tax rate, package type)
    has_loyalty: bool

    def take_id(self, table: str) -> int:
        self.next_id[table] += 1
        return self.next_id[table]


ID_COLUMNS = {
    "sales.orders": "order_id",
    "sales.order_lines": "order_line_id",
    "sales.invoices": "invoice_id",
    "sales.invoice_lines": "invoice_line_id",
    "warehouse.stock_item_transactions": "stock_item_transaction_id",
}


def _load_state(conn: psycopg.Connection, seed: int) -> _State:
    def newest(table: str, column: str) -> int:
        row = conn.execute(f"select coalesce(max({column}), 0) from {table}").fetchone()
        return int(row[0]) if row else 0

    next_id = {table: newest(table, column) for table, column in ID_COLUMNS.items()}

    def ids(sql: str) -> list[int]:
        return [r[0] for r in conn.execute(sql).fetchall()]

    items = {
        r[0]: (float(r[1]), float(r[2]), r[3])
        for r in conn.execute(
            "select stock_item_id, unit_price, tax_rate, unit_package_id from warehouse.stock_items"
        ).fetchall()
    }
    has_loyalty = bool(
        conn.execute(
            "select 1 from information_schema.columns where table_schema = 'sales' "
            "and table_name = 'customers' and column_name = %s",
            (SCHEMA_CHANGE_COLUMN,),
        ).fetchone()
    )
    return _State(
        rng=random.Random(f"simulate:{seed}"),
        next_id=next_id,
        open_orders=ids("select order_id from sales.orders where status in ('entered', 'picked')"),
        invoiced_orders=ids("select order_id from sales.orders where status = 'invoiced'"),
        customers=ids("select customer_id from sales.customers"),
        items=items,
        has_loyalty=has_loyalty,
    )


Change = Callable[[str, str, int], None]  # (table, op, rows)


def _now() -> datetime:
    return datetime.now(UTC)


def new_order(cur: psycopg.Cursor, s: _State, record: Change) -> None:
    order_id = s.take_id("sales.orders")
    customer = s.rng.choice(s.customers)
    today = _now().date()
    cur.execute(
        "insert into sales.orders (order_id, customer_id, salesperson_person_id, "
        "contact_person_id, order_date, expected_delivery_date, customer_purchase_order_number, "
        "status, comments, last_edited_when) select %s, customer_id, %s, "
        "primary_contact_person_id, %s, %s, %s, 'entered', null, now() "
        "from sales.customers where customer_id = %s",
        (
            order_id,
            s.rng.randint(1, 10),
            today,
            today + timedelta(days=1),
            str(s.rng.randint(10000, 99999)),
            customer,
        ),
    )
    record("sales.orders", "insert", cur.rowcount)
    for item_id in s.rng.sample(sorted(s.items), k=s.rng.randint(1, 5)):
        price, rate, package = s.items[item_id]
        cur.execute(
            "insert into sales.order_lines (order_line_id, order_id, stock_item_id, description, "
            "package_type_id, quantity, unit_price, tax_rate, picked_quantity, last_edited_when) "
            "select %s, %s, stock_item_id, stock_item_name, %s, %s, %s, %s, 0, now() "
            "from warehouse.stock_items where stock_item_id = %s",
            (
                s.take_id("sales.order_lines"),
                order_id,
                package,
                s.rng.randint(1, 60),
                price,
                rate,
                item_id,
            ),
        )
        record("sales.order_lines", "insert", cur.rowcount)
    s.open_orders.append(order_id)


def invoice_order(cur: psycopg.Cursor, s: _State, record: Change) -> None:
    if not s.open_orders:
        return new_order(cur, s, record)
    order_id = s.open_orders.pop(s.rng.randrange(len(s.open_orders)))
    invoice_id = s.take_id("sales.invoices")
    cur.execute(
        "insert into sales.invoices (invoice_id, customer_id, bill_to_customer_id, order_id, "
        "delivery_method_id, contact_person_id, salesperson_person_id, invoice_date, "
        "customer_purchase_order_number, total_dry_items, total_chiller_items, "
        "confirmed_delivery_time, last_edited_when) "
        "select %s, o.customer_id, c.bill_to_customer_id, o.order_id, c.delivery_method_id, "
        "o.contact_person_id, o.salesperson_person_id, current_date, "
        "o.customer_purchase_order_number, 0, 0, null, now() "
        "from sales.orders o join sales.customers c using (customer_id) where o.order_id = %s",
        (invoice_id, order_id),
    )
    record("sales.invoices", "insert", cur.rowcount)
    cur.execute(
        "select order_line_id, stock_item_id, description, package_type_id, abs(quantity), "
        "unit_price, tax_rate from sales.order_lines where order_id = %s order by order_line_id",
        (order_id,),
    )
    for _line_id, item_id, desc, package, qty, price, rate in cur.fetchall():
        net = float(price or 0) * qty
        tax = net * float(rate) / 100
        cur.execute(
            "insert into sales.invoice_lines (invoice_line_id, invoice_id, stock_item_id, "
            "description, package_type_id, quantity, unit_price, tax_rate, tax_amount, "
            "line_profit, extended_price, last_edited_when) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())",
            (
                s.take_id("sales.invoice_lines"),
                invoice_id,
                item_id,
                desc,
                package,
                qty,
                price,
                rate,
                round(tax, 2),
                round(net * 0.35, 2),
                round(net + tax, 2),
            ),
        )
        record("sales.invoice_lines", "insert", cur.rowcount)
        cur.execute(
            "insert into warehouse.stock_item_transactions (stock_item_transaction_id, "
            "stock_item_id, transaction_type, customer_id, invoice_id, supplier_id, "
            "purchase_order_id, transaction_occurred_when, quantity, last_edited_when) "
            "select %s, %s, 'Stock Issue', customer_id, %s, null, null, now(), %s, now() "
            "from sales.invoices where invoice_id = %s",
            (s.take_id("warehouse.stock_item_transactions"), item_id, invoice_id, -qty, invoice_id),
        )
        record("warehouse.stock_item_transactions", "insert", cur.rowcount)
        cur.execute(
            "update warehouse.stock_item_holdings set quantity_on_hand = quantity_on_hand - %s, "
            "last_edited_when = now() where stock_item_id = %s",
            (qty, item_id),
        )
        record("warehouse.stock_item_holdings", "update", cur.rowcount)
    cur.execute(  # the invoice's item totals are the sums of its lines, dry and chiller
        "update sales.invoices i set total_dry_items = t.dry, total_chiller_items = t.chiller "
        "from (select coalesce(sum(l.quantity) filter (where not si.is_chiller_stock), 0) dry, "
        "coalesce(sum(l.quantity) filter (where si.is_chiller_stock), 0) chiller "
        "from sales.invoice_lines l join warehouse.stock_items si using (stock_item_id) "
        "where l.invoice_id = %s) t where i.invoice_id = %s",
        (invoice_id, invoice_id),
    )
    record("sales.invoices", "update", cur.rowcount)
    cur.execute(
        "update sales.order_lines set picked_quantity = abs(quantity), last_edited_when = now() "
        "where order_id = %s",
        (order_id,),
    )
    record("sales.order_lines", "update", cur.rowcount)
    cur.execute(
        "update sales.orders set status = 'invoiced', last_edited_when = now() where order_id = %s",
        (order_id,),
    )
    record("sales.orders", "update", cur.rowcount)
    s.invoiced_orders.append(order_id)


def status_change(cur: psycopg.Cursor, s: _State, record: Change) -> None:
    if s.invoiced_orders and s.rng.random() < 0.6:
        order_id = s.invoiced_orders.pop(s.rng.randrange(len(s.invoiced_orders)))
        cur.execute(
            "update sales.orders set status = 'delivered', last_edited_when = now() "
            "where order_id = %s",
            (order_id,),
        )
        record("sales.orders", "update", cur.rowcount)
        cur.execute(
            "update sales.invoices set confirmed_delivery_time = now(), last_edited_when = now() "
            "where order_id = %s",
            (order_id,),
        )
        record("sales.invoices", "update", cur.rowcount)
    elif s.open_orders:
        order_id = s.rng.choice(s.open_orders)
        cur.execute(
            "update sales.orders set status = 'picked', last_edited_when = now() "
            "where order_id = %s and status = 'entered'",
            (order_id,),
        )
        record("sales.orders", "update", cur.rowcount)
    else:
        new_order(cur, s, record)


def customer_contact_change(cur: psycopg.Cursor, s: _State, record: Change) -> None:
    customer = s.rng.choice(s.customers)
    phone = f"({s.rng.randint(201, 989)}) 555-0{s.rng.randint(100, 999)}"
    email = f"contact{s.rng.randint(1, 10**6)}.{customer}@example.net"
    if s.has_loyalty:
        cur.execute(
            f"update sales.customers set phone_number = %s, email_address = %s, "
            f"{SCHEMA_CHANGE_COLUMN} = %s, last_edited_when = now() where customer_id = %s",
            (phone, email, s.rng.choice(LOYALTY_TIERS), customer),
        )
    else:
        cur.execute(
            "update sales.customers set phone_number = %s, email_address = %s, "
            "last_edited_when = now() where customer_id = %s",
            (phone, email, customer),
        )
    record("sales.customers", "update", cur.rowcount)


def cancellation(cur: psycopg.Cursor, s: _State, record: Change) -> None:
    if not s.open_orders:
        return new_order(cur, s, record)
    order_id = s.open_orders.pop(s.rng.randrange(len(s.open_orders)))
    cur.execute("delete from sales.order_lines where order_id = %s", (order_id,))
    record("sales.order_lines", "delete", cur.rowcount)
    cur.execute("delete from sales.orders where order_id = %s", (order_id,))
    record("sales.orders", "delete", cur.rowcount)


def inventory_movement(cur: psycopg.Cursor, s: _State, record: Change) -> None:
    item_id = s.rng.choice(sorted(s.items))
    qty = s.rng.choice((-1, 1)) * s.rng.randint(1, 50)
    kind = "Stock Receipt" if qty > 0 else "Stock Adjustment"
    cur.execute(
        "insert into warehouse.stock_item_transactions (stock_item_transaction_id, stock_item_id, "
        "transaction_type, customer_id, invoice_id, supplier_id, purchase_order_id, "
        "transaction_occurred_when, quantity, last_edited_when) "
        "values (%s, %s, %s, null, null, null, null, now(), %s, now())",
        (s.take_id("warehouse.stock_item_transactions"), item_id, kind, qty),
    )
    record("warehouse.stock_item_transactions", "insert", cur.rowcount)
    cur.execute(
        "update warehouse.stock_item_holdings set quantity_on_hand = quantity_on_hand + %s, "
        "last_edited_when = now() where stock_item_id = %s",
        (qty, item_id),
    )
    record("warehouse.stock_item_holdings", "update", cur.rowcount)


def price_change(cur: psycopg.Cursor, s: _State, record: Change) -> None:
    item_id = s.rng.choice(sorted(s.items))
    price, rate, package = s.items[item_id]
    new_price = round(max(0.5, price * s.rng.uniform(0.9, 1.1)), 2)
    cur.execute(
        "update warehouse.stock_items set unit_price = %s, last_edited_when = now() "
        "where stock_item_id = %s",
        (new_price, item_id),
    )
    record("warehouse.stock_items", "update", cur.rowcount)
    s.items[item_id] = (new_price, rate, package)


OPERATIONS: list[tuple[Callable[[psycopg.Cursor, _State, Change], None], float]] = [
    (new_order, 0.35),
    (invoice_order, 0.20),
    (status_change, 0.15),
    (customer_contact_change, 0.10),
    (cancellation, 0.07),
    (inventory_movement, 0.08),
    (price_change, 0.05),
]


def validate(pattern: str, rate: float, duration: float, max_events: int | None) -> None:
    if pattern not in PATTERNS:
        raise ConfigError(f"unknown pattern {pattern!r}", hint=f"use one of {', '.join(PATTERNS)}")
    if not rate > 0:
        raise ConfigError(f"--rate must be positive events/s (got {rate})", hint="e.g. --rate 50")
    if not duration > 0:
        raise ConfigError(
            f"--duration must be positive seconds (got {duration})", hint="e.g. --duration 60"
        )
    if max_events is not None and max_events <= 0:
        raise ConfigError(
            f"--events must be positive (got {max_events})", hint="e.g. --events 1000"
        )


def add_schema_change(conn: psycopg.Connection, ledger: Ledger) -> None:
    """Add a nullable column to customers; later contact changes fill it."""
    with conn.transaction():
        conn.execute(
            f"alter table sales.customers add column if not exists {SCHEMA_CHANGE_COLUMN} text"
        )
    ledger.ddl.append(f"alter table sales.customers add column {SCHEMA_CHANGE_COLUMN} text")


def simulate(
    settings: Settings,
    *,
    pattern: str = "trickle",
    rate: float = 50.0,
    duration: float = 10.0,
    max_events: int | None = None,
    seed: int = 7,
    schema_change: bool = False,
    on_commit: Callable[[Ledger], None] | None = None,
) -> Ledger:
    """Run the pattern until `duration` seconds passed or `max_events` row changes committed."""
    validate(pattern, rate, duration, max_events)
    ledger = Ledger()
    with connect(settings, autocommit=True) as conn:
        if not wwi_loaded(conn):
            raise SourceError(
                "the WWI schema is not loaded", hint="run `lakepulse seed --scale 0.01` first"
            )
        if schema_change:
            add_schema_change(conn, ledger)
        state = _load_state(conn, seed)
        ops, weights = zip(*OPERATIONS, strict=True)
        if schema_change:  # fill the new column quickly
            weights = tuple(
                w * 4 if op is customer_contact_change else w
                for op, w in zip(ops, weights, strict=True)
            )
        began = time.monotonic()
        while True:
            elapsed = time.monotonic() - began
            if elapsed >= duration or (max_events is not None and ledger.events >= max_events):
                break
            target_rate, tx_events = _pacing(pattern, rate, elapsed)
            if target_rate == 0:
                time.sleep(min(0.05, duration - elapsed))
                continue
            pending: Counter[tuple[str, str]] = Counter()

            def record(
                table: str, op: str, rows: int, pending: Counter[tuple[str, str]] = pending
            ) -> None:
                if rows:
                    pending[(table, op)] += rows

            snapshot = _snapshot(state)
            try:
                with conn.transaction(), conn.cursor() as cur:
                    while sum(pending.values()) < tx_events:
                        op = state.rng.choices(ops, weights)[0]
                        op(cur, state, record)
                        if (
                            max_events is not None
                            and ledger.events + sum(pending.values()) >= max_events
                        ):
                            break
            except psycopg.Error:
                _restore(state, snapshot)  # rolled back: nothing of it counts
                raise
            ledger.changes.update(pending)
            ledger.transactions += 1
            if on_commit:
                on_commit(ledger)
            # pace: stay at or under the target events/s
            ahead = (
                ledger.events / target_rate - (time.monotonic() - began)
                if pattern == "trickle"
                else sum(pending.values()) / target_rate
            )
            if ahead > 0:
                time.sleep(min(ahead, max(0.0, duration - (time.monotonic() - began))))
        ledger.seconds = time.monotonic() - began
    return ledger


def _pacing(pattern: str, rate: float, elapsed: float) -> tuple[float, int]:
    """(events/s to aim for now, events per transaction) for a pattern at this moment."""
    if pattern == "trickle":
        return rate, 1
    if pattern == "bulk":
        return rate, BULK_EVENTS_PER_TX
    in_burst = (elapsed % BURST_PERIOD_S) < BURST_ON_S
    return (rate * BURST_PERIOD_S / BURST_ON_S, 1) if in_burst else (0.0, 0)


@dataclass(frozen=True)
class _Snapshot:
    """The simulator state before a transaction, restored when Postgres rolls it back."""

    next_id: dict[str, int]
    open_orders: list[int]
    invoiced_orders: list[int]
    items: dict[int, tuple[float, float, int]]
    rng: tuple[Any, ...]


def _snapshot(state: _State) -> _Snapshot:
    return _Snapshot(
        dict(state.next_id),
        list(state.open_orders),
        list(state.invoiced_orders),
        dict(state.items),
        state.rng.getstate(),
    )


def _restore(state: _State, snap: _Snapshot) -> None:
    state.next_id, state.open_orders = snap.next_id, snap.open_orders
    state.invoiced_orders, state.items = snap.invoiced_orders, snap.items
    state.rng.setstate(snap.rng)
