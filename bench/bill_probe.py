"""S19 and S20: a customer's unpaid bills shown, and 缴费 completed (bench/probes.py runs them).

python -m bench.probes unpaid-bills --db URL -n N  N customers' unpaid bills, and the same SQL raw
python -m bench.probes pay-bills    --db URL -n N  N bill payments in cash, one or two bills
                                                  each, and the same rows by raw sqlite3

Both sample customers that have unpaid bills, spread over the whole table (deterministic). A
database without enough of them (built before the demo made bills) gets bills for the bench,
untimed: two months, unpaid, for numbers that have none.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from bench.probes import (
    RawOrders,
    SqlCapture,
    _invoice_update,
    _order_figures,
    _stats,
    _template,
    raw_connect,
    replay_ms,
    timed_ms,
)

UNPAID_SQL = "status IN ('unpaid', 'partly_paid')"
BENCH_PERIODS = ("2026-08", "2026-09")  # the bills made for the bench, both overdue by then


def unpaid_customers(path: str) -> dict[str, list[str]]:
    """Every customer with unpaid bills, their bill ids oldest first (ordered by customer id,
    so a sample of it is spread over the table and the same each run)."""
    conn = sqlite3.connect(path)
    out: dict[str, list[str]] = {}
    for customer_id, bill_id in conn.execute(
        f"SELECT customer_id, id FROM bills WHERE {UNPAID_SQL} "
        "ORDER BY customer_id, due_date, period"
    ):
        out.setdefault(customer_id, []).append(bill_id)
    conn.close()
    return out


def spread(items: list[Any], n: int) -> list[Any]:
    """``n`` of ``items`` evenly apart (all of them when there are fewer)."""
    if len(items) <= n:
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def ensure_unpaid(hall: Any, db: str, customers: int, bills: int = 2) -> None:
    """At least ``customers`` customers with ``bills`` unpaid bills or more (made here when
    short, on mobile numbers without any bill: a plan fee each month, overdue)."""
    from sqlalchemy import select

    from hall_app.db.models import Bill, BillItem, Subscription
    from hall_app.domain.billing import due_date, period_bounds
    from hall_app.domain.enums import BillItemKind, BillStatus, SubscriptionKind

    path = db.removeprefix("sqlite:///")
    have = sum(1 for ids in unpaid_customers(path).values() if len(ids) >= bills)
    if have >= customers:
        return
    with hall.db.unit_of_work() as s:
        subs = s.execute(
            select(Subscription.id, Subscription.customer_id)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                ~Subscription.id.in_(select(Bill.subscription_id)),
            )
            .order_by(Subscription.id)
            .limit(customers - have)
        ).all()
        issued = datetime(2026, 10, 1, tzinfo=UTC)
        for sub_id, customer_id in subs:
            for period in BENCH_PERIODS[:bills]:
                first, last = period_bounds(period)
                bill = Bill(
                    subscription_id=sub_id,
                    customer_id=customer_id,
                    period=period,
                    period_start=first,
                    period_end=last,
                    issued_at=issued,
                    due_date=due_date(period, 20),
                    amount_fen=12_900,
                    paid_fen=0,
                    status=BillStatus.UNPAID,
                )
                s.add(bill)
                s.flush()
                s.add(
                    BillItem(
                        bill_id=bill.id,
                        seq=1,
                        kind=BillItemKind.PLAN,
                        description="套餐月费",
                        amount_fen=12_900,
                    )
                )


def probe_unpaid_bills(db: str, n: int) -> dict[str, Any]:
    """``unpaid_bills`` for n customers with unpaid bills; the baseline runs the statements
    the app ran for each (captured, with their parameters) through raw sqlite3."""
    from hall_app.app import build_app
    from hall_app.config import Settings

    hall = build_app(Settings.load(db_url=db))
    clerk = hall.auth.log_in("clerk1", "hall1234")
    ensure_unpaid(hall, db, min(n, 50), bills=1)
    path = db.removeprefix("sqlite:///")
    found = unpaid_customers(path)
    sample = spread(sorted(found), n)
    capture = SqlCapture(hall.db.engine)
    sql: dict[str, list[tuple[str, Any]]] = {}
    for customer_id in sample:  # warm-up, and what each call runs
        with capture as captured:
            hall.bills.unpaid_bills(clerk, uuid.UUID(customer_id))
        sql[customer_id] = captured
    raw = raw_connect(path)
    app_ms: list[float] = []
    raw_ms: list[float] = []
    shown: list[int] = []
    for customer_id in sample:
        got, ms = timed_ms(hall.bills.unpaid_bills, clerk, uuid.UUID(customer_id))
        app_ms.append(ms)
        shown.append(len(got.bills))
        raw_ms.append(replay_ms(raw, sql[customer_id]))
    raw.close()
    hall.close()
    if min(shown) == 0:
        raise SystemExit("a sampled customer with unpaid bills was shown none")
    ordered = sorted(shown)
    return {
        **_stats(app_ms),
        "customers": len(sample),
        "with_unpaid": len(found),
        "bills_median": ordered[len(ordered) // 2],
        "bills_max": ordered[-1],
        "statements": max(len(v) for v in sql.values()),
        "baseline": _stats(raw_ms),
    }


def _bill_update(base: RawOrders, bill_id: str) -> tuple[str, tuple[Any, ...]]:
    """The template's conditional UPDATE of one bill it paid, with the values it set."""
    bill = base.row("bills", bill_id)
    return (
        "UPDATE bills SET paid_fen = ?, status = ?, paid_at = ?, updated_at = ? "
        f"WHERE id = ? AND {UNPAID_SQL}",
        (bill["paid_fen"], bill["status"], bill["paid_at"], bill["updated_at"], bill["id"]),
    )


