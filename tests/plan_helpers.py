"""Rows the plan-change and value-added tests start from, made in the demo database: an active
mobile number on a chosen plan (with or without a lock-in, with no contract phone), and one
with a running contract phone."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import HandsetCommitment, Product, Subscription
from hall_app.domain.enums import ContractStatus, SubscriptionKind, SubscriptionStatus

TODAY = date(2026, 11, 24)  # the test clock's business day


@dataclass(frozen=True)
class Number:
    subscription_id: uuid.UUID
    customer_id: uuid.UUID


def plan_id(hall: HallApp, code: str) -> uuid.UUID:
    with hall.db.read() as s:
        return s.scalars(select(Product.id).where(Product.code == code)).one()


def set_upgrade_effect(hall: HallApp, code: str, effect: str) -> None:
    with hall.db.unit_of_work() as s:
        s.scalars(select(Product).where(Product.code == code)).one().upgrade_effect = effect


def mobile_number(
    hall: HallApp, plan_code: str, *, lock_in_until: date | None = None, skip: int = 0
) -> Number:
    """An active mobile number without a contract phone, put on ``plan_code``."""
    with hall.db.unit_of_work() as s:
        committed = select(HandsetCommitment.subscription_id)
        sub = s.scalars(
            select(Subscription)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
                Subscription.id.not_in(committed),
            )
            .order_by(Subscription.service_number)
            .offset(skip)
            .limit(1)
        ).one()
        sub.product_id = s.scalars(select(Product.id).where(Product.code == plan_code)).one()
        sub.lock_in_until = lock_in_until
        sub.next_product_id = sub.next_product_from = None
        return Number(sub.id, sub.customer_id)


def contract_number(hall: HallApp, plan_code: str) -> tuple[Number, HandsetCommitment]:
    """An active mobile number with a contract phone running today, put on ``plan_code``."""
    with hall.db.unit_of_work() as s:
        c = s.scalars(
            select(HandsetCommitment)
            .join(Subscription, Subscription.id == HandsetCommitment.subscription_id)
            .where(
                HandsetCommitment.status == ContractStatus.ACTIVE,
                HandsetCommitment.ends_on >= TODAY,
                HandsetCommitment.starts_on <= TODAY,
                Subscription.status == SubscriptionStatus.ACTIVE,
            )
            .order_by(HandsetCommitment.ends_on)
            .limit(1)
        ).one()
        sub = s.get_one(Subscription, c.subscription_id)
        sub.product_id = s.scalars(select(Product.id).where(Product.code == plan_code)).one()
        sub.lock_in_until = c.ends_on
        sub.next_product_id = sub.next_product_from = None
        s.flush()
        s.expunge(c)
        return Number(sub.id, sub.customer_id), c
