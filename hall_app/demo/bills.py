"""The demo's bills: a year of monthly bills for every billed subscription, as the central
billing run (``hall_app.services.billing_run``) would have made them, with the arrears and
suspensions they explain; the top-up offers; a few billing disputes.

- **Periods.** The twelve months up to the last one that ended before the build day; a
  subscription is billed from the month it was activated in (a full month, no proration).
- **Items.** The plan fee (its product, name and VAT category); about one bill in eight of the
  last three months has usage beyond the allowance (3–80 元); a voluntarily suspended
  number (停机保号) pays the keep-number fee instead, from the month it was suspended.
  Instalments stay with the handset history (paid at the counter, 分期还款), so the demo's
  bills carry none.
- **Paid or not.** Most bills were paid before their due date (``paid_at``; the settlements of
  the demo's old bill payments are not reconstructed). About 1.8 % of the active numbers left
  their last two bills unpaid, 1.2 % their last one (a fifth of those part-paid); a bill not yet
  due is unpaid for 45 % of the numbers. A number with a bill unpaid more than
  ``arrears_suspend_days`` past its due date is suspended for arrears (欠费停机), so the demo
  agrees with ``hall-app billing arrears``. With the suspended ones, about 4 % of the billed
  numbers have an overdue bill (arrears).
- **Draws.** A subscription's profile, usage and payment moments are drawn from its id, so
  the first customers (the README's) have the same bills in a small and a large build.
- **Suspensions.** The demo's suspended numbers get their reason: 70 % voluntary (停机保号,
  from one to three months ago), 10 % lost (挂失, in the last three weeks), 20 % for arrears
  (two or three bills unpaid).

Bills and items are written in subscription order with increasing ids, so a million customers'
twelve months go into the tables' unique indexes (and the items' index by bill) in order; the
bills' two other indexes are dropped and rebuilt with the other tables' (``DemoBuilder``).
"""

from __future__ import annotations

import bisect
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from sqlalchemy import Connection, bindparam, select, union, update

from hall_app.clock import HALL_TZ
from hall_app.config import BusinessRules
from hall_app.db import blind
from hall_app.db.models import (
    Bill,
    BillItem,
    Customer,
    Subscription,
)
from hall_app.demo.bill_extras import write_disputes, write_offers
from hall_app.demo.bulk import BulkWriter, model_table, sqlite_converter
from hall_app.demo.reference import Reference
from hall_app.domain.billing import due_date, is_arrears, period_bounds, period_of
from hall_app.domain.enums import (
    BillItemKind,
    BillStatus,
    SubscriptionStatus,
    SuspendReason,
)

MONTHS = 12
# The year's first nine months: plan fees, paid, no usage (no arrears or suspension goes back
# so far); on SQLite written by INSERT … SELECT, with the last three months of the numbers
# with nothing special in them (no arrears, suspension or usage); the rest row by row.
SQL_MONTHS = 9
BATCH = 20_000
DEEP_ARREARS = 0.018  # of active numbers: the last two bills unpaid
LAST_UNPAID = 0.012  # the last bill unpaid
NOT_YET_DUE_UNPAID = 0.45
USAGE_SHARE = 0.125
VOLUNTARY, LOST = 0.7, 0.8  # of the suspended numbers: cumulative shares (the rest: arrears)
# The customers the README names for other walks (found by these numbers, IDs or USCC): their
# accounts stay in good standing (bills paid; a suspended number is 停机保号) so those walks
# (开户, 宽带, 移机, 购机 …) are not stopped by arrears.
GOOD_STANDING = (
    "17312345679",
    "350102195005270802",
    "13877783219",
    "18077667652",
    "91350602WYWDT907BN",
    "18088151957",
    "350104200103180444",
    "18011767844",
    "18080661630",
    "15318564769",
    "17736192700",  # 刘琴's 充值: every bill paid whatever the build day
    "15377552085",  # 陈颖's 携号转网 passes: bills paid
    "18914646255",  # 周志's 携号转网 refused for his tenure alone
)
# 周林's 缴费 with arrears, the same on any build day: this number's last two bills unpaid, the
# older half paid (部分缴纳), the newer not at all; his other numbers paid up.
ARREARS_CASE = "18101399106"
BILL_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "subscription_id",
    "customer_id",
    "hall_id",
    "period",
    "period_start",
    "period_end",
    "issued_at",
    "due_date",
    "amount_fen",
    "paid_fen",
    "status",
    "paid_at",
)
ITEM_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "bill_id",
    "seq",
    "kind",
    "description",
    "amount_fen",
    "product_id",
    "vat_category_id",
    "invoiceable",
)


