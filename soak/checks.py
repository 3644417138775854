"""What the soak checks in a counter's database after a kill (or a concurrent run).

Every check reads the file with plain ``sqlite3`` (as a recovering process would open it) and
names what it found wrong; an empty list means the database is whole. The checks compare with
a ``Baseline`` taken before the trials, so the demo's own rows are told from the soak's.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# What a completed order of each type must have besides its lines and payments.
RESOURCE_TYPES = ("open_mobile", "broadband_install", "handset_sale", "bill_payment", "top_up")
FREE_NUMBER = ("available", "reserved", "quarantined")


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


@dataclass(frozen=True)
class Baseline:
    """The database as the trials found it: high-water marks and each resource's state."""

    orders_rowid: int
    settlements_rowid: int
    movements_rowid: int
    numbers: dict[str, str]
    sims: dict[str, str]
    devices: dict[str, str]
    equipment: dict[str, str]
    slots_booked: dict[str, int]
    bills_paid: dict[str, int]
    balances: dict[str, int]

    @classmethod
    def take(cls, path: Path) -> Baseline:
        conn = connect(path)
        try:

            def top(table: str) -> int:
                sql = f"SELECT coalesce(max(rowid), 0) FROM {table}"
                return int(conn.execute(sql).fetchone()[0])

            def pairs(sql: str) -> dict[str, Any]:
                return {str(k): v for k, v in conn.execute(sql).fetchall()}

            return cls(
                orders_rowid=top("orders"),
                settlements_rowid=top("bill_settlements"),
                movements_rowid=top("balance_movements"),
                numbers=pairs("SELECT number, status FROM number_pool"),
                sims=pairs("SELECT id, status FROM sim_cards"),
                devices=pairs("SELECT id, status FROM devices"),
                equipment=pairs("SELECT id, status FROM equipment"),
                slots_booked=pairs("SELECT id, booked FROM install_slots"),
                bills_paid=pairs("SELECT id, paid_fen FROM bills"),
                balances=pairs("SELECT id, balance_fen + bonus_fen FROM subscriptions"),
            )
        finally:
            conn.close()


@dataclass
class Findings:
    """What one check round found: the problems, and how many orders it looked at."""

    problems: list[str] = field(default_factory=list)
    orders: Counter[str] = field(default_factory=Counter)
    chain_checked: int = 0

    def add(self, problem: str) -> None:
        if len(self.problems) < 50:
            self.problems.append(problem)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_database(
    path: Path,
    base: Baseline,
    completed: Iterable[str] = (),
    *,
    chain: bool = True,
    counter: str | None = None,
) -> Findings:
    """Every check on the counter database at ``path``; ``completed`` are the order numbers a
    process reported complete before it was killed (each must be there, whole).

    A synced ``counter`` (its window code) holds mirrored copies of what other counters did
    to shared rows (a bill they paid, their invoice blocks): its own invoice blocks are
    checked here, and the money that moved is checked on the central database."""
    found = Findings()
    conn = connect(path)
    try:
        _integrity(conn, found)
        _orders(conn, base, found)
        _reported(conn, completed, found)
        _resources(conn, base, found, money=counter is None)
        _doubles(conn, base, found)
        _invoice_numbers(conn, found, counter)
    finally:
        conn.close()
    if chain:
        audit_chains(f"sqlite:///{path}", found)
    return found


def _integrity(conn: sqlite3.Connection, found: Findings) -> None:
    result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    if result != ["ok"]:
        found.add(f"integrity_check: {'; '.join(result[:5])}")
    for row in conn.execute("PRAGMA foreign_key_check").fetchall()[:5]:
        found.add(f"foreign_key_check: {tuple(row)}")


