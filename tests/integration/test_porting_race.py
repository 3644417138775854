"""Two windows asking for the same number's 授权码 at the same instant: the subscription is
locked inside the order, so exactly one code is issued and the other clerk is told a valid code
exists; nothing of the second order stays. On SQLite and on the real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import Order, PortAuthCode
from hall_app.demo.builder import DemoBuilder
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import OrderType
from hall_app.services.actor import Actor
from hall_app.services.porting import PortCodeRequest
from tests.conftest import DEMO_TODAY, FakeClock
from tests.handset_fixtures import SIGNED
from tests.integration.test_instalments_pg import race
from tests.porting_helpers import eligible_number


def _both(
    hall: HallApp, one: Actor, two: Actor, req: PortCodeRequest
) -> list[Callable[[], object]]:
    return [
        lambda: hall.porting.issue_port_code(one, req),
        lambda: hall.porting.issue_port_code(two, req),
    ]


def _two_windows_at_once(hall: HallApp, clock: FakeClock) -> None:
    one = hall.auth.log_in("clerk1", DEMO_PASSWORD)
    two = hall.auth.log_in("clerk2", DEMO_PASSWORD)
    used: set[uuid.UUID] = set()
    for round_ in range(3):
        sub_id = eligible_number(hall, clock.now, skip=round_ * 7)
        assert sub_id not in used  # another number each round
        used.add(sub_id)
        terms = hall.porting.check_porting(one, sub_id).terms
        req = PortCodeRequest(sub_id, signature_png=SIGNED, terms_text=terms)
        refused = race(*_both(hall, one, two, req))
        assert len(refused) == 1, refused
        assert refused[0].field == "授权码" and "已有有效的授权码" in refused[0].message
        with hall.db.read() as s:
            codes = s.scalar(select(func.count()).where(PortAuthCode.subscription_id == sub_id))
            orders = s.scalar(
                select(func.count()).where(
                    Order.order_type == OrderType.PORT_AUTH, Order.subscription_id == sub_id
                )
            )
        assert (codes, orders) == (1, 1)


def test_two_windows_same_number_sqlite(hall: HallApp, clock: FakeClock) -> None:
    _two_windows_at_once(hall, clock)


@pytest.mark.postgres
def test_two_windows_same_number_postgresql(pg_url: str, clock: FakeClock) -> None:
    engine = make_engine(pg_url)
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=6, today=DEMO_TODAY, chunk=50, workers=1).build(60, 0)
    engine.dispose()
    hall = build_app(Settings.load(env={}, db_url=pg_url), clock=clock)
    try:
        _two_windows_at_once(hall, clock)
    finally:
        hall.close()
