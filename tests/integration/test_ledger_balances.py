"""The balance of record is additive: each balance change is a movement the central database
adds once, whether the window was online or offline, and a subscription new to the central
database arrives without counting its own movements twice."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from hall_app.db.models import BalanceMovement, Subscription
from hall_app.domain.enums import (
    BalanceMovementKind,
    PaymentMethod,
    SubscriptionKind,
    SubscriptionStatus,
)
from hall_app.domain.payments import PaymentInput
from hall_app.services.balances import record_movement
from hall_app.services.top_up import TopUpRequest
from tests.integration.test_sync_resources import DEAD, Hall
from tests.integration.test_sync_resources import hall as hall  # the PostgreSQL fixture

pytestmark = pytest.mark.postgres


def _pay(fen: int) -> tuple[PaymentInput, ...]:
    return (PaymentInput(PaymentMethod.CASH, fen, tendered_fen=fen),)


def test_offline_and_online_top_ups_and_a_new_number_all_reach_the_central_balance(
    hall: Hall,
) -> None:
    with hall.central.connect() as conn:
        sub_id, before = conn.execute(
            select(Subscription.id, Subscription.balance_fen)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
            )
            .order_by(Subscription.service_number.desc())
            .limit(1)
        ).one()
    offline = hall.open("01", DEAD)  # window 01 tops up with the link down
    offline.top_up.top_up(
        hall.clerk("01"), TopUpRequest("", 2_000, _pay(2_000), subscription_id=sub_id)
    )
    hall.apps["02"].top_up.top_up(
        hall.clerk("02"), TopUpRequest("", 3_000, _pay(3_000), subscription_id=sub_id)
    )
    # A number new to the central database, opened with 30.00 prepaid and topped up before
    # its first push: it must arrive with 40.00, not 70.00.
    new_id = uuid.uuid4()
    now = hall.clock.now
    with offline.db.unit_of_work() as s:
        row = s.get_one(Subscription, sub_id)
        s.add(
            Subscription(
                id=new_id,
                customer_id=row.customer_id,
                kind=SubscriptionKind.MOBILE,
                service_number="18977770002",
                product_id=row.product_id,
                status=SubscriptionStatus.ACTIVE,
                hall_id=row.hall_id,
                activated_at=now,
                balance_fen=3_000,
                created_at=now,
                updated_at=now,
            )
        )
        s.flush()
        record_movement(s, new_id, BalanceMovementKind.OPENING, 3_000, at=now)
    offline.top_up.top_up(
        hall.clerk("01"), TopUpRequest("", 1_000, _pay(1_000), subscription_id=new_id)
    )
    hall.open("01")  # the link is back
    for code in ("02", "01", "02", "01"):
        hall.apps[code].sync.run_round()
    with hall.central.connect() as conn:
        balances = dict(
            conn.execute(
                select(Subscription.id, Subscription.balance_fen).where(
                    Subscription.id.in_([sub_id, new_id])
                )
            ).all()
        )
        moved = conn.scalar(
            select(BalanceMovement.id).where(BalanceMovement.subscription_id == new_id).limit(1)
        )
    assert balances[sub_id] == before + 5_000
    assert balances[new_id] == 4_000
    assert moved is not None