def _orders(conn: sqlite3.Connection, base: Baseline, found: Findings) -> None:
    """Each order written since the baseline is completed and whole."""
    orders = conn.execute(
        "SELECT id, order_no, order_type, state, total_fen, subscription_id, customer_id "
        "FROM orders WHERE rowid > ?",
        (base.orders_rowid,),
    ).fetchall()
    for o in orders:
        no, kind = o["order_no"], o["order_type"]
        found.orders[kind] += 1
        if o["state"] != "completed":
            found.add(f"{no} ({kind}) left in state {o['state']}")
            continue
        lines = conn.execute(
            "SELECT count(*), coalesce(sum(amount_fen), 0), "
            "coalesce(sum(CASE WHEN invoiceable THEN amount_fen ELSE 0 END), 0) "
            "FROM order_lines WHERE order_id = ?",
            (o["id"],),
        ).fetchone()
        if lines[0] == 0 or lines[1] != o["total_fen"]:
            found.add(f"{no} ({kind}): {lines[0]} lines add to {lines[1]}, not {o['total_fen']}")
        paid = conn.execute(
            "SELECT coalesce(sum(amount_fen), 0), count(*) FROM payments WHERE order_id = ?",
            (o["id"],),
        ).fetchone()
        if paid[0] != o["total_fen"] or (o["total_fen"] and not paid[1]):
            found.add(f"{no} ({kind}): paid {paid[0]} of {o['total_fen']}")
        _invoice_of(conn, o, lines[2], found)
        if not conn.execute(
            "SELECT 1 FROM audit_log WHERE entity = 'order' AND entity_id IN (?, ?) LIMIT 1",
            (o["id"], _dashed(o["id"])),
        ).fetchone():
            found.add(f"{no} ({kind}): no audit entry")
        _fulfilled(conn, o, found)


def _dashed(hex_id: str) -> str:
    h = str(hex_id)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" if len(h) == 32 else h


def _invoice_of(
    conn: sqlite3.Connection, o: sqlite3.Row, invoiceable: int, found: Findings
) -> None:
    invoices = conn.execute(
        "SELECT id, invoice_no, total_fen FROM invoices WHERE order_id = ? AND kind = 'blue'",
        (o["id"],),
    ).fetchall()
    no = o["order_no"]
    if o["order_type"] == "top_up":
        if invoices:
            found.add(f"{no}: a top-up (receipt only) has an invoice")
        return
    if invoiceable and len(invoices) != 1:
        found.add(f"{no} ({o['order_type']}): {len(invoices)} invoices, {invoiceable} invoiceable")
        return
    for inv in invoices:
        lines = conn.execute(
            "SELECT count(*), coalesce(sum(amount_fen + tax_fen), 0) FROM invoice_lines "
            "WHERE invoice_id = ?",
            (inv["id"],),
        ).fetchone()
        if lines[0] == 0 or lines[1] != inv["total_fen"]:
            found.add(f"{no}: invoice {inv['invoice_no']} lines {lines[1]} of {inv['total_fen']}")


def _fulfilled(conn: sqlite3.Connection, o: sqlite3.Row, found: Findings) -> None:
    """The resources an order took are assigned to it."""
    no, kind = o["order_no"], o["order_type"]
    if kind == "open_mobile":
        sub = conn.execute(
            "SELECT s.status, s.service_number, c.status AS sim, n.status AS num "
            "FROM subscriptions s LEFT JOIN sim_cards c ON c.id = s.sim_id "
            "LEFT JOIN number_pool n ON n.number = s.service_number WHERE s.id = ?",
            (o["subscription_id"],),
        ).fetchone()
        if sub is None:
            found.add(f"{no}: no subscription")
        elif sub["status"] != "active" or sub["sim"] != "assigned" or sub["num"] != "assigned":
            found.add(f"{no}: subscription {sub['status']}, SIM {sub['sim']}, number {sub['num']}")
    elif kind == "broadband_install":
        _installed(conn, o, found)
    elif kind == "handset_sale":
        units = conn.execute("SELECT status FROM devices WHERE order_id = ?", (o["id"],)).fetchall()
        if [u[0] for u in units] != ["sold"]:
            found.add(f"{no}: handset units {[u[0] for u in units]}")
        _contract_of(conn, o, found)
    elif kind == "bill_payment":
        if not conn.execute(
            "SELECT count(*) FROM bill_settlements WHERE order_id = ?", (o["id"],)
        ).fetchone()[0]:
            found.add(f"{no}: no bill settled")
    elif kind == "top_up":
        moved = conn.execute(
            "SELECT coalesce(sum(balance_fen + bonus_fen), 0), count(*) FROM balance_movements "
            "WHERE order_id = ?",
            (o["id"],),
        ).fetchone()
        if not moved[1] or moved[0] < o["total_fen"]:
            found.add(f"{no}: balance moved {moved[0]} for {o['total_fen']} paid")