def _resumed(base: RawOrders) -> list[tuple[str, tuple[Any, ...]]]:
    """The UPDATE of each number the template resumed (suspended for arrears, paid up now)."""
    out = []
    for table, cols, vals in base.rows:
        row = dict(zip(cols, vals, strict=True))
        if table == "audit_log" and row["action"] == "subscription.resumed_paid":
            sub = base.row("subscriptions", uuid.UUID(row["entity_id"]).hex)
            out.append(
                (
                    "UPDATE subscriptions SET status = ?, suspend_reason = ?, suspended_at = ?, "
                    "updated_at = ? WHERE id = ?",
                    tuple(
                        sub[c]
                        for c in ("status", "suspend_reason", "suspended_at", "updated_at", "id")
                    ),
                )
            )
    return out


def probe_pay_bills(db: str, n: int) -> dict[str, Any]:
    """缴费 completion on a copy of the benchmark database: n customers each pay their oldest
    one or two unpaid bills (in turn) with their late fees, in cash; the baseline writes the
    same rows by raw sqlite3 (``RawOrders``: one template per bill count) in turn with each
    payment, paying other customers' bills."""
    from hall_app.app import build_app
    from hall_app.config import Settings
    from hall_app.domain.enums import PaymentMethod
    from hall_app.domain.payments import PaymentInput
    from hall_app.services.bills import BillPaymentRequest

    hall = build_app(Settings.load(db_url=db))
    clerk = hall.auth.log_in("clerk1", "hall1234")
    ensure_unpaid(hall, db, 2 * n + 10)
    path = db.removeprefix("sqlite:///")
    found = unpaid_customers(path)
    two = [c for c in sorted(found) if len(found[c]) >= 2]
    chosen = spread(two, 2 * n + 10)
    app_side, raw_side = chosen[: n + 4], chosen[n + 4 :]

    def request(customer_id: str, count: int) -> Any:
        cid = uuid.UUID(customer_id)
        bills = tuple(uuid.UUID(b) for b in found[customer_id][:count])
        due = hall.bills.quote_bill_payment(clerk, BillPaymentRequest(cid, bill_ids=bills))
        cash = PaymentInput(PaymentMethod.CASH, due.total_fen, tendered_fen=due.total_fen)
        return BillPaymentRequest(cid, payments=(cash,), bill_ids=bills)

    counts = [1 + i % 2 for i in range(len(app_side))]  # one bill, two bills, in turn
    requests = [request(c, k) for c, k in zip(app_side, counts, strict=True)]

    def complete(req: Any) -> Any:
        return hall.bills.pay_bills(clerk, req)

    for req in requests[:2]:  # warm-up
        complete(req)
    bases: dict[int, RawOrders] = {}
    writes: dict[int, dict[str, int]] = {}
    for req in requests[2:4]:  # warm-up too: the template of one bill, and of two
        k = len(req.bill_ids)
        bases[k], writes[k] = _template(hall, db, complete, req, "BC"[k - 1])
        base = bases[k]
        base.updates = [_bill_update(base, b.hex) for b in req.bill_ids]
        base.updates += _resumed(base)
        _invoice_update(base)
    # the baseline pays bills the app does not, so both find their rows as they were
    timed = requests[4:]
    prepared = []
    for other, k in zip(raw_side, [1] + [len(r.bill_ids) for r in timed], strict=False):
        base, template = bases[k], requests[2 + (k - 1)]
        remap = {template.customer_id.hex: other}
        for mine, theirs in zip((b.hex for b in template.bill_ids), found[other], strict=False):
            remap[mine] = theirs
            sub, other_sub = (base.row("bills", b)["subscription_id"] for b in (mine, theirs))
            remap[sub] = other_sub
            remap[str(uuid.UUID(sub))] = str(uuid.UUID(other_sub))  # the audit's entity id
        prepared.append((base, base.statements(remap)))
    warm_base, warm = prepared.pop(0)
    warm_base.run(warm)  # the baseline's first payment warms its connection, untimed
    app_ms: list[float] = []
    raw_ms: list[float] = []
    for req, (base, statements) in zip(timed, prepared, strict=True):
        t = time.perf_counter()
        complete(req)
        app_ms.append((time.perf_counter() - t) * 1000)
        raw_ms.append(base.run(statements))
    hall.close()
    figures = _order_figures(app_ms, raw_ms, writes[2], bases[2])
    figures["writes_one_bill"] = writes[1]
    figures["baseline_writes_one_bill"] = bases[1].writes()
    for base in bases.values():
        base.close()
    return figures
