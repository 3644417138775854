"""Two windows changing the same number at once (挂失 at one, 停机保号 at the other, or the
same 挂失 twice): the conditional UPDATE on the number's state decides; one order is made,
the other is refused in Chinese and nothing of it stays. On SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import Order, Subscription
from hall_app.demo.builder import DemoBuilder
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import SubscriptionStatus
from hall_app.services.account_changes import LossRequest, SuspendRequest
from tests.conftest import DEMO_TODAY, FakeClock
from tests.custdata_helpers import make_owner
from tests.handset_fixtures import SIGNED
from tests.integration.test_instalments_pg import race


def _two_windows_at_once(hall: HallApp) -> None:
    one = hall.auth.log_in("clerk1", DEMO_PASSWORD)
    two = hall.auth.log_in("clerk2", DEMO_PASSWORD)
    assert one.counter_id != two.counter_id
    owner = make_owner(hall)
    sid = owner.subscription_id
    terms = hall.account_changes.quote_number_change(two, SuspendRequest(sid)).terms
    signed = SuspendRequest(sid, signature_png=SIGNED, terms_text=terms)  # 停机保号 is signed
    refused = race(
        lambda: hall.account_changes.report_loss(one, LossRequest(sid)),
        lambda: hall.account_changes.suspend(two, signed),
    )
    assert len(refused) == 1, refused
    text = refused[0].text
    assert "号码状态已由其他窗口变更" in text or "不能办理" in text, text
    with hall.db.read() as s:
        sub = s.get_one(Subscription, sid)
        assert sub.status is SubscriptionStatus.SUSPENDED
        orders = s.scalar(
            select(func.count()).select_from(Order).where(Order.subscription_id == sid)
        )
    assert orders == 1


def test_two_windows_changing_one_number_at_once_sqlite(hall: HallApp) -> None:
    _two_windows_at_once(hall)


@pytest.mark.postgres
def test_two_windows_changing_one_number_at_once_postgres(pg_url: str, clock: FakeClock) -> None:
    engine = make_engine(pg_url)
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=6, today=DEMO_TODAY, chunk=50, workers=1).build(60, 0)
    engine.dispose()
    hall = build_app(Settings.load(env={}, db_url=pg_url), clock=clock)
    try:
        _two_windows_at_once(hall)
    finally:
        hall.close()