def _installed(conn: sqlite3.Connection, o: sqlite3.Row, found: Findings) -> None:
    """A broadband install: its pending subscription, its work order scheduled in a slot that
    counts it, and the modem lent to it for that subscription."""
    no = o["order_no"]
    sub = conn.execute(
        "SELECT kind, status FROM subscriptions WHERE id = ?", (o["subscription_id"],)
    ).fetchone()
    if sub is None or sub["kind"] != "broadband" or sub["status"] != "pending":
        found.add(f"{no}: broadband subscription {None if sub is None else tuple(sub)}")
    work = conn.execute(
        "SELECT w.status, w.slot_id, s.booked FROM work_orders w "
        "LEFT JOIN install_slots s ON s.id = w.slot_id WHERE w.order_id = ?",
        (o["id"],),
    ).fetchall()
    if len(work) != 1 or work[0]["status"] != "scheduled" or not work[0]["booked"]:
        found.add(f"{no}: work orders {[tuple(w) for w in work]}")
    gear = conn.execute(
        "SELECT status, subscription_id FROM equipment WHERE order_id = ?", (o["id"],)
    ).fetchall()
    if not gear or any(
        g["status"] == "in_stock" or str(g["subscription_id"]) != str(o["subscription_id"])
        for g in gear
    ):
        found.add(f"{no}: modems {[g['status'] for g in gear]}")


def _contract_of(conn: sqlite3.Connection, o: sqlite3.Row, found: Findings) -> None:
    """A handset sold on instalments: its contract active, the price split into down payment
    and financed amount, every instalment there (principal and fee adding up), the unit and
    the credit assessment both its own."""
    contract = conn.execute(
        "SELECT c.*, d.order_id AS unit_order, a.order_id AS credit_order "
        "FROM installment_contracts c JOIN devices d ON d.id = c.device_id "
        "LEFT JOIN credit_assessments a ON a.id = c.credit_assessment_id WHERE c.order_id = ?",
        (o["id"],),
    ).fetchall()
    if not contract:
        return  # sold outright
    no = o["order_no"]
    c = contract[0]
    plan = conn.execute(
        "SELECT count(*), coalesce(sum(principal_fen), 0), coalesce(sum(fee_fen), 0), "
        "coalesce(sum(amount_fen), 0) FROM instalments WHERE contract_id = ?",
        (c["id"],),
    ).fetchone()
    whole = (
        len(contract) == 1
        and c["status"] == "active"
        and c["price_fen"] == c["down_payment_fen"] + c["financed_fen"]
        and tuple(plan)
        == (c["months"], c["financed_fen"], c["fee_fen"], c["financed_fen"] + c["fee_fen"])
        and str(c["unit_order"]) == str(o["id"])
        and str(c["credit_order"]) == str(o["id"])
    )
    if not whole:
        found.add(
            f"{no}: contract {c['status']} of {c['months']} months, instalments {tuple(plan)}, "
            f"unit and assessment used by this order {c['unit_order'] == o['id']}, "
            f"{c['credit_order'] == o['id']}"
        )


def _reported(conn: sqlite3.Connection, completed: Iterable[str], found: Findings) -> None:
    for no in completed:
        row = conn.execute("SELECT state FROM orders WHERE order_no = ?", (no,)).fetchone()
        if row is None or row[0] != "completed":
            found.add(f"{no} was reported complete but is {'missing' if row is None else row[0]}")


