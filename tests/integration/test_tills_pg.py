"""Tills on a synced hall, against a real PostgreSQL: the Z reports of two counters are
numbered by the central database, one after the other without a gap; a supervisor at a third
counter sees every till of the hall, and the hall's day is closed once, centrally."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from hall_app.clock import business_date
from hall_app.db.models import CashSession, HallDayClose, ZReport
from hall_app.domain.enums import CashSessionStatus
from hall_app.domain.errors import ValidationError
from hall_app.services.cash import TillCount
from tests.conftest import FakeClock
from tests.integration.test_sync_resources import DEAD, Hall
from tests.integration.test_sync_resources import hall as synced_hall  # noqa: F401

pytestmark = pytest.mark.postgres


@pytest.fixture
def h(synced_hall: Hall) -> Iterator[Hall]:  # noqa: F811
    yield synced_hall


def test_z_numbers_come_from_the_central_database_and_the_hall_closes_once(
    h: Hall, clock: FakeClock
) -> None:
    day = business_date(clock())
    with h.central.connect() as conn:
        before = conn.execute(select(ZReport.z_no).order_by(ZReport.z_no)).scalars().all()
    start = (before[-1] if before else 0) + 1
    tills = []
    for code in ("01", "02"):
        app, clerk = h.apps[code], h.clerk(code)
        app.cash.open_session(clerk, 10_000)
        app.cash.record_count(clerk, TillCount({5_000: 2}))
        app.sync.run_round()  # 日结 waits for the central database to have everything
        closed = app.cash.close_session(clerk)
        tills.append(closed.id)
        assert closed.z_no == start + len(tills) - 1
        with app.db.read() as s:  # mirrored on the counter
            assert s.scalars(select(ZReport.z_no).where(ZReport.cash_session_id == closed.id)).one()
        app.sync.run_round()
    with h.central.connect() as conn:
        rows = conn.execute(
            select(ZReport.z_no, ZReport.cash_session_id).where(ZReport.z_no >= start)
        ).all()
        assert sorted(rows) == [(start, tills[0]), (start + 1, tills[1])]
        states = (
            conn.execute(select(CashSession.status).where(CashSession.id.in_(tills)))
            .scalars()
            .all()
        )
        assert set(states) == {CashSessionStatus.CLOSED}  # the push took the close there

    boss_app = h.apps["03"]
    boss = boss_app.auth.log_in("super1", "hall1234")
    seen = {t.id: t for t in boss_app.cash.day_sessions(boss, day)}
    assert set(tills) <= set(seen) and all(seen[t].z_no for t in tills)
    z = boss_app.cash.z_report(boss, tills[1])  # another counter's, read centrally
    assert z.z_no == start + 1 and z.content["counter"]
    printed = boss_app.cash.print_z_report(boss, tills[1])
    assert printed.copy_no == 1
    assert h.apps["02"].cash.print_z_report(h.clerk("02"), tills[1], "补打").copy_no == 2

    view = boss_app.cash.hall_day(boss, day)
    if view.open_tills:
        pytest.skip("the demo left a till of today open")
    done = boss_app.cash.close_hall_day(boss, day)
    assert done.closed
    other = h.apps["01"].auth.log_in("super1", "hall1234")
    with pytest.raises(ValidationError, match="该营业日已日结"):
        h.apps["01"].cash.close_hall_day(other, day)
    with h.central.connect() as conn:
        assert conn.execute(
            select(HallDayClose.id).where(HallDayClose.business_date == day)
        ).scalar_one()
    # Closed at counter 03: counter 01 has no copy of the close, the central one refuses.
    with h.apps["01"].db.read() as s:
        assert s.scalar(select(HallDayClose.id).where(HallDayClose.business_date == day)) is None
    with pytest.raises(ValidationError, match="已日结，不能再开班"):
        h.apps["01"].cash.open_session(h.clerk("01"), 0)


def test_offline_the_till_is_not_closed_without_its_number(h: Hall, clock: FakeClock) -> None:
    app = h.open("01", url=DEAD)
    clerk = h.clerk("01")
    app.cash.open_session(clerk, 0)
    app.cash.record_count(clerk, TillCount({}))
    with pytest.raises(ValidationError, match="中心数据库"):
        app.cash.close_session(clerk)
    blind = app.cash.till_to_count(clerk)
    assert blind is not None and blind.counted  # still open, the count kept
