"""A bill paid offline at two windows: the central copy counts both settlements (paid their
sum, not the last pushed bill row) and the double payment is flagged for a supervisor."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hall_app.app import build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.models import Bill, BillItem, ResourceClash, Subscription, VatCategory
from hall_app.domain.billing import due_date, period_bounds
from hall_app.domain.enums import BillItemKind, BillStatus, SubscriptionKind, SubscriptionStatus
from hall_app.services.bills import BillPaymentRequest
from hall_app.sync.push import Pusher
from tests.bill_fixtures import cash
from tests.conftest import FakeClock, synced_counter

pytestmark = pytest.mark.postgres


def test_a_bill_paid_offline_at_two_windows_is_counted_twice_and_flagged(
    central_url: str, demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    one = synced_counter(demo_template, tmp_path, central_url, clock)
    two_path = tmp_path / "counter-02.sqlite3"
    shutil.copyfile(demo_template, two_path)
    env = {"HALL_CENTRAL_URL": central_url, "HALL_COUNTER": "02"}
    two = build_app(Settings.load(env=env, db_url=f"sqlite:///{two_path}"), clock=clock)
    central = make_engine(central_url)
    try:
        Pusher(one.db, central, clock).enqueue_all()
        one.sync.run_round()
        with Session(central) as cs, cs.begin():  # the central billing run: one bill
            sub = cs.scalars(
                select(Subscription)
                .where(
                    Subscription.kind == SubscriptionKind.MOBILE,
                    Subscription.status == SubscriptionStatus.ACTIVE,
                    ~Subscription.customer_id.in_(
                        select(Bill.customer_id).where(Bill.status != BillStatus.PAID)
                    ),
                )
                .order_by(Subscription.service_number)
                .limit(1)
            ).one()
            basic = cs.scalars(select(VatCategory.id).where(VatCategory.code == "basic")).one()
            first, last = period_bounds("2026-11")
            bill = Bill(
                subscription_id=sub.id,
                customer_id=sub.customer_id,
                hall_id=sub.hall_id,
                period="2026-11",
                period_start=first,
                period_end=last,
                issued_at=datetime(2026, 11, 20, 1, tzinfo=UTC),
                due_date=due_date("2026-11", 15),
                amount_fen=12_900,
                paid_fen=0,
                status=BillStatus.UNPAID,
            )
            cs.add(bill)
            cs.flush()
            cs.add(
                BillItem(
                    bill_id=bill.id,
                    seq=1,
                    kind=BillItemKind.PLAN,
                    description="5G 畅享 129 元套餐",
                    amount_fen=12_900,
                    vat_category_id=basic,
                )
            )
            bill_id, customer_id = bill.id, sub.customer_id
        one.sync.run_round()
        two.sync.run_round()
        for app in (one, two):  # both windows offline, each takes the bill's 129.00
            assert app.link is not None
            app.link.mark_offline()
            clerk = app.auth.log_in("clerk1", "hall1234")
            done = app.bills.pay_bills(clerk, BillPaymentRequest(customer_id, cash(12_900)))
            assert done.settled[0].bill_id == bill_id
        for app in (one, two):
            assert app.link is not None
            app.link.mark_online()
            app.sync.run_round()
        with Session(central) as cs:
            there = cs.get_one(Bill, bill_id)
            assert (there.paid_fen, there.status) == (25_800, BillStatus.PAID)
            [clash] = cs.scalars(
                select(ResourceClash).where(ResourceClash.resource == "bill")
            ).all()
            assert clash.resource_key == "2026-11" and clash.resolved_at is None
            assert "重复缴费" in clash.detail and "多收 ¥129.00" in clash.detail
    finally:
        central.dispose()
        one.close()
        two.close()