def _resources(conn: sqlite3.Connection, base: Baseline, found: Findings, money: bool) -> None:
    """No number, SIM, handset, bill or balance changed without a completed order."""
    sold = {
        r[0]: r[1]
        for r in conn.execute(
            "SELECT s.service_number, o.state FROM orders o JOIN subscriptions s "
            "ON s.id = o.subscription_id WHERE o.rowid > ? AND o.order_type = 'open_mobile'",
            (base.orders_rowid,),
        )
    }
    for number, status in conn.execute("SELECT number, status FROM number_pool"):
        changed = status != base.numbers.get(number) and status not in FREE_NUMBER
        if changed and sold.get(number) != "completed":
            found.add(f"number {number} is {status} without an order")
    sims = {
        str(r[0])
        for r in conn.execute(
            "SELECT s.sim_id FROM orders o JOIN subscriptions s ON s.id = o.subscription_id "
            "WHERE o.rowid > ? AND o.state = 'completed'",
            (base.orders_rowid,),
        )
    }
    for sim_id, status in conn.execute("SELECT id, status FROM sim_cards"):
        if status != base.sims.get(str(sim_id)) and str(sim_id) not in sims:
            found.add(f"SIM {sim_id} is {status} without an order")
    for unit_id, status, order_state in conn.execute(
        "SELECT d.id, d.status, o.state FROM devices d LEFT JOIN orders o ON o.id = d.order_id"
    ):
        if status != base.devices.get(str(unit_id)) and order_state != "completed":
            found.add(f"handset {unit_id} is {status} without an order")
    for gear_id, status, order_state in conn.execute(
        "SELECT e.id, e.status, o.state FROM equipment e LEFT JOIN orders o ON o.id = e.order_id"
    ):
        if status != base.equipment.get(str(gear_id)) and order_state != "completed":
            found.add(f"modem {gear_id} is {status} without an order")
    for table, what in (
        ("installment_contracts", "installment contract"),
        ("credit_assessments", "credit assessment used"),
    ):
        for row in conn.execute(
            f"SELECT t.id, o.state FROM {table} t LEFT JOIN orders o ON o.id = t.order_id "
            "WHERE t.order_id IS NOT NULL AND (o.state IS NULL OR o.state != 'completed')"
        ).fetchall()[:5]:
            found.add(f"{what} {row[0]} without a completed order ({row[1]})")
    for slot_id, booked, capacity in conn.execute(
        "SELECT id, booked, capacity FROM install_slots WHERE booked > capacity OR booked < 0"
    ).fetchall()[:5]:
        found.add(f"install slot {slot_id}: {booked} booked of {capacity}")
    if money:
        _money(conn, base, found)
        _slots(conn, base, found)


def _money(conn: sqlite3.Connection, base: Baseline, found: Findings) -> None:
    """No bill paid and no balance raised but by an order's settlement or movement."""
    settled: dict[str, int] = {}
    for bill_id, amount in conn.execute(
        "SELECT bill_id, amount_fen FROM bill_settlements WHERE rowid > ?",
        (base.settlements_rowid,),
    ):
        settled[str(bill_id)] = settled.get(str(bill_id), 0) + amount
    for bill_id, paid in conn.execute("SELECT id, paid_fen FROM bills"):
        delta = paid - base.bills_paid.get(str(bill_id), 0)
        if delta != (by_orders := settled.get(str(bill_id), 0)):
            found.add(f"bill {bill_id}: paid {delta} more, settled {by_orders} by orders")
    moved: dict[str, int] = {}
    for sub_id, amount in conn.execute(
        "SELECT subscription_id, balance_fen + bonus_fen FROM balance_movements WHERE rowid > ?",
        (base.movements_rowid,),
    ):
        moved[str(sub_id)] = moved.get(str(sub_id), 0) + amount
    for sub_id, balance in conn.execute("SELECT id, balance_fen + bonus_fen FROM subscriptions"):
        before = base.balances.get(str(sub_id), 0)
        if balance - before != (by_orders := moved.get(str(sub_id), 0)):
            found.add(f"subscription {sub_id}: balance {before} -> {balance}, moved {by_orders}")


