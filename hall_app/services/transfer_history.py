"""The transfers (过户) a customer's record lists: numbers transferred out and in, each with
the other party masked. Kept apart from the transfer service so the customer record reads it
without the order pipeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session, aliased

from hall_app.db.crypto import open_value
from hall_app.db.models import Customer, Order, OwnershipTransfer, Subscription
from hall_app.domain.masking import mask_name
from hall_app.services.subscriptions import shown_number

OUT = "转出"
IN = "转入"


@dataclass(frozen=True)
class TransferView:
    number_masked: str
    direction: str  # 转出 / 转入
    other_name_masked: str
    transferred_at: datetime
    order_no: str


def transfers_of(
    session: Session, customer_id: uuid.UUID, limit: int = 50
) -> tuple[TransferView, ...]:
    """The customer's transfers, newest first."""
    other = aliased(Customer)
    side = case(
        (OwnershipTransfer.from_customer_id == customer_id, OwnershipTransfer.to_customer_id),
        else_=OwnershipTransfer.from_customer_id,
    )
    rows = session.execute(
        select(OwnershipTransfer, Subscription, Order.order_no, other.id, other.name)
        .join(Subscription, Subscription.id == OwnershipTransfer.subscription_id)
        .join(Order, Order.id == OwnershipTransfer.order_id)
        .join(other, other.id == side)
        .where(
            or_(
                OwnershipTransfer.from_customer_id == customer_id,
                OwnershipTransfer.to_customer_id == customer_id,
            )
        )
        .order_by(OwnershipTransfer.transferred_at.desc())
        .limit(limit)
    ).all()
    return tuple(
        TransferView(
            number_masked=shown_number(sub),
            direction=OUT if t.from_customer_id == customer_id else IN,
            other_name_masked=mask_name(open_value(name, "customers", "name", other_id) or ""),
            transferred_at=t.transferred_at,
            order_no=order_no,
        )
        for t, sub, order_no, other_id, name in rows
    )
