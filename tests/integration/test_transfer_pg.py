"""Two clerks transferring the same number at once, to two different new owners, on the real
PostgreSQL: the row lock and the conditional UPDATE of the owner decide; one transfer is made,
the other is refused and leaves nothing (no order, no transfer row, no used approval)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hall_app.app import build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import Approval, Order, OwnershipTransfer, Subscription
from hall_app.demo.builder import DemoBuilder
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import OrderType
from tests.conftest import DEMO_TODAY, FakeClock
from tests.integration.test_instalments_pg import race
from tests.transfer_helpers import Pair, pair, request


@pytest.mark.postgres
def test_two_clerks_transferring_the_same_number_on_postgresql(
    pg_url: str, clock: FakeClock
) -> None:
    engine = make_engine(pg_url)
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=6, today=DEMO_TODAY, chunk=50, workers=1).build(60, 0)
    engine.dispose()
    hall = build_app(Settings.load(env={}, db_url=pg_url), clock=clock)
    try:
        one = hall.auth.log_in("clerk1", DEMO_PASSWORD)
        two = hall.auth.log_in("clerk2", DEMO_PASSWORD)
        boss = hall.auth.log_in("super1", DEMO_PASSWORD)
        a = pair(hall)
        b = Pair(a.subscription_id, a.from_id, pair(hall, skip=1).from_id, a.number)
        assert b.to_id not in (a.from_id, a.to_id)
        to_a = hall.transfers.check_transfer(one, a.subscription_id, a.to_id)
        to_b = hall.transfers.check_transfer(two, b.subscription_id, b.to_id)
        assert to_a.allowed and to_b.allowed
        refused = race(
            lambda: hall.transfers.transfer(one, request(a, to_a, supervisor=boss)),
            lambda: hall.transfers.transfer(two, request(b, to_b, supervisor=boss)),
        )
        assert len(refused) == 1, refused
        assert "机主已变化" in refused[0].text
        with hall.db.read() as s:
            owner = s.get_one(Subscription, a.subscription_id).customer_id
            assert owner in (a.to_id, b.to_id)
            assert s.scalar(select(func.count()).select_from(OwnershipTransfer)) == 1
            assert (
                s.scalar(
                    select(func.count()).where(Order.order_type == OrderType.TRANSFER_OWNERSHIP)
                )
                == 1
            )
            kind = Approval.kind == "ownership_transfer"
            assert s.scalar(select(func.count()).where(kind)) == 1
    finally:
        hall.close()
