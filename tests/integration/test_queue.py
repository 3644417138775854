"""The queue at the counter: numbering, call next (VIP first), recalls, no-shows, transfers,
walk-ins, and no ticket ever called twice, even with counters calling at once."""

from __future__ import annotations

import threading
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import AuditEntry, Counter, QueueTicket
from hall_app.demo.builder import DemoBuilder
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import TicketStatus
from hall_app.domain.errors import PermissionDenied, ValidationError
from hall_app.services.actor import Actor
from tests.conftest import DEMO_TODAY, FakeClock


def _at_counter(hall: HallApp, actor: Actor, code: str) -> Actor:
    with hall.db.read() as s:
        counter = s.scalars(select(Counter).where(Counter.code == code)).one()
        return replace(actor, counter_id=counter.id, counter_name=counter.name)


def test_numbers_run_per_service_type_and_day(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    a1 = hall.queue.issue_ticket(clerk, "general")
    a2 = hall.queue.issue_ticket(clerk, "general")
    b1 = hall.queue.issue_ticket(clerk, "billing")
    assert (a1.ticket_no, a2.ticket_no, b1.ticket_no) == ("A001", "A002", "B001")
    assert a2.waiting_ahead == 1 and a2.estimated_wait_minutes > 0
    clock.now += timedelta(days=1)
    assert hall.queue.issue_ticket(clerk, "general").ticket_no == "A001"  # reset daily


def test_unknown_service_type_is_named(hall: HallApp, clerk: Actor) -> None:
    with pytest.raises(ValidationError) as err:
        hall.queue.issue_ticket(clerk, "nope")
    assert err.value.field == "业务类型"


def test_call_next_serves_vip_first_then_oldest(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    vip_counter = _at_counter(hall, clerk, "06")  # serves VIP and general
    a1 = hall.queue.issue_ticket(clerk, "general")
    clock.now += timedelta(minutes=1)
    hall.queue.issue_ticket(clerk, "general")
    clock.now += timedelta(minutes=1)
    v1 = hall.queue.issue_ticket(clerk, "vip")
    first = hall.queue.call_next(vip_counter)
    assert first is not None and first.ticket_no == v1.ticket_no == "V001"
    hall.queue.finish(vip_counter, first.id)
    second = hall.queue.call_next(vip_counter)
    assert second is not None and second.ticket_no == a1.ticket_no
    assert second.status is TicketStatus.CALLED and second.counter_name == "6号窗口（VIP）"


def test_a_counter_only_calls_the_types_it_serves(hall: HallApp, clerk: Actor) -> None:
    billing_only = _at_counter(hall, clerk, "04")
    hall.queue.issue_ticket(clerk, "general")
    assert hall.queue.call_next(billing_only) is None
    hall.queue.issue_ticket(clerk, "billing")
    called = hall.queue.call_next(billing_only)
    assert called is not None and called.ticket_no == "B001"


def test_recall_then_no_show_after_configured_recalls(hall: HallApp, clerk: Actor) -> None:
    hall.queue.issue_ticket(clerk, "general")
    t = hall.queue.call_next(clerk)
    assert t is not None
    with pytest.raises(ValidationError, match="需先重呼 2 次"):
        hall.queue.mark_no_show(clerk, t.id)
    hall.queue.recall(clerk, t.id)
    assert hall.queue.recall(clerk, t.id).recall_count == 2
    gone = hall.queue.mark_no_show(clerk, t.id)
    assert gone.status is TicketStatus.NO_SHOW
    with pytest.raises(ValidationError, match="过号"):
        hall.queue.recall(clerk, t.id)


def test_finish_records_times_and_customer(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    hall.queue.issue_ticket(clerk, "general")
    clock.now += timedelta(minutes=4)
    t = hall.queue.call_next(clerk)
    assert t is not None
    clock.now += timedelta(minutes=1)
    hall.queue.start_service(clerk, t.id)
    clock.now += timedelta(minutes=6)
    with hall.db.read() as s:
        from hall_app.db.models import Customer

        customer_id = s.scalars(select(Customer.id).limit(1)).one()
    done = hall.queue.finish(clerk, t.id, customer_id)
    assert done.status is TicketStatus.DONE
    assert done.called_at is not None and done.finished_at is not None
    assert done.finished_at - done.called_at == timedelta(minutes=7)
    assert done.called_at - done.issued_at == timedelta(minutes=4)
    with hall.db.read() as s:
        assert s.get_one(QueueTicket, t.id).customer_id == customer_id
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == str(t.id))
        ).all()
    assert sorted(actions) == sorted(["queue.issue", "queue.call", "queue.start", "queue.finish"])


def test_transfer_to_another_window_keeps_the_number(hall: HallApp, clerk: Actor) -> None:
    hall.queue.issue_ticket(clerk, "general")
    t = hall.queue.call_next(clerk)
    assert t is not None
    moved = hall.queue.transfer(clerk, t.id, counter_code="04")
    assert moved.status is TicketStatus.WAITING and moved.ticket_no == t.ticket_no
    window4 = _at_counter(hall, clerk, "04")  # serves billing only, but the ticket is sent there
    again = hall.queue.call_next(window4)
    assert again is not None and again.ticket_no == t.ticket_no
    with pytest.raises(ValidationError, match="二选一"):
        hall.queue.transfer(clerk, t.id)


def test_transfer_to_another_service_type(hall: HallApp, clerk: Actor) -> None:
    hall.queue.issue_ticket(clerk, "general")
    t = hall.queue.call_next(clerk)
    assert t is not None
    moved = hall.queue.transfer(clerk, t.id, service_code="fixed")
    assert moved.service_code == "fixed"
    assert hall.queue.call_next(_at_counter(hall, clerk, "04")) is None  # billing only
    again = hall.queue.call_next(_at_counter(hall, clerk, "05"))  # fixed + general
    assert again is not None and again.id == t.id


def test_the_next_ticket_after_a_transfer_gets_a_new_number(hall: HallApp, clerk: Actor) -> None:
    """A ticket moved to another type keeps its number; the letter's series goes on past it
    (the next general ticket is not A001 again, which the unique number would refuse)."""
    first = hall.queue.issue_ticket(clerk, "general")
    t = hall.queue.call_next(clerk)
    assert t is not None and t.id == first.id
    hall.queue.transfer(clerk, t.id, service_code="fixed")
    nxt = hall.queue.issue_ticket(clerk, "general")
    assert (first.ticket_no, nxt.ticket_no) == ("A001", "A002")
    fixed = hall.queue.issue_ticket(clerk, "fixed")
    assert fixed.ticket_no[1:] == "001"  # the fixed series is its own: A001 counts under A


def test_another_window_cannot_touch_a_called_ticket(hall: HallApp, clerk: Actor) -> None:
    hall.queue.issue_ticket(clerk, "general")
    t = hall.queue.call_next(clerk)
    assert t is not None
    with pytest.raises(ValidationError, match="其他窗口"):
        hall.queue.finish(_at_counter(hall, clerk, "03"), t.id)


def test_one_ticket_at_a_time_call_next_refuses_a_second(hall: HallApp, clerk: Actor) -> None:
    hall.queue.issue_ticket(clerk, "general")
    waiting = hall.queue.issue_ticket(clerk, "general")
    first = hall.queue.call_next(clerk)
    assert first is not None and first.ticket_no == "A001"
    with pytest.raises(ValidationError) as err:
        hall.queue.call_next(clerk)
    assert err.value.text == "排队号：请先办结或过号当前的 A001"
    hall.queue.start_service(clerk, first.id)
    with pytest.raises(ValidationError, match="请先办结或过号当前的 A001"):
        hall.queue.call_next(clerk)  # serving counts too
    with pytest.raises(ValidationError, match="请先办结或过号当前的 A001"):
        hall.queue.serve_walk_in(clerk, "general")
    with hall.db.read() as s:  # nothing else was taken
        assert s.get_one(QueueTicket, waiting.id).status is TicketStatus.WAITING
    hall.queue.finish(clerk, first.id)
    second = hall.queue.call_next(clerk)
    assert second is not None and second.ticket_no == "A002"
    # Another counter is not held up by this one's ticket.
    hall.queue.issue_ticket(clerk, "general")
    assert hall.queue.call_next(_at_counter(hall, clerk, "02")) is not None


def test_one_ticket_at_a_time_a_walk_in_blocks_the_next_call(hall: HallApp, clerk: Actor) -> None:
    walk_in = hall.queue.serve_walk_in(clerk, "general")
    hall.queue.issue_ticket(clerk, "general")
    with pytest.raises(ValidationError, match=f"请先办结或过号当前的 {walk_in.ticket_no}"):
        hall.queue.call_next(clerk)
    hall.queue.finish(clerk, walk_in.id)
    assert hall.queue.call_next(clerk) is not None


def test_walk_in_is_served_at_once(hall: HallApp, clerk: Actor) -> None:
    t = hall.queue.serve_walk_in(clerk, "general")
    assert t.status is TicketStatus.SERVING and t.is_walk_in and t.counter_name == "1号窗口"


def test_queue_needs_a_counter_and_the_permission(hall: HallApp, clerk: Actor) -> None:
    with pytest.raises(ValidationError, match="未分配窗口"):
        hall.queue.call_next(replace(clerk, counter_id=None))
    with pytest.raises(PermissionDenied):
        hall.queue.issue_ticket(replace(clerk, permissions=frozenset()), "general")


def _hammer(hall: HallApp, actors: list[Actor], tickets: int) -> list[str]:
    """Six counters calling at once until the queue is empty; returns what each got."""
    for _ in range(tickets):
        hall.queue.issue_ticket(actors[0], "general")
    got: list[str] = []
    lock = threading.Lock()

    def work(actor: Actor) -> None:
        while True:
            t = hall.queue.call_next(actor)
            if t is None:
                return
            hall.queue.finish(actor, t.id)  # one ticket at a time per counter
            with lock:
                got.append(t.ticket_no)

    with ThreadPoolExecutor(max_workers=len(actors)) as pool:
        list(pool.map(work, actors))
    return got


def _general_counters(hall: HallApp, actor: Actor) -> list[Actor]:
    return [_at_counter(hall, actor, code) for code in ("01", "02", "03", "05", "06")]


def test_concurrent_callers_never_share_a_ticket_sqlite(hall: HallApp, clerk: Actor) -> None:
    got = _hammer(hall, _general_counters(hall, clerk), 60)
    assert len(got) == 60
    assert Tally(got).most_common(1)[0][1] == 1  # no ticket twice
    assert set(got) == {f"A{i:03d}" for i in range(1, 61)}  # none lost


@pytest.mark.postgres
def test_concurrent_callers_never_share_a_ticket_postgres(pg_url: str) -> None:
    engine = make_engine(pg_url)
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=4, today=DEMO_TODAY, chunk=50, workers=1).build(50, 0)
    engine.dispose()
    hall = build_app(Settings.load(env={}, db_url=pg_url))
    try:
        clerk = hall.auth.log_in("clerk1", DEMO_PASSWORD)
        got = _hammer(hall, _general_counters(hall, clerk), 80)
        assert len(got) == 80 and len(set(got)) == 80
    finally:
        hall.close()


def test_concurrent_receptions_number_without_gaps(hall: HallApp, clerk: Actor) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        numbers = list(
            pool.map(lambda _: hall.queue.issue_ticket(clerk, "billing").ticket_no, range(40))
        )
    assert sorted(numbers) == [f"B{i:03d}" for i in range(1, 41)]


def test_service_types_come_from_the_database(hall: HallApp, clerk: Actor) -> None:
    types = hall.queue.service_types(clerk)
    assert [(t.code, t.letter) for t in types][:1] == [("general", "A")]
    assert {t.code for t in types} >= {"general", "billing", "fixed", "vip"}
    assert {t.name for t in types if t.is_vip} == {"VIP 业务"}
    with pytest.raises(PermissionDenied):
        hall.queue.service_types(replace(clerk, permissions=frozenset()))
