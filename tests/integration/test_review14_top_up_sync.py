"""Review of issue 14: top-ups of one number at two windows, each synced: one is lost centrally.

top_up.py raises the balance by a relative UPDATE "so two windows topping up the same number at
once both count" — but only inside one counter's database. Each counter then pushes the whole
subscription row, and the central copy is last-writer-wins on updated_at: the other window's
top-up vanishes from the balance of record (the money is in its till, the order is there)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hall_app.db.models import Subscription
from hall_app.domain.enums import PaymentMethod, SubscriptionKind, SubscriptionStatus
from hall_app.domain.payments import PaymentInput
from hall_app.services.top_up import TopUpRequest
from tests.integration.test_sync_resources import Hall
from tests.integration.test_sync_resources import hall as hall  # the PostgreSQL fixture

pytestmark = pytest.mark.postgres


def test_review14_top_ups_at_two_windows_both_reach_the_central_balance(hall: Hall) -> None:
    with hall.central.connect() as conn:
        sub_id, before = conn.execute(
            select(Subscription.id, Subscription.balance_fen)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
            )
            .order_by(Subscription.service_number)
            .limit(1)
        ).one()
    for code, fen in (("01", 10_000), ("02", 5_000)):
        app = hall.apps[code]
        app.top_up.top_up(
            hall.clerk(code),
            TopUpRequest(
                "",
                fen,
                (PaymentInput(PaymentMethod.CASH, fen, tendered_fen=fen),),
                subscription_id=sub_id,
            ),
        )
        hall.clock.now = hall.clock.now.replace(second=(hall.clock.now.second + 5) % 60)
    for code in ("01", "02", "01"):
        hall.apps[code].sync.run_round()
    with hall.central.connect() as conn:
        after = conn.scalar(select(Subscription.balance_fen).where(Subscription.id == sub_id))
    assert after == before + 15_000, f"central balance {after}, expected {before + 15_000}"
