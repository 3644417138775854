"""Walk of issue 14: a demo customer of the test template with an overdue unpaid bill (the demo
builds bills now), found as a clerk would type the number."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Bill, Subscription
from hall_app.domain.enums import BillStatus, SubscriptionKind


def overdue_number(hall: HallApp) -> str:
    with hall.db.read() as s:
        number = s.scalars(
            select(Subscription.service_number)
            .join(Bill, Bill.subscription_id == Subscription.id)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Bill.status == BillStatus.UNPAID,
                Bill.due_date < date(2026, 11, 24),
            )
            .order_by(Subscription.service_number)
            .limit(1)
        ).first()
    assert number is not None
    return number
