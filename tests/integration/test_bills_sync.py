"""Bills are made centrally and pulled by the counter (with their items); a bill paid at the
counter offline keeps its payment against the central copy until pushed, and then the central
database has it paid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hall_app.db.engine import make_engine
from hall_app.db.models import Bill, BillItem, BillSettlement, Subscription, VatCategory
from hall_app.domain.billing import due_date, period_bounds
from hall_app.domain.enums import (
    BillItemKind,
    BillStatus,
    SubscriptionKind,
    SubscriptionStatus,
)
from hall_app.services.bills import BillPaymentRequest
from hall_app.sync.pull import Puller
from hall_app.sync.push import Pusher
from tests.bill_fixtures import cash
from tests.conftest import FakeClock, synced_counter

pytestmark = pytest.mark.postgres


def test_a_central_bill_is_pulled_paid_offline_and_pushed(
    central_url: str, demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    hall = synced_counter(demo_template, tmp_path, central_url, clock)
    central = make_engine(central_url)
    try:
        Pusher(hall.db, central, clock).enqueue_all()
        hall.sync.run_round()
        with Session(central) as cs, cs.begin():  # the central billing run
            sub = cs.scalars(
                select(Subscription)
                .where(
                    Subscription.kind == SubscriptionKind.MOBILE,
                    Subscription.status == SubscriptionStatus.ACTIVE,
                    # The demo bills every number to 2026-10: a customer with none unpaid.
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
        hall.sync.run_round()
        clerk = hall.auth.log_in("clerk1", "hall1234")
        [got] = hall.bills.unpaid_bills(clerk, customer_id).bills
        assert got.id == bill_id and [i.amount_fen for i in got.items] == [12_900]

        hall.link.mark_offline()  # the link is down: paid offline
        owed = got.outstanding_fen + got.late_fee_fen
        done = hall.bills.pay_bills(clerk, BillPaymentRequest(customer_id, cash(owed)))
        assert done.settled[0].status is BillStatus.PAID
        # The central copy is touched meanwhile, stamped later: the central copy of a bill
        # wins a pull, except over the counter's payment still waiting to go.
        stamp = {"newer": clock() + timedelta(minutes=5), "older": clock() - timedelta(minutes=1)}
        with central.begin() as conn:
            conn.execute(update(Bill).where(Bill.id == bill_id).values(updated_at=stamp["newer"]))
        Puller(hall.db, central, clock).pull()
        with hall.db.read() as s:
            assert s.get_one(Bill, bill_id).status is BillStatus.PAID
        # (A push is last writer wins on updated_at: a central change stamped after the
        # offline payment would beat it there. Here the central touch is older.)
        with central.begin() as conn:
            conn.execute(update(Bill).where(Bill.id == bill_id).values(updated_at=stamp["older"]))

        hall.link.mark_online()
        hall.sync.run_round()
        with Session(central) as cs:
            there = cs.get_one(Bill, bill_id)
            assert (there.paid_fen, there.status) == (12_900, BillStatus.PAID)
            assert (
                cs.scalar(
                    select(func.count())
                    .select_from(BillSettlement)
                    .where(BillSettlement.bill_id == bill_id)
                )
                == 1
            )
    finally:
        central.dispose()
        hall.close()
