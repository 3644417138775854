"""The queue review (排队日报) of a small day driven through the real queue, checked against
figures computed by hand: every definition, a ticket transferred between types, a no-show
recalled twice, empty periods, idle time, counters open and the business by order type."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.clock import local
from hall_app.db.models import Counter, Order, Payment
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import OrderState, OrderType, PaymentMethod, TicketStatus
from hall_app.domain.errors import PermissionDenied, ValidationError
from hall_app.domain.queue_report import EMPTY_DAY_TEXT, QueueReport
from hall_app.services.actor import Actor
from hall_app.services.queue import TicketView
from tests.conftest import FakeClock

DAY = date(2026, 11, 24)  # the demo's today: no tickets yet
OPEN = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)  # 08:30 in the hall


def at(minutes: int) -> datetime:
    return OPEN + timedelta(minutes=minutes)


def _at_counter(hall: HallApp, actor: Actor, code: str) -> Actor:
    with hall.db.read() as s:
        counter = s.scalars(select(Counter).where(Counter.code == code)).one()
        return replace(actor, counter_id=counter.id, counter_name=counter.name)


def _order(
    hall: HallApp,
    clerk: Actor,
    ticket_id: uuid.UUID,
    order_type: OrderType,
    paid_fen: int,
    state: OrderState = OrderState.COMPLETED,
) -> None:
    with hall.db.unit_of_work() as s:
        order = Order(
            order_no=f"T{uuid.uuid4().hex[:12]}",
            order_type=order_type,
            state=state,
            hall_id=clerk.hall_id,
            counter_id=clerk.counter_id,
            staff_id=clerk.staff_id,
            ticket_id=ticket_id,
            total_fen=paid_fen,
        )
        s.add(order)
        s.flush()
        if paid_fen:
            s.add(
                Payment(
                    order_id=order.id,
                    staff_id=clerk.staff_id,
                    method=PaymentMethod.CASH,
                    amount_fen=paid_fen,
                    paid_at=hall.clock(),
                )
            )


def _small_day(hall: HallApp, clock: FakeClock) -> dict[str, uuid.UUID]:
    """Clerk 1 at counter 01 (billing, general), clerk 2 at 02 (fixed, general).

    A001 general  issued 0, called 5, start 6, finish 16      wait 300, walk 60, service 600
    B001 billing  issued 2, called 17, recalled 18 and 19, no-show    wait 1020 (last call)
    C001 fixed    issued 3, called 6 at 02, transferred to billing 7,
                  called 21 at 01, start 22, finish 30        wait 1080, service 480
    C002 fixed    issued 4, called 50 at 02, start 50, finish 55    wait 2760, service 300
    A002 general  issued 25, called 40, start 41, finish 61   wait 900, service 1200
    V001 vip      issued 45, never called
    (minutes after 08:30; C002 is issued before the transfer: QueueService numbers a new
    ticket after the type's highest seq, so a fixed ticket issued after C001 left the type
    would be numbered C001 again and collide)
    """
    c1 = _at_counter(hall, hall.auth.log_in("clerk1", DEMO_PASSWORD), "01")
    c2 = _at_counter(hall, hall.auth.log_in("clerk2", DEMO_PASSWORD), "02")
    q = hall.queue
    ids: dict[str, uuid.UUID] = {}

    def go(minute: int) -> None:
        clock.now = at(minute)

    def called(view: TicketView | None, no: str) -> uuid.UUID:
        assert view is not None and view.ticket_no == no, view
        return view.id

    go(0)
    ids["A001"] = q.issue_ticket(c1, "general").id
    go(2)
    ids["B001"] = q.issue_ticket(c1, "billing").id
    go(3)
    ids["C001"] = q.issue_ticket(c1, "fixed").id
    go(4)
    ids["C002"] = q.issue_ticket(c1, "fixed").id
    go(5)
    called(q.call_next(c1), "A001")
    go(6)
    q.start_service(c1, ids["A001"])
    called(q.call_next(c2), "C001")
    go(7)
    q.transfer(c2, ids["C001"], service_code="billing")
    go(16)
    q.finish(c1, ids["A001"])
    _order(hall, c1, ids["A001"], OrderType.BILL_PAYMENT, 5_000)
    _order(hall, c1, ids["A001"], OrderType.TOP_UP, 3_000)
    go(17)
    called(q.call_next(c1), "B001")
    go(18)
    q.recall(c1, ids["B001"])
    go(19)
    q.recall(c1, ids["B001"])
    go(20)
    q.mark_no_show(c1, ids["B001"])
    go(21)
    called(q.call_next(c1), "C001")
    go(22)
    q.start_service(c1, ids["C001"])
    go(25)
    ids["A002"] = q.issue_ticket(c1, "general").id
    go(30)
    q.finish(c1, ids["C001"])
    _order(hall, c1, ids["C001"], OrderType.BILL_PAYMENT, 2_000)
    go(40)
    called(q.call_next(c1), "A002")
    go(41)
    q.start_service(c1, ids["A002"])
    go(45)
    ids["V001"] = q.issue_ticket(c1, "vip").id
    go(50)
    called(q.call_next(c2), "C002")
    q.start_service(c2, ids["C002"])
    go(55)
    q.finish(c2, ids["C002"])
    _order(hall, c2, ids["C002"], OrderType.BROADBAND_INSTALL, 10_000)
    _order(hall, c2, ids["C002"], OrderType.LANDLINE_INSTALL, 0, OrderState.CANCELLED)
    go(61)
    q.finish(c1, ids["A002"])
    go(70)
    return ids


@pytest.fixture
def small_day(hall: HallApp, clock: FakeClock, supervisor: Actor) -> QueueReport:
    _small_day(hall, clock)
    clock.now = at(600)  # read at 18:30, the day over: every period has happened
    return hall.reports.day(supervisor, DAY)


def test_totals_follow_every_definition(small_day: QueueReport) -> None:
    t = small_day.total
    assert (t.arrivals, t.served, t.no_shows) == (6, 4, 1)
    assert t.no_show_pct == pytest.approx(100 / 6)
    # waits of the five called tickets (the no-show's to its last call): 300 1020 1080 900 2760
    assert t.wait_avg_s == pytest.approx(6060 / 5)
    assert t.wait_p90_s == 2760  # nearest rank: ceil(0.9 × 5) = the 5th
    assert t.wait_max_s == 2760
    # services of the four served: 600 480 1200 300
    assert t.service_avg_s == pytest.approx(2580 / 4)
    assert t.service_max_s == 1200
    # within target (15 min): A001 300, A002 900 (= the target); not C001 1080, C002 2760
    assert (t.within_target, t.within_target_pct) == (2, 50.0)
    assert t.wait_buckets == (0, 4, 1, 0)
    assert not small_day.empty and small_day.filters == ""


def test_each_ticket_as_the_review_sees_it(small_day: QueueReport) -> None:
    by_no = {t.ticket_no: t for t in small_day.tickets}
    a1, b1, c1 = by_no["A001"], by_no["B001"], by_no["C001"]
    assert (a1.wait_s, a1.walk_s, a1.service_s) == (300, 60, 600)
    assert b1.status is TicketStatus.NO_SHOW and b1.recall_count == 2
    assert b1.wait_s == 17 * 60 and b1.service_s is None and b1.started_at is None
    # transferred fixed → billing: once, under its last type, waiting from issue to last call
    assert c1.transferred and c1.service_code == "billing" and c1.counter_code == "01"
    assert c1.wait_s == 18 * 60 and c1.service_s == 480
    assert sum(t.transferred for t in small_day.tickets) == 1
    assert by_no["V001"].wait_s is None and by_no["V001"].status is TicketStatus.WAITING
    assert a1.order_types == (OrderType.BILL_PAYMENT, OrderType.TOP_UP)
    assert a1.revenue_fen == 8_000
    assert by_no["C002"].order_types == (OrderType.BROADBAND_INSTALL,)  # cancelled: no business


def test_per_service_type_and_within_target_per_type(small_day: QueueReport) -> None:
    rows = {f.key: f for f in small_day.by_service}
    assert [f.key for f in small_day.by_service] == ["general", "billing", "fixed", "vip"]
    g, b, f, v = rows["general"], rows["billing"], rows["fixed"], rows["vip"]
    assert (g.arrivals, g.served, g.wait_avg_s, g.within_target_pct) == (2, 2, 600, 100.0)
    assert (b.arrivals, b.served, b.no_shows, b.no_show_pct) == (2, 1, 1, 50.0)
    assert (b.wait_avg_s, b.wait_max_s, b.service_avg_s) == (1050, 1080, 480)
    assert (b.within_target, b.within_target_pct) == (0, 0.0)
    assert (f.arrivals, f.wait_avg_s, f.service_max_s, f.within_target_pct) == (1, 2760, 300, 0.0)
    # nothing served: no percentage, no average, never a division by zero
    assert (v.arrivals, v.served, v.no_show_pct) == (1, 0, 0.0)
    assert v.wait_avg_s is None and v.within_target_pct is None and v.service_avg_s is None


def test_per_clerk(small_day: QueueReport) -> None:
    rows = {f.label: f for f in small_day.by_clerk}
    assert set(rows) == {"林晓燕", "陈志强"}
    one, two = rows["林晓燕"], rows["陈志强"]
    assert (one.arrivals, one.served, one.no_shows) == (4, 3, 1)
    assert one.service_avg_s == pytest.approx((600 + 480 + 1200) / 3)
    assert (two.arrivals, two.served, two.service_avg_s) == (1, 1, 300)


def test_periods_with_backlog_counters_open_and_empty_periods(small_day: QueueReport) -> None:
    periods = small_day.periods
    assert len(periods) == 19  # 08:30 to 18:00 in 30 minutes
    assert [local(p.start).strftime("%H:%M") for p in periods[:3]] == ["08:30", "09:00", "09:30"]
    got = [(p.arrivals, p.served, p.waiting_end, p.counters_open) for p in periods[:4]]
    assert got == [
        # A001 B001 C001 C002 A002 in; A001 done; A002, C002 wait; 01 only: a ticket keeps
        # its last call, so 02's call of C001 before the transfer is not on the ticket
        (5, 1, 2, 1),
        (1, 2, 1, 2),  # V001 in; C001 (at 09:00) and C002 done; V001 waits; 01 and 02
        (0, 1, 1, 1),  # A002 done at 09:31 by 01; V001 still waits
        (0, 0, 1, 0),  # an empty period: the backlog carried over, no counter working
    ]
    assert all((p.arrivals, p.served, p.counters_open) == (0, 0, 0) for p in periods[3:])
    assert sum(p.arrivals for p in periods) == 6


def test_idle_while_the_counters_types_waited(small_day: QueueReport) -> None:
    idle = {c.staff_name: c.idle_s for c in small_day.idle}
    # clerk 1: 16→19 (B001 waited to its last call), 19→21 after the no-show (C001 waited),
    # 30→40 (A002 waited since 25); clerk 2 served one ticket after the transfer: none
    assert idle == {"林晓燕": 180 + 120 + 600, "陈志强": 0}


def test_business_by_order_type(small_day: QueueReport) -> None:
    got = [
        (b.service_code, b.order_type, b.orders, b.tickets, b.service_avg_s)
        for b in small_day.business
    ]
    assert got == [  # service types in the tables' order, then OrderType's
        ("general", OrderType.TOP_UP, 1, 1, 600),
        ("general", OrderType.BILL_PAYMENT, 1, 1, 600),
        ("billing", OrderType.BILL_PAYMENT, 1, 1, 480),
        ("fixed", OrderType.BROADBAND_INSTALL, 1, 1, 300),
    ]
    assert small_day.business[0].label == "预存话费"


def test_filters_narrow_the_day(hall: HallApp, clock: FakeClock, supervisor: Actor) -> None:
    _small_day(hall, clock)
    billing = hall.reports.day(supervisor, DAY, service_code="billing")
    assert billing.filters == "业务类型：B 缴费业务"
    assert [t.ticket_no for t in billing.tickets] == ["B001", "C001"]
    counter = hall.reports.day(supervisor, DAY, counter_code="02")
    assert [t.ticket_no for t in counter.tickets] == ["C002"] and "2号窗口" in counter.filters
    choices = hall.reports.filters(supervisor)
    clerk2 = next(c for c in choices.clerks if c.label == "陈志强")
    mine = hall.reports.day(supervisor, DAY, staff_id=uuid.UUID(clerk2.code))
    assert mine.total.served == 1 and mine.filters == "营业员：陈志强"
    assert [c.code for c in choices.service_types] == ["general", "billing", "fixed", "vip"]
    with pytest.raises(ValidationError, match="没有“nope”这种业务类型"):
        hall.reports.day(supervisor, DAY, service_code="nope")


def test_month_has_a_period_per_day_up_to_today(
    hall: HallApp, clock: FakeClock, supervisor: Actor
) -> None:
    _small_day(hall, clock)
    month = hall.reports.month(supervisor, 2026, 11)
    assert (month.first_day, month.last_day) == (date(2026, 11, 1), DAY)
    assert len(month.periods) == 24
    assert month.periods[-1].arrivals == 6
    days = hall.reports.day(supervisor, date(2026, 11, 23)).total.arrivals
    assert month.periods[-2].arrivals == days > 0
    assert month.total.arrivals == sum(p.arrivals for p in month.periods)


def test_an_empty_day_says_so(hall: HallApp, supervisor: Actor) -> None:
    report = hall.reports.day(supervisor, DAY)
    assert report.empty and report.empty_text == EMPTY_DAY_TEXT == "当日无排队记录"
    assert report.total.arrivals == 0 and report.total.wait_avg_s is None
    assert report.total.within_target_pct is None and report.total.no_show_pct is None
    assert report.by_service == () and report.idle == () and report.business == ()
    assert len(report.periods) == 19 and all(p.waiting_end == 0 for p in report.periods)


def test_future_and_too_early_dates_are_refused(hall: HallApp, supervisor: Actor) -> None:
    with pytest.raises(ValidationError, match="不能查询未来的日期") as err:
        hall.reports.day(supervisor, DAY + timedelta(days=1))
    assert err.value.field == "日期"
    with pytest.raises(ValidationError, match="2025-01-01"):
        hall.reports.day(supervisor, date(2024, 12, 31))
    with pytest.raises(ValidationError, match="不能查询未来的日期"):
        hall.reports.month(supervisor, 2026, 12)
    with pytest.raises(ValidationError, match="2025-01-01"):
        hall.reports.month(supervisor, 2024, 12)
    with pytest.raises(ValidationError, match="月份"):
        hall.reports.month(supervisor, 2026, 13)
    assert hall.reports.day(supervisor, date(2025, 1, 1)).empty  # the first day itself


def test_a_clerk_is_refused_every_report(hall: HallApp, clerk: Actor) -> None:
    for call in (
        lambda: hall.reports.day(clerk, DAY),
        lambda: hall.reports.month(clerk, 2026, 11),
        lambda: hall.reports.filters(clerk),
    ):
        with pytest.raises(PermissionDenied):
            call()