def _slots(conn: sqlite3.Connection, base: Baseline, found: Findings) -> None:
    """Each install slot's count rose by the work orders of completed orders booked in it
    (a standalone counter: a synced one takes the central database's count)."""
    booked: dict[str, int] = {}
    for slot_id, n in conn.execute(
        "SELECT w.slot_id, count(*) FROM work_orders w JOIN orders o ON o.id = w.order_id "
        "WHERE o.rowid > ? AND o.state = 'completed' GROUP BY 1",
        (base.orders_rowid,),
    ):
        booked[str(slot_id)] = n
    for slot_id, count in conn.execute("SELECT id, booked FROM install_slots"):
        delta = count - base.slots_booked.get(str(slot_id), 0)
        if delta != (by_orders := booked.get(str(slot_id), 0)):
            found.add(f"install slot {slot_id}: {delta} more booked, {by_orders} by orders")


def _doubles(conn: sqlite3.Connection, base: Baseline, found: Findings) -> None:
    """Nothing sold twice: a number, a SIM or a handset on two live sales, an invoice number
    given twice."""
    for imei, n in conn.execute(
        "SELECT substr(l.description, instr(l.description, 'IMEI ') + 5, 15), "
        "count(DISTINCT o.id) FROM orders o JOIN order_lines l ON l.order_id = o.id "
        "WHERE o.rowid > ? AND o.order_type = 'handset_sale' AND instr(l.description, 'IMEI ') "
        "GROUP BY 1 HAVING count(DISTINCT o.id) > 1",
        (base.orders_rowid,),
    ).fetchall()[:5]:
        found.add(f"handset {imei} sold {n} times")
    for sql, what in (
        (
            "SELECT service_number, count(*) FROM subscriptions WHERE kind = 'mobile' "
            "AND status != 'cancelled' GROUP BY 1 HAVING count(*) > 1",
            "number on two live subscriptions",
        ),
        (
            "SELECT sim_id, count(*) FROM subscriptions WHERE sim_id IS NOT NULL "
            "AND status != 'cancelled' GROUP BY 1 HAVING count(*) > 1",
            "SIM on two live subscriptions",
        ),
        (
            "SELECT invoice_no, count(*) FROM invoices GROUP BY 1 HAVING count(*) > 1",
            "invoice number twice",
        ),
    ):
        for row in conn.execute(sql).fetchall()[:5]:
            found.add(f"{what}: {row[0]} ×{row[1]}")


def _invoice_numbers(conn: sqlite3.Connection, found: Findings, counter: str | None) -> None:
    """Each segment's numbers given out are used exactly once, from first_seq on, no gap (a
    synced counter: the blocks leased to it)."""
    sql = "SELECT id, first_seq, next_seq FROM invoice_segments"
    if counter is not None:
        sql += f" WHERE counter_id = (SELECT id FROM counters WHERE code = '{int(counter):02d}')"
    for seg in conn.execute(sql).fetchall():
        seqs = sorted(
            int(r[0][-15:])
            for r in conn.execute("SELECT invoice_no FROM invoices WHERE segment_id = ?", (seg[0],))
        )
        expected = list(range(seg["first_seq"], seg["next_seq"]))
        if seqs != expected:
            missing = sorted(set(expected) - set(seqs))[:5]
            dup = [s for s, n in Counter(seqs).items() if n > 1][:5]
            extra = sorted(set(seqs) - set(expected))[:5]
            found.add(
                f"invoice segment {seg[0]}: {len(seqs)} numbers for {len(expected)} given out "
                f"(missing {missing}, twice {dup}, beyond {extra})"
            )


def audit_chains(url: str, found: Findings) -> None:
    """The audit chain (hall_app.services.audit_chain.verify) is whole."""
    try:
        from hall_app.services import audit_chain  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        return
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        report = audit_chain.verify(engine)
    finally:
        engine.dispose()
    found.chain_checked = report.checked
    if not report.ok:
        found.add(f"audit chain: {report.problem}")


def chain_available() -> bool:
    try:
        from hall_app.services import audit_chain  # type: ignore[attr-defined, unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


def fresh_copy(template: Path, target: Path) -> Path:
    for old in target.parent.glob(target.name + "*"):
        old.unlink()
    shutil.copyfile(template, target)
    return target
