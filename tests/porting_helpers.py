"""Numbers made eligible for portability (携号转网) or not, one condition at a time, written as
rows: the demo has no bills yet and its numbers' ages vary."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update

from hall_app.app import HallApp
from hall_app.clock import business_date
from hall_app.db.models import Bill, Customer, HandsetCommitment, Subscription
from hall_app.domain.billing import due_date, period_bounds
from hall_app.domain.enums import (
    BillStatus,
    ContractStatus,
    SubscriptionKind,
    SubscriptionStatus,
)
from tests.bill_rows import clear_period
from tests.integration.handset_rows import with_mobile


def mobile_of(hall: HallApp, customer_id: uuid.UUID) -> uuid.UUID:
    with hall.db.read() as s:
        return (
            s.scalars(
                select(Subscription.id)
                .where(
                    Subscription.customer_id == customer_id,
                    Subscription.kind == SubscriptionKind.MOBILE,
                    Subscription.status == SubscriptionStatus.ACTIVE,
                )
                .order_by(Subscription.id)
            ).first()
            or _none()
        )


def _none() -> uuid.UUID:
    raise AssertionError("the demo customer has an active mobile number")


def make_eligible(hall: HallApp, subscription_id: uuid.UUID, now: datetime) -> None:
    """Every condition holds: real-name registered, active, no open bill, no lock-in or
    contract phone, activated 200 days ago."""
    with hall.db.unit_of_work() as s:
        sub = s.get_one(Subscription, subscription_id)
        sub.status = SubscriptionStatus.ACTIVE
        sub.suspend_reason = None
        sub.suspended_at = None
        sub.lock_in_until = None
        sub.activated_at = now - timedelta(days=200)
        customer = s.get_one(Customer, sub.customer_id)
        if customer.real_name_verified_at is None:
            customer.real_name_verified_at = now - timedelta(days=200)
        s.execute(
            update(Bill)
            .where(Bill.subscription_id == subscription_id)
            .values(status=BillStatus.PAID, paid_fen=Bill.amount_fen, paid_at=now)
        )
        s.execute(
            update(HandsetCommitment)
            .where(HandsetCommitment.subscription_id == subscription_id)
            .values(status=ContractStatus.COMPLETED)
        )


def eligible_number(hall: HallApp, now: datetime, skip: int = 0) -> uuid.UUID:
    """An individual customer's active mobile number, made eligible."""
    sub_id = mobile_of(hall, with_mobile(hall, skip))
    make_eligible(hall, sub_id, now)
    return sub_id


def add_bill(
    hall: HallApp,
    subscription_id: uuid.UUID,
    period: str,
    amount_fen: int,
    *,
    paid_fen: int = 0,
    issued: datetime,
) -> uuid.UUID:
    """An issued bill of the number, unpaid (or partly paid)."""
    start, end = period_bounds(period)
    with hall.db.unit_of_work() as s:
        sub = s.get_one(Subscription, subscription_id)
        clear_period(s, sub.id, period)
        bill = Bill(
            subscription_id=sub.id,
            customer_id=sub.customer_id,
            hall_id=sub.hall_id,
            period=period,
            period_start=start,
            period_end=end,
            issued_at=issued,
            due_date=due_date(period, hall.settings.rules.bill_due_day),
            amount_fen=amount_fen,
            paid_fen=paid_fen,
            status=BillStatus.PARTLY_PAID if paid_fen else BillStatus.UNPAID,
        )
        s.add(bill)
        s.flush()
        return bill.id


def activated_days_ago(hall: HallApp, subscription_id: uuid.UUID, days: int, now: datetime) -> None:
    """Activated ``days`` business days before today (in the hall's time zone)."""
    today = business_date(now)
    with hall.db.unit_of_work() as s:
        sub = s.get_one(Subscription, subscription_id)
        sub.activated_at = now - timedelta(days=days)
        assert business_date(sub.activated_at) == today - timedelta(days=days)