def _draw(key: int, n: int) -> float:
    """The ``n``-th draw in [0, 1) of the subscription ``key`` (its id's first 64 bits): a
    subscription's bills depend on its id alone, not on how many others the build has (a
    tuple of ints hashes the same in every process)."""
    return (hash((key, n)) & 0xFFFFFFFF) / 4294967296.0


@dataclass(frozen=True)
class BillsSummary:
    bills: int
    items: int
    unpaid: int  # bills unpaid or part-paid
    arrears_suspended: int
    voluntary: int
    lost: int
    disputes: int
    offers: int


@dataclass(frozen=True)
class _Period:
    period: str
    start: Any  # storage form (text on SQLite)
    end: Any
    issued: Any
    due: Any
    due_date: date
    bound: Any  # the local start of the next month: billed when activated before it
    paid_at: tuple[Any, ...]  # a few payment moments before the due date
    keep_from: Any  # suspended_at for a number suspended voluntarily from this month
    month_no: int  # year × 12 + month: the period's draws are the same whatever the build day


class _Store:
    """Values in the form the bulk writer takes: SQLite's storage text, else Python objects."""

    def __init__(self, conn: Connection) -> None:
        self.raw = conn.dialect.name == "sqlite"
        table = model_table(Bill)

        def conv(column: str) -> Callable[[Any], Any]:
            found = sqlite_converter(table.c[column].type) if self.raw else None
            return found or (lambda v: v)

        self.dt, self.day, self.uid = conv("issued_at"), conv("due_date"), conv("id")
        self.enum = conv("status")
        self.true = 1 if self.raw else True
        self.false = 0 if self.raw else False

    def new_id(self, hexid: str, suffix: int) -> Any:
        """A bill's (or item's) id: its subscription id's first 96 bits and the month (and
        item): unique, the same whatever the build's size, and increasing in subscription
        order, so the rows go into the indexes in order."""
        text = f"{hexid[:24]}{suffix:08x}"
        return text if self.raw else uuid.UUID(hex=text)

    def read(self, value: Any) -> Any:
        """A value read back by SQL (text on SQLite) compared as stored."""
        return value.value if hasattr(value, "value") else value


