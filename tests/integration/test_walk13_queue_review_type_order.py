"""Walk-through of issue 13: the service types of 排队日报 keep the hall's order.

On the demo's 2026-11-30 the chart 达标率 and the table 按业务类型 listed 缴费业务 before
综合业务, on 2026-12-02 after it: a general (A) ticket transferred to billing keeps its
number A…, and the review orders the types by the smallest letter of their tickets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hall_app.app import HallApp
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.services.actor import Actor
from tests.conftest import FakeClock

DAY = date(2026, 11, 24)  # the demo's today: no tickets yet
OPEN = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)  # 08:30 in the hall


def test_a_transfer_does_not_reorder_the_service_types(
    hall: HallApp, clock: FakeClock, supervisor: Actor
) -> None:
    clerk = hall.auth.log_in("clerk1", DEMO_PASSWORD)
    q = hall.queue
    clock.now = OPEN
    a1 = q.issue_ticket(clerk, "general")
    clock.now = OPEN + timedelta(minutes=1)
    q.issue_ticket(clerk, "general")
    clock.now = OPEN + timedelta(minutes=2)
    q.issue_ticket(clerk, "billing")
    clock.now = OPEN + timedelta(minutes=5)
    called = q.call_next(clerk)
    assert called is not None and called.id == a1.id
    q.transfer(clerk, a1.id, service_code="billing")  # A001 now waits as a billing ticket
    clock.now = OPEN + timedelta(minutes=30)

    report = hall.reports.day(supervisor, DAY)

    assert [f.key for f in report.by_service] == ["general", "billing"]
