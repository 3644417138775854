"""The demo's year of bills: what the README and the bill screens rely on — most bills paid, a
few percent of the numbers in arrears and suspended for it, voluntary and lost suspensions with
their reasons and keep-number fees, billing disputes, top-up offers — consistent with the
billing run and deterministic by seed."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from hall_app.app import HallApp
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import (
    Bill,
    BillItem,
    Customer,
    ServiceTicket,
    Subscription,
    TopUpOffer,
)
from hall_app.demo.bills import GOOD_STANDING
from hall_app.demo.builder import DemoBuilder
from hall_app.domain.billing import is_arrears
from hall_app.domain.enums import (
    BillItemKind,
    BillStatus,
    ServiceTicketStatus,
    SubscriptionStatus,
    SuspendReason,
)
from tests.conftest import DEMO_TODAY

UNPAID = (BillStatus.UNPAID, BillStatus.PARTLY_PAID)


def test_a_year_of_bills_for_every_billed_subscription(hall: HallApp) -> None:
    with hall.db.read() as s:
        periods = s.scalars(select(Bill.period).distinct().order_by(Bill.period)).all()
        assert periods[0] == "2025-11" and periods[-1] == "2026-10" and len(periods) == 12
        billed = s.scalar(select(func.count(func.distinct(Bill.subscription_id))))
        live = s.scalar(
            select(func.count())
            .select_from(Subscription)
            .where(
                Subscription.status.in_((SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)),
                Subscription.activated_at < text("'2026-10-31 16:00:00'"),
            )
        )
        assert billed == live
        # each bill's amount is its items' sum; the plan item names its product
        mismatched = s.scalar(
            select(func.count()).select_from(
                select(Bill.id)
                .join(BillItem)
                .group_by(Bill.id, Bill.amount_fen)
                .having(func.sum(BillItem.amount_fen) != Bill.amount_fen)
                .subquery()
            )
        )
        assert mismatched == 0
        plan_items = s.scalar(
            select(func.count())
            .select_from(BillItem)
            .where(BillItem.kind == BillItemKind.PLAN, BillItem.product_id.is_(None))
        )
        assert plan_items == 0
        paid = s.scalar(
            select(func.count())
            .select_from(Bill)
            .where(
                Bill.status == BillStatus.PAID,
                Bill.paid_at.is_not(None),
                Bill.paid_fen == Bill.amount_fen,
            )
        )
        total = s.scalar(select(func.count()).select_from(Bill))
    assert total and paid and paid / total > 0.95


def test_arrears_and_suspensions_as_the_rules_say(hall: HallApp) -> None:
    rules = hall.settings.rules
    with hall.db.read() as s:
        unpaid = s.execute(
            select(Bill.subscription_id, Bill.due_date).where(Bill.status.in_(UNPAID))
        ).all()
        overdue = {sid for sid, due in unpaid if is_arrears(due, DEMO_TODAY, 0)}
        past_grace = {
            sid for sid, due in unpaid if is_arrears(due, DEMO_TODAY, rules.arrears_suspend_days)
        }
        subs = {
            r.id: (r.status, r.suspend_reason)
            for r in s.execute(
                select(Subscription.id, Subscription.status, Subscription.suspend_reason)
            )
        }
        billed = s.scalar(select(func.count(func.distinct(Bill.subscription_id))))
        voluntary = [k for k, v in subs.items() if v[1] is SuspendReason.VOLUNTARY]
        keep_items = s.scalar(
            select(func.count(func.distinct(Bill.subscription_id)))
            .join(BillItem)
            .where(BillItem.kind == BillItemKind.KEEP_NUMBER)
        )
    assert billed
    assert 0.03 <= len(overdue) / billed <= 0.05  # arrears: 3–5 % of the billed numbers
    # every number past the grace days is suspended for arrears, and only those are
    arrears = {k for k, v in subs.items() if v[1] is SuspendReason.ARREARS}
    assert past_grace == arrears
    assert all(subs[k][0] is SubscriptionStatus.SUSPENDED for k in arrears)
    assert any(v == (SubscriptionStatus.ACTIVE, None) for k, v in subs.items() if k in overdue)
    assert voluntary and keep_items and keep_items <= len(voluntary)
    assert any(v[1] is SuspendReason.LOST for v in subs.values())
    # no suspended number without its reason, and the arrears run finds nothing more to do
    assert not [v for v in subs.values() if v[0] is SubscriptionStatus.SUSPENDED and not v[1]]
    assert hall.billing.suspend_for_arrears(None, DEMO_TODAY) == 0
    again = hall.billing.run_billing(None, "2026-10")
    assert again.bills == 0 and again.skipped > 0


def test_disputes_offers_and_tenures(hall: HallApp) -> None:
    with hall.db.read() as s:
        disputes = s.execute(
            select(ServiceTicket.subscription_id, ServiceTicket.status).where(
                ServiceTicket.category == "话费争议"
            )
        ).all()
        offers = s.execute(
            select(TopUpOffer.name, TopUpOffer.min_amount_fen, TopUpOffer.bonus_fen).order_by(
                TopUpOffer.min_amount_fen
            )
        ).all()
        activated = s.scalars(
            select(Subscription.activated_at).where(
                Subscription.status == SubscriptionStatus.ACTIVE
            )
        ).all()
    assert disputes and all(st is ServiceTicketStatus.OPEN and sub for sub, st in disputes)
    assert [tuple(o) for o in offers] == [
        ("充50送5", 5000, 500),
        ("充100送20", 10000, 2000),
        ("充200送50", 20000, 5000),
    ]
    now = hall.clock()
    assert any(a and now - a > timedelta(days=120) for a in activated)
    assert any(a and now - a < timedelta(days=120) for a in activated)


def _bills_of(path: Path, seed: int) -> list[tuple[object, ...]]:
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=seed, today=DEMO_TODAY, chunk=100, workers=1).build(300, 0)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT b.*, i.* FROM bills b JOIN bill_items i ON i.bill_id = b.id "
                "ORDER BY b.id, i.seq"
            )
        ).all()
        rows += conn.execute(
            text("SELECT id, status, suspend_reason, suspended_at FROM subscriptions ORDER BY id")
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_the_bills_are_the_same_for_the_same_seed(tmp_path: Path) -> None:
    first = _bills_of(tmp_path / "a.sqlite3", 5)
    assert len(first) > 3000
    assert first == _bills_of(tmp_path / "b.sqlite3", 5)
    assert first != _bills_of(tmp_path / "c.sqlite3", 6)


# The README's bill cases (seed 1, as `make run` builds it): number -> what it promises.
README_CASES = {
    "18101399106": ("周林", SuspendReason.ARREARS, 2),  # 缴费 with arrears: two bills
    "18022483283": ("孙鹏泽", SuspendReason.ARREARS, 3),  # 销户 refused: bills and a dispute
    "17736192700": ("刘琴", None, 0),  # 充值
    "15377552085": ("陈颖", None, 0),  # 携号转网 passes
    "18914646255": ("周志", None, 0),  # 携号转网 refused: tenure
    "18090914801": ("高娜瑶", SuspendReason.LOST, 0),  # 挂失 → 解挂
}


@pytest.mark.parametrize("today", [DEMO_TODAY, date(2026, 12, 1)])
def test_the_readme_bill_cases(tmp_path: Path, today: date) -> None:
    """The README's rows hold on a build of any day (``make run`` builds on the real date)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=1, today=today, workers=1).build(1000, 1)
    with Session(engine) as s:
        for number, (name, reason, unpaid) in README_CASES.items():
            sub = s.scalars(select(Subscription).where(Subscription.service_number == number)).one()
            assert s.get_one(Customer, sub.customer_id).name == name
            assert sub.suspend_reason is reason, number
            open_bills = s.scalars(
                select(Bill).where(Bill.subscription_id == sub.id, Bill.status.in_(UNPAID))
            ).all()
            assert len(open_bills) == unpaid, number
            if number == "18101399106":  # the older one half paid, the newer not at all
                older, newer = sorted(open_bills, key=lambda b: b.period)
                assert older.status is BillStatus.PARTLY_PAID and 2 * older.paid_fen == (
                    older.amount_fen
                )
                assert newer.status is BillStatus.UNPAID and newer.paid_fen == 0
                others = s.scalars(
                    select(Subscription).where(
                        Subscription.customer_id == sub.customer_id, Subscription.id != sub.id
                    )
                ).all()
                assert all(o.suspend_reason is not SuspendReason.ARREARS for o in others)
                assert not s.scalars(
                    select(Bill.id).where(
                        Bill.customer_id == sub.customer_id,
                        Bill.subscription_id != sub.id,
                        Bill.status.in_(UNPAID),
                    )
                ).all()
            if number == "17736192700":
                assert sub.balance_fen > 0
        disputed = s.scalars(  # pinned to him (bill_extras.DISPUTED_NUMBERS), not sampled
            select(ServiceTicket.subscription_id).where(
                ServiceTicket.category == "话费争议",
                ServiceTicket.status == ServiceTicketStatus.OPEN,
            )
        ).all()
        sun = s.scalars(select(Subscription.id).where(Subscription.service_number == "18022483283"))
        assert sun.one() in disputed  # any build day
        tenure = {
            n: today
            - s.scalars(select(Subscription.activated_at).where(Subscription.service_number == n))
            .one()
            .date()
            for n in ("15377552085", "18914646255")
        }
        assert tenure["15377552085"].days > 120 > tenure["18914646255"].days
        lock = s.scalars(
            select(Subscription.lock_in_until).where(Subscription.service_number == "15377552085")
        ).one()
        assert lock is None or lock < today
        # the customers the README names for other walks have no unpaid bill
        clear = s.scalars(
            select(Subscription.customer_id).where(Subscription.service_number.in_(GOOD_STANDING))
        ).all()
        assert clear
        assert not s.scalars(
            select(Bill.id).where(Bill.customer_id.in_(clear), Bill.status.in_(UNPAID))
        ).all()
    engine.dispose()


def test_the_readme_dispute_is_there_in_a_small_build_on_another_day(tmp_path: Path) -> None:
    """孙鹏泽's open 话费争议 is pinned to his number, not drawn from a sample of the unpaid
    bills that depends on how many the build has and on its day."""
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=1, today=DEMO_TODAY + timedelta(days=7), workers=1).build(300, 0)
    with Session(engine) as s:
        sub = s.scalars(select(Subscription).where(Subscription.service_number == "18022483283"))
        disputes = s.scalars(
            select(ServiceTicket).where(
                ServiceTicket.subscription_id == sub.one().id, ServiceTicket.category == "话费争议"
            )
        ).all()
        assert [t.status for t in disputes] == [ServiceTicketStatus.OPEN]
    engine.dispose()