class BillsBuilder:
    def __init__(
        self,
        conn: Connection,
        ref: Reference,
        seed: int,
        today: date,
        rules: BusinessRules | None = None,
    ) -> None:
        self._conn = conn
        self._ref = ref
        self._rng = random.Random(f"bills:{seed}")
        self._today = today
        self._rules = rules or BusinessRules()
        self._s = _Store(conn)
        self._anchor = datetime.combine(today, dtime(7, 30), HALL_TZ).astimezone(UTC)

    def build(self) -> BillsSummary:
        s, rules = self._s, self._rules
        periods = self._periods()
        bounds = [p.bound for p in periods]
        plans = {
            s.uid(p.id): (p.name, p.price_fen, s.uid(p.vat_category_id))
            for products in self._ref.products.values()
            for p in products
        }
        bill_w = BulkWriter(self._conn, Bill, BILL_COLUMNS)
        item_w = BulkWriter(self._conn, BillItem, ITEM_COLUMNS)
        write_bills = bill_w.write_converted if s.raw else bill_w.write
        write_items = item_w.write_converted if s.raw else item_w.write
        n_bill = n_item = unpaid_count = 0
        in_python = SQL_MONTHS if s.raw else 0
        plain: list[tuple[str]] = []  # SQLite: subscriptions whose last months SQL writes too
        bills: list[tuple[Any, ...]] = []
        items: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, Any, Any, Any]] = []  # status, reason, suspended_at, id
        counts = {r: 0 for r in SuspendReason}
        e_unpaid, e_part, e_paid = (
            s.enum(BillStatus.UNPAID),
            s.enum(BillStatus.PARTLY_PAID),
            s.enum(BillStatus.PAID),
        )
        e_plan, e_usage, e_keep = (
            s.enum(BillItemKind.PLAN),
            s.enum(BillItemKind.USAGE),
            s.enum(BillItemKind.KEEP_NUMBER),
        )
        active, suspended = SubscriptionStatus.ACTIVE.value, SubscriptionStatus.SUSPENDED.value
        keep_fee = rules.keep_number_fee_fen
        new_id = s.new_id
        last_due = periods[-1].due_date
        clear = self._good_standing()
        case_sid, case_cid = self._arrears_case()
        for sid, cid, hid, pid, status, activated in self._subscriptions():
            hexid = sid if s.raw else sid.hex
            key = int(hexid[:16], 16)
            late_payer = hexid[31] >= "8"
            first_k = bisect.bisect_right(bounds, activated)
            reason: SuspendReason | None = None
            unpaid_from = MONTHS
            keep_from = MONTHS
            suspended_at: Any = None
            r = _draw(key, 0)
            if cid in clear or (cid == case_cid and sid != case_sid):
                r = 0.0 if status == suspended else 0.999  # 停机保号 when suspended, else paid
            if sid == case_sid:  # the last two bills unpaid: 欠费停机 on any build day
                r = 0.0 if status == active else 0.999
            if status == suspended:
                if first_k >= MONTHS:  # opened this month, no bill yet: suspended lately
                    reason = SuspendReason.VOLUNTARY if r < VOLUNTARY else SuspendReason.LOST
                    hours = 1 + int(_draw(key, 1) * 24 * 5)
                    suspended_at = s.dt(self._anchor - timedelta(hours=hours))
                elif r < VOLUNTARY:
                    reason = SuspendReason.VOLUNTARY
                    keep_from = max(first_k, MONTHS - 1 - int(_draw(key, 1) * 3))
                    suspended_at = periods[keep_from].keep_from
                elif r < LOST:
                    reason = SuspendReason.LOST
                    hours = 1 + int(_draw(key, 1) * 24 * 21)
                    suspended_at = s.dt(self._anchor - timedelta(hours=hours))
                else:
                    reason = SuspendReason.ARREARS
                    unpaid_from = MONTHS - 2 - int(_draw(key, 1) * 2 * (sid != case_sid))
            elif status == active:
                if r < DEEP_ARREARS:
                    unpaid_from = MONTHS - 2
                elif r < DEEP_ARREARS + LAST_UNPAID or (
                    last_due >= self._today and r < NOT_YET_DUE_UNPAID
                ):
                    unpaid_from = MONTHS - 1
            name, fee, vat = plans[pid]
            first_unpaid: date | None = None
            if (
                s.raw
                and reason is None
                and unpaid_from == keep_from == MONTHS
                and not any(
                    _draw(key, periods[k].month_no * 4) < USAGE_SHARE
                    for k in range(max(first_k, SQL_MONTHS), MONTHS)
                )
            ):
                plain.append((hexid,))
                continue
            for k in range(max(first_k, in_python), MONTHS):
                p = periods[k]
                j = p.month_no * 4
                bill_id = new_id(hexid, p.month_no)
                n_bill += 1
                if k >= keep_from:
                    lines = [(e_keep, "停机保号费", keep_fee, None)]
                else:
                    lines = [(e_plan, name, fee, pid)]
                    if k >= SQL_MONTHS and _draw(key, j) < USAGE_SHARE:
                        usage = 300 + int(_draw(key, j + 1) * 7700)
                        lines.append((e_usage, "套餐外费用", usage, None))
                amount = 0
                for seq, (kind, text, fen, product) in enumerate(lines, start=1):
                    items.append(
                        (
                            new_id(hexid, p.month_no + (seq << 24)),
                            p.issued,
                            p.issued,
                            bill_id,
                            seq,
                            kind,
                            text,
                            fen,
                            product,
                            vat,
                            s.true,
                        )
                    )
                    n_item += 1
                    amount += fen
                if k >= unpaid_from:
                    unpaid_count += 1
                    if first_unpaid is None:
                        first_unpaid = p.due_date
                    part = amount // 2 if _draw(key, j + 2) < 0.2 else 0
                    if sid == case_sid:
                        part = amount // 2 if k == unpaid_from else 0
                    row_status, paid, paid_at = (e_part if part else e_unpaid), part, None
                else:
                    row_status, paid = e_paid, amount
                    paid_at = p.paid_at[-1 if late_payer else 0]
                bills.append(
                    (
                        bill_id,
                        p.issued,
                        p.issued,
                        sid,
                        cid,
                        hid,
                        p.period,
                        p.start,
                        p.end,
                        p.issued,
                        p.due,
                        amount,
                        paid,
                        row_status,
                        paid_at,
                    )
                )
            if (
                reason is None
                and first_unpaid is not None
                and is_arrears(first_unpaid, self._today, rules.arrears_suspend_days)
            ):
                reason = SuspendReason.ARREARS
                suspended_at = s.dt(self._suspended_on(first_unpaid))
            elif reason is SuspendReason.ARREARS and first_unpaid is not None:
                suspended_at = s.dt(self._suspended_on(first_unpaid))
            if reason is not None:
                counts[reason] += 1
                updates.append(
                    (s.enum(SubscriptionStatus.SUSPENDED), s.enum(reason), suspended_at, sid)
                )
            if len(bills) >= BATCH:
                write_bills(bills)
                write_items(items)
                bills, items = [], []
        write_bills(bills)
        write_items(items)
        if s.raw:
            in_sql = self._plain_in_sql(periods, plain)
            n_bill, n_item = n_bill + in_sql, n_item + in_sql
        self._suspend(updates)
        extras = (self._conn, self._ref, self._rng, self._anchor, self._today)
        disputes = write_disputes(*extras)
        offers = write_offers(*extras)
        return BillsSummary(
            bills=n_bill,
            items=n_item,
            unpaid=unpaid_count,
            arrears_suspended=counts[SuspendReason.ARREARS],
            voluntary=counts[SuspendReason.VOLUNTARY],
            lost=counts[SuspendReason.LOST],
            disputes=disputes,
            offers=offers,
        )

    # -- pieces ------------------------------------------------------------------------------
    def _periods(self) -> list[_Period]:
        s = self._s
        last = period_of(self._today.replace(day=1) - timedelta(days=1))
        year, month = (int(x) for x in last.split("-"))
        names = []
        for back in range(MONTHS - 1, -1, -1):
            m = year * 12 + (month - 1) - back
            names.append(f"{m // 12:04d}-{m % 12 + 1:02d}")
        out = []
        for name in names:
            first, last_day = period_bounds(name)
            next_first = last_day + timedelta(days=1)
            bound = datetime.combine(next_first, dtime(0), HALL_TZ).astimezone(UTC)
            issued = datetime.combine(next_first, dtime(3), HALL_TZ).astimezone(UTC)
            due = due_date(name, self._rules.bill_due_day)
            paid = tuple(
                s.dt(
                    datetime.combine(
                        next_first + timedelta(days=d), dtime(h, mi), HALL_TZ
                    ).astimezone(UTC)
                )
                for d, h, mi in ((1, 9, 12), (3, 20, 41), (6, 11, 5), (9, 15, 30), (12, 10, 18))
                if next_first + timedelta(days=d) <= min(due, self._today)
            ) or (s.dt(issued),)
            out.append(
                _Period(
                    period=name,
                    start=s.day(first),
                    end=s.day(last_day),
                    issued=s.dt(issued),
                    due=s.day(due),
                    due_date=due,
                    bound=s.dt(bound),
                    paid_at=paid,
                    keep_from=s.dt(datetime.combine(first, dtime(10), HALL_TZ).astimezone(UTC)),
                    month_no=first.year * 12 + first.month,
                )
            )
        return out

    def _plain_in_sql(self, periods: list[_Period], plain: list[tuple[str]]) -> int:
        """SQLite: the plain bills — plan fee only, paid — in SQL, as the row-by-row path makes
        them: every billed subscription's first ``SQL_MONTHS`` months, and the last months of
        the ``plain`` ones (no arrears, suspension or usage). Returns how many bills."""
        conn = self._conn
        conn.exec_driver_sql(
            "CREATE TEMP TABLE demo_bill_periods (k INTEGER PRIMARY KEY, period TEXT, "
            "start TEXT, end_ TEXT, issued TEXT, due TEXT, bound TEXT, paid_early TEXT, "
            "paid_late TEXT, month_no INTEGER)"
        )
        conn.exec_driver_sql(
            "CREATE TEMP TABLE demo_plain_subs (id TEXT PRIMARY KEY) WITHOUT ROWID"
        )
        try:
            conn.exec_driver_sql(
                "INSERT INTO demo_bill_periods VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        k,
                        p.period,
                        p.start,
                        p.end,
                        p.issued,
                        p.due,
                        p.bound,
                        p.paid_at[0],
                        p.paid_at[-1],
                        p.month_no,
                    )
                    for k, p in enumerate(periods)
                ],
            )
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.executemany("INSERT INTO demo_plain_subs VALUES (?)", plain)
            bills = 0
            for join, which in (
                ("", f"p.k < {SQL_MONTHS}"),
                (" JOIN demo_plain_subs x ON x.id = s.id", f"p.k >= {SQL_MONTHS}"),
            ):
                source = (
                    " FROM subscriptions s" + join + " JOIN demo_bill_periods p"
                    " ON s.activated_at < p.bound JOIN products pr ON pr.id = s.product_id"
                    " WHERE s.status IN ('active', 'suspended') AND s.activated_at IS NOT NULL"
                    f" AND {which} ORDER BY s.id, p.k"
                )
                bills += conn.exec_driver_sql(
                    "INSERT INTO bills (id, created_at, updated_at, subscription_id, "
                    "customer_id, hall_id, period, period_start, period_end, issued_at, "
                    "due_date, amount_fen, paid_fen, status, paid_at) "
                    "SELECT substr(s.id, 1, 24) || printf('%08x', p.month_no), p.issued, "
                    "p.issued, s.id, s.customer_id, s.hall_id, p.period, p.start, p.end_, "
                    "p.issued, p.due, pr.price_fen, pr.price_fen, 'paid', "
                    "CASE WHEN substr(s.id, 32, 1) >= '8' THEN p.paid_late ELSE p.paid_early END"
                    + source
                ).rowcount
                conn.exec_driver_sql(
                    "INSERT INTO bill_items (id, created_at, updated_at, bill_id, seq, kind, "
                    "description, amount_fen, product_id, vat_category_id, invoiceable) "
                    "SELECT substr(s.id, 1, 24) || printf('%08x', p.month_no + 16777216), "
                    "p.issued, p.issued, substr(s.id, 1, 24) || printf('%08x', p.month_no), 1, "
                    "'plan', pr.name, pr.price_fen, pr.id, pr.vat_category_id, 1" + source
                )
        finally:
            conn.exec_driver_sql("DROP TABLE temp.demo_bill_periods")
            conn.exec_driver_sql("DROP TABLE temp.demo_plain_subs")
        return int(bills)

    def _good_standing(self) -> set[Any]:
        """The customers of ``GOOD_STANDING`` (ids as ``_subscriptions`` gives them)."""
        subs, people = model_table(Subscription), model_table(Customer)
        wanted = list(GOOD_STANDING)
        query = union(
            select(subs.c.customer_id.label("cid")).where(subs.c.service_number.in_(wanted)),
            select(people.c.id.label("cid")).where(
                people.c.contact_phone_bidx.in_([blind.phone_index(w) for w in wanted])
                | people.c.id_number_bidx.in_([blind.id_index(w) for w in wanted])
                | people.c.uscc.in_(wanted)
            ),
        )
        # … and no debt on their numbers either (a negative balance reads as arrears)
        self._conn.execute(
            update(subs)
            .where(subs.c.customer_id.in_(select(query.subquery().c.cid)), subs.c.balance_fen < 0)
            .values(balance_fen=-subs.c.balance_fen, updated_at=subs.c.updated_at)
        )
        found = {r[0] for r in self._conn.execute(query)}
        return {self._s.uid(c) for c in found}

    def _arrears_case(self) -> tuple[Any, Any]:
        """The subscription and customer of ``ARREARS_CASE`` (None, None when not built)."""
        subs = model_table(Subscription)
        row = self._conn.execute(
            select(subs.c.id, subs.c.customer_id).where(subs.c.service_number == ARREARS_CASE)
        ).first()
        return (self._s.uid(row[0]), self._s.uid(row[1])) if row else (None, None)

    def _suspended_on(self, due: date) -> datetime:
        """The arrears run's morning the day after the grace days ran out."""
        day = due + timedelta(days=self._rules.arrears_suspend_days + 1)
        return datetime.combine(day, dtime(2), HALL_TZ).astimezone(UTC)

    def _subscriptions(self) -> list[tuple[Any, ...]]:
        """Billed subscriptions in id order: id, customer, hall, product, status, activated."""
        t = model_table(Subscription)
        query = (
            select(
                t.c.id, t.c.customer_id, t.c.hall_id, t.c.product_id, t.c.status, t.c.activated_at
            )
            .where(
                t.c.status.in_((SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)),
                t.c.activated_at.is_not(None),
            )
            .order_by(t.c.id)
        )
        if self._s.raw:  # the stored text as it is: no conversion of a million rows
            sql = str(query.compile(self._conn, compile_kwargs={"literal_binds": True}))
            return [tuple(r) for r in self._conn.exec_driver_sql(sql)]
        return [
            (r[0], r[1], r[2], r[3], self._s.read(r[4]), r[5]) for r in self._conn.execute(query)
        ]

    def _suspend(self, updates: list[tuple[Any, Any, Any, Any]]) -> None:
        if not updates:
            return
        if self._s.raw:
            raw = self._conn.connection.driver_connection
            assert raw is not None
            cursor = raw.cursor()
            try:
                cursor.executemany(
                    "UPDATE subscriptions SET status = ?, suspend_reason = ?, suspended_at = ? "
                    "WHERE id = ?",
                    updates,
                )
            finally:
                cursor.close()
            return
        t = model_table(Subscription)
        self._conn.execute(
            update(t)
            .where(t.c.id == bindparam("sid"))
            .values(
                status=bindparam("st"),
                suspend_reason=bindparam("why"),
                suspended_at=bindparam("at"),
            ),
            [
                {
                    "st": SubscriptionStatus.SUSPENDED,
                    "why": SuspendReason(why),
                    "at": at,
                    "sid": sid,
                }
                for _, why, at, sid in updates
            ],
        )
