"""The queue review's pure figures: nearest-rank 90th percentile, the wait buckets' edges,
within target per type, periods widened for tickets outside the hours, a month by day."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from hall_app.domain.enums import TicketStatus
from hall_app.domain.queue_report import (
    HALL_TZ,
    TicketFacts,
    build_report,
    figures,
    fmt_duration,
    fmt_pct,
    percentile_nearest_rank,
    wait_bucket,
)

DAY = date(2026, 11, 20)
OPEN = datetime(2026, 11, 20, 8, 30, tzinfo=HALL_TZ)


def ticket(
    no: str,
    issued_min: float,
    wait_s: float | None,
    service_s: float | None = 60,
    *,
    code: str = "general",
    target: int = 15,
    status: TicketStatus | None = None,
    counter: str | None = "01",
) -> TicketFacts:
    issued = OPEN + timedelta(minutes=issued_min)
    called = None if wait_s is None else issued + timedelta(seconds=wait_s)
    started = called if service_s is not None else None
    finished = (
        None if started is None or service_s is None else started + timedelta(seconds=service_s)
    )
    if status is None:
        status = TicketStatus.WAITING if called is None else TicketStatus.DONE
    return TicketFacts(
        ticket_id=uuid.uuid4(),
        ticket_no=no,
        service_code=code,
        service_name=code,
        target_minutes=target,
        status=status,
        issued_at=issued,
        called_at=called,
        started_at=started,
        finished_at=finished,
        recall_count=0,
        transferred=False,
        counter_code=counter if called is not None else None,
        counter_name=counter,
        staff_id=None,
        staff_name=None,
        order_types=(),
        revenue_fen=0,
        rating=None,
    )


def test_nearest_rank_percentile() -> None:
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert percentile_nearest_rank(values, 90) == 18  # ceil(0.9 × 20) = 18th
    assert percentile_nearest_rank(values[:10], 90) == 9
    assert percentile_nearest_rank([7.0], 90) == 7
    assert percentile_nearest_rank([], 90) is None


def test_wait_bucket_edges() -> None:
    assert [wait_bucket(s) for s in (0, 299, 300, 1199, 1200, 3599, 3600, 9999)] == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
        3,
    ]


def test_within_target_uses_each_types_target() -> None:
    tickets = [
        ticket("V001", 0, 600, code="vip", target=10),  # 10:00 = target: within
        ticket("V002", 1, 601, code="vip", target=10),  # one second over
        ticket("A001", 2, 601, target=15),  # within the 15 minutes of general
        ticket("A002", 3, 100, None, status=TicketStatus.NO_SHOW),  # not served: not counted
    ]
    f = figures("all", "全部", tickets)
    assert (f.served, f.within_target) == (3, 2)
    assert f.within_target_pct == pytest.approx(200 / 3)
    assert f.no_shows == 1 and f.no_show_pct == 25.0
    assert f.wait_buckets == (1, 3, 0, 0)


def test_twenty_waits_p90_and_max_differ() -> None:
    tickets = [ticket(f"A{i:03d}", i, i * 60.0) for i in range(1, 21)]
    f = figures("all", "全部", tickets)
    assert f.wait_p90_s == 18 * 60 and f.wait_max_s == 20 * 60
    assert f.wait_avg_s == pytest.approx(10.5 * 60)


def test_periods_widen_for_a_ticket_outside_the_hours() -> None:
    early = ticket("A001", -45, 60)  # 07:45
    late = ticket("A002", 9 * 60 + 40, 60)  # 18:10
    report = build_report(DAY, DAY, "", [early, late], counter_types={"01": frozenset({"general"})})
    starts = [p.start.astimezone(HALL_TZ).strftime("%H:%M") for p in report.periods]
    assert starts[0] == "07:30" and starts[-1] == "18:00"
    assert sum(p.arrivals for p in report.periods) == 2


def test_a_month_is_reviewed_by_day_and_waiting_carries_to_the_day_end() -> None:
    first, last = date(2026, 11, 1), date(2026, 11, 30)
    never_called = ticket("A001", 0, None)
    report = build_report(first, last, "", [never_called], counter_types={})
    assert len(report.periods) == 30
    day = report.periods[DAY.day - 1]
    assert day.start == datetime(2026, 11, 20, tzinfo=HALL_TZ)
    assert (day.arrivals, day.waiting_end) == (1, 1)
    assert report.periods[DAY.day].waiting_end == 0  # the next day starts with none
    assert report.total.wait_avg_s is None and report.total.within_target_pct is None


def test_idle_counts_only_while_the_counters_types_waited() -> None:
    staff = uuid.uuid4()

    def mine(t: TicketFacts) -> TicketFacts:
        return replace(t, staff_id=staff, staff_name="甲")

    one = mine(ticket("A001", 0, 0, 600))  # 08:30-08:40
    two = mine(ticket("A002", 20, 600, 60))  # issued 08:50, called 09:00
    billing = ticket("B001", 35, None, code="billing")  # another type, waits all day
    report = build_report(
        DAY, DAY, "", [one, two, billing], counter_types={"01": frozenset({"general"})}
    )
    # free 08:40-09:00; A002 waited from 08:50: 10 minutes idle, B001 is not the counter's
    assert [(c.staff_name, c.idle_s) for c in report.idle] == [("甲", 600)]


def test_formats() -> None:
    assert fmt_duration(None) == "—" and fmt_duration(65.4) == "1:05"
    assert fmt_duration(3723) == "1:02:03"
    assert fmt_pct(None) == "—" and fmt_pct(66.04) == "66.0%"
