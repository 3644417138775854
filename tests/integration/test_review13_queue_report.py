"""Review of issue 13 (the queue review): defects shown by failing tests."""

from __future__ import annotations

from hall_app.app import HallApp
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.services.actor import Actor
from tests.conftest import FakeClock
from tests.integration.test_queue_report import DAY, _at_counter, _small_day, at


def test_review13_a_clerks_idle_time_does_not_change_with_the_clerk_filter(
    hall: HallApp, clock: FakeClock, supervisor: Actor
) -> None:
    """Idle = time between a finish and the next call while a ticket of the counter's types
    was waiting: whether a ticket waited is the hall's fact, whoever served it. With the
    clerk (or counter) filter the service hands build_report only that clerk's tickets, so
    the waits of tickets other clerks served vanish and the clerk's idle time shrinks."""
    _small_day(hall, clock)
    c1 = _at_counter(hall, hall.auth.log_in("clerk1", DEMO_PASSWORD), "01")
    c2 = _at_counter(hall, hall.auth.log_in("clerk2", DEMO_PASSWORD), "02")
    q = hall.queue
    clock.now = at(71)
    first = q.issue_ticket(c1, "general")  # waits 71→75, served at counter 02
    clock.now = at(72)
    second = q.issue_ticket(c1, "general")  # waits 72→80, served at counter 01
    clock.now = at(75)
    got = q.call_next(c2)
    assert got is not None and got.id == first.id
    clock.now = at(80)
    got = q.call_next(c1)
    assert got is not None and got.id == second.id
    clock.now = at(85)

    whole = {c.staff_id: c.idle_s for c in hall.reports.day(supervisor, DAY).idle}
    # clerk 1: 900 s of the small day, then 61→80 with a general ticket waiting from 71
    assert whole[c1.staff_id] == 900 + 540
    only = hall.reports.day(supervisor, DAY, staff_id=c1.staff_id)
    mine = {c.staff_id: c.idle_s for c in only.idle}
    assert mine[c1.staff_id] == whole[c1.staff_id]
    at_01 = hall.reports.day(supervisor, DAY, counter_code="01")
    assert {c.staff_id: c.idle_s for c in at_01.idle}[c1.staff_id] == whole[c1.staff_id]
