"""Walk-through of issue 13: today's queue review (排队日报) read in the middle of the day.

The supervisor opened 排队日报 for today while tickets were waiting; 时段 and the chart
到达与积压 listed every period up to the evening's close with the tickets waiting now as
their 期末等候, figures for periods that have not happened yet."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hall_app.app import HallApp
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.services.actor import Actor
from tests.conftest import FakeClock

DAY = date(2026, 11, 24)  # the demo's today: no tickets yet
OPEN = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)  # 08:30 in the hall


def test_today_has_no_backlog_in_periods_still_to_come(
    hall: HallApp, clock: FakeClock, supervisor: Actor
) -> None:
    clerk = hall.auth.log_in("clerk1", DEMO_PASSWORD)
    clock.now = OPEN + timedelta(minutes=5)
    hall.queue.issue_ticket(clerk, "general")
    clock.now = OPEN + timedelta(minutes=10)
    hall.queue.issue_ticket(clerk, "billing")
    now = OPEN + timedelta(minutes=100)  # 10:10 in the hall, both still waiting
    clock.now = now

    report = hall.reports.day(supervisor, DAY)

    future = [p for p in report.periods if p.start >= now]
    assert [(p.start.isoformat(), p.waiting_end) for p in future if p.waiting_end] == []
    # the period under way holds the two waiting tickets
    current = [p for p in report.periods if p.start <= now < p.start + timedelta(minutes=30)]
    assert [p.waiting_end for p in current] == [2]
