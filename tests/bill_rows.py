"""The demo bills every number for a year: a test's own bill of a period replaces the demo's."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hall_app.db.models import Bill, BillItem, BillSettlement


def clear_period(session: Session, subscription_id: uuid.UUID, period: str) -> None:
    """Remove the number's bill of ``period`` (its items and settlements too), if any."""
    old = select(Bill.id).where(Bill.subscription_id == subscription_id, Bill.period == period)
    session.execute(delete(BillSettlement).where(BillSettlement.bill_id.in_(old)))
    session.execute(delete(BillItem).where(BillItem.bill_id.in_(old)))
    session.execute(
        delete(Bill).where(Bill.subscription_id == subscription_id, Bill.period == period)
    )
