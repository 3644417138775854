"""Rows the top-up tests need, made in the test (the demo's offers may differ): a live mobile
number of the demo, top-up offers, a number put in a given state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update

from hall_app.app import HallApp
from hall_app.db.models import Subscription, TopUpOffer
from hall_app.domain.enums import SubscriptionKind, SubscriptionStatus, SuspendReason


@dataclass(frozen=True)
class Number:
    subscription_id: uuid.UUID
    customer_id: uuid.UUID
    number: str
    balance_fen: int
    bonus_fen: int


def live_mobile(
    hall: HallApp, skip: int = 0, kind: SubscriptionKind = SubscriptionKind.MOBILE
) -> Number:
    """An active mobile number (or landline) of the demo."""
    with hall.db.read() as s:
        sub = s.scalars(
            select(Subscription)
            .where(
                Subscription.kind == kind,
                Subscription.status == SubscriptionStatus.ACTIVE,
            )
            .order_by(Subscription.service_number)
            .offset(skip)
            .limit(1)
        ).one()
        return Number(sub.id, sub.customer_id, sub.service_number, sub.balance_fen, sub.bonus_fen)


def balances(hall: HallApp, subscription_id: uuid.UUID) -> tuple[int, int]:
    with hall.db.read() as s:
        sub = s.get_one(Subscription, subscription_id)
        return sub.balance_fen, sub.bonus_fen


def set_state(
    hall: HallApp,
    subscription_id: uuid.UUID,
    status: SubscriptionStatus,
    reason: SuspendReason | None = None,
) -> None:
    with hall.db.unit_of_work() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.id == subscription_id)
            .values(status=status, suspend_reason=reason)
        )


def offers(hall: HallApp, *rows: tuple[str, str, int, int], on: date | None = None) -> None:
    """Only these top-up offers: (code, name, min fen, bonus fen), valid from ``on``."""
    with hall.db.unit_of_work() as s:
        s.execute(update(TopUpOffer).values(active=False))
        for code, name, min_fen, bonus in rows:
            s.add(
                TopUpOffer(
                    code=code,
                    name=name,
                    min_amount_fen=min_fen,
                    bonus_fen=bonus,
                    valid_from=on or date(2026, 1, 1),
                    valid_to=None,
                    active=True,
                )
            )
