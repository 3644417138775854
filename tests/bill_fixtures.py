"""Bills for the tests until the demo builds them: one demo customer's mobile number with two
overdue bills (2026-09, due 2026-10-15; 2026-10, due 2026-11-15; the clock says 2026-11-24)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update

from hall_app.app import HallApp
from hall_app.db.models import Bill, BillItem, BillSettlement, Customer, Subscription, VatCategory
from hall_app.domain.billing import due_date, period_bounds
from hall_app.domain.enums import (
    BillItemKind,
    BillStatus,
    PaymentMethod,
    SubscriptionKind,
    SubscriptionStatus,
    SuspendReason,
)
from hall_app.domain.payments import PaymentInput

SEP_FEN = 20_000  # 2026-09: 200.00, 40 days overdue on 2026-11-24: late fee 24.00
OCT_FEN = 12_900  # 2026-10: 129.00, 9 days overdue: late fee 3.483 -> 3.48
SEP_FEE = 2_400
OCT_FEE = 348


@dataclass(frozen=True)
class Billed:
    customer_id: uuid.UUID
    subscription_id: uuid.UUID
    number: str
    phone: str  # the customer's contact phone (find by phone)
    sep: uuid.UUID
    oct: uuid.UUID


def cash(fen: int, tendered: int | None = None) -> tuple[PaymentInput, ...]:
    return (PaymentInput(PaymentMethod.CASH, fen, tendered_fen=tendered or fen),)


def add_bill(
    hall: HallApp,
    subscription_id: uuid.UUID,
    period: str,
    items: list[tuple[BillItemKind, str, int, str, bool]],
    *,
    instalment_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """A bill with its items (kind, description, amount, VAT category code, invoiceable); the
    instalment, when given, on its INSTALMENT items."""
    first, last = period_bounds(period)
    with hall.db.unit_of_work() as s:
        sub = s.get_one(Subscription, subscription_id)
        # The demo bills every number: the test's own bill of the period replaces the demo's.
        old = s.scalar(select(Bill.id).where(Bill.subscription_id == sub.id, Bill.period == period))
        if old is not None:
            s.execute(delete(BillItem).where(BillItem.bill_id == old))
            s.execute(delete(Bill).where(Bill.id == old))
        vats = {v.code: v.id for v in s.scalars(select(VatCategory))}
        bill = Bill(
            subscription_id=sub.id,
            customer_id=sub.customer_id,
            hall_id=sub.hall_id,
            period=period,
            period_start=first,
            period_end=last,
            issued_at=datetime(last.year, last.month, last.day, 16, 0, tzinfo=UTC),
            due_date=due_date(period, 15),
            amount_fen=sum(i[2] for i in items),
            paid_fen=0,
            status=BillStatus.UNPAID,
        )
        s.add(bill)
        s.flush()
        for seq, (kind, text, amount, vat, invoiceable) in enumerate(items, 1):
            s.add(
                BillItem(
                    bill_id=bill.id,
                    seq=seq,
                    kind=kind,
                    description=text,
                    amount_fen=amount,
                    vat_category_id=vats[vat],
                    invoiceable=invoiceable,
                    instalment_id=instalment_id if kind is BillItemKind.INSTALMENT else None,
                    product_id=sub.product_id if kind is BillItemKind.PLAN else None,
                )
            )
        return bill.id


def billed_customer(hall: HallApp, *, arrears_suspended: bool = False) -> Billed:
    """A demo customer with one active mobile number and no bills, given two overdue ones."""
    with hall.db.unit_of_work() as s:
        one = (
            select(Subscription.customer_id)
            .group_by(Subscription.customer_id)
            .having(func.count() == 1)
        )
        sub = s.scalars(
            select(Subscription)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
                Subscription.customer_id.in_(one),
            )
            .order_by(Subscription.service_number)
            .limit(1)
        ).one()
        if arrears_suspended:
            sub.status = SubscriptionStatus.SUSPENDED
            sub.suspend_reason = SuspendReason.ARREARS
            sub.suspended_at = datetime(2026, 10, 26, 1, 0, tzinfo=UTC)
        # The demo bills every number for a year: the number's own bills give way to these.
        own = select(Bill.id).where(Bill.subscription_id == sub.id)
        s.execute(delete(BillSettlement).where(BillSettlement.bill_id.in_(own)))
        s.execute(delete(BillItem).where(BillItem.bill_id.in_(own)))
        s.execute(delete(Bill).where(Bill.subscription_id == sub.id))
        customer = s.get_one(Customer, sub.customer_id)
        ids = sub.customer_id, sub.id, sub.service_number, customer.contact_phone or ""
        # the demo's own bills of the customer paid: the two below are all that is owed
        s.execute(
            update(Bill)
            .where(Bill.customer_id == sub.customer_id, Bill.status != BillStatus.PAID)
            .values(paid_fen=Bill.amount_fen, status=BillStatus.PAID)
        )
    sep = add_bill(
        hall,
        ids[1],
        "2026-09",
        [
            (BillItemKind.PLAN, "5G 畅享 129 元套餐", 12_900, "basic", True),
            (BillItemKind.USAGE, "套餐外流量 7.1 元", 7_100, "value_added", True),
        ],
    )
    oct_ = add_bill(
        hall, ids[1], "2026-10", [(BillItemKind.PLAN, "5G 畅享 129 元套餐", 12_900, "basic", True)]
    )
    return Billed(ids[0], ids[1], ids[2], ids[3], sep, oct_)
