"""The demo's queue for today: built through the morning, topped up when a demo starts on a
later day, and customers arriving while the demo runs."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from hall_app.app import HallApp, build_app
from hall_app.clock import HALL_TZ, business_date
from hall_app.config import Settings
from hall_app.db.engine import Database, make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import AuditEntry, QueueTicket, SyncOutbox
from hall_app.demo.arrivals import GAP_SECONDS, DemoArrivals, arrival_at
from hall_app.demo.builder import DemoBuilder
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.demo.today import STILL_WAITING, demo_moment, top_up_todays_queue
from hall_app.domain.enums import TicketStatus
from hall_app.services.actor import Actor
from tests.conftest import DEMO_TODAY, FakeClock

MORNING = datetime(2026, 11, 24, 2, 30, tzinfo=UTC)  # 10:30 in the hall


def _tickets(db: Database, day: object = DEMO_TODAY) -> list[QueueTicket]:
    with db.read() as s:
        tickets = list(
            s.scalars(
                select(QueueTicket)
                .where(QueueTicket.business_date == day)
                .order_by(QueueTicket.issued_at, QueueTicket.ticket_no)
            )
        )
        s.expunge_all()  # plain values after the read
        return tickets


def _check_morning(tickets: list[QueueTicket], now: datetime, min_done: int = 10) -> None:
    status = Counter(t.status for t in tickets)
    assert set(status) <= {TicketStatus.DONE, TicketStatus.NO_SHOW, TicketStatus.WAITING}
    assert STILL_WAITING[0] <= status[TicketStatus.WAITING]
    assert status[TicketStatus.DONE] >= min_done
    assert {t.ticket_no[0] for t in tickets} >= {"A", "B", "C"}
    # someone is waiting for broadband and landline (C), so window 2 or 5 has a C to call
    assert any(t.ticket_no[0] == "C" and t.status is TicketStatus.WAITING for t in tickets)
    per_letter: dict[str, list[int]] = {}
    for t in tickets:
        per_letter.setdefault(t.ticket_no[0], []).append(t.seq)
        assert t.ticket_no == f"{t.ticket_no[0]}{t.seq:03d}"
        assert t.issued_at <= now
        if t.status is TicketStatus.WAITING:
            assert t.called_at is None and t.staff_id is None
            continue
        assert t.called_at is not None and t.issued_at < t.called_at <= now
        assert t.counter_id is not None and t.staff_id is not None
        if t.status is TicketStatus.DONE:  # wait and service times
            assert t.started_at is not None and t.finished_at is not None
            assert t.called_at < t.started_at < t.finished_at <= now
            assert t.customer_id is not None
    for seqs in per_letter.values():
        assert sorted(seqs) == list(range(1, len(seqs) + 1))


def test_the_build_writes_the_morning_queue_and_f2_calls_someone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    summary = DemoBuilder(
        engine, seed=3, today=DEMO_TODAY, chunk=300, workers=1, queue_until=MORNING
    ).build(300, 1)
    engine.dispose()
    hall = build_app(Settings.load(env={}, db_url=url), clock=FakeClock(MORNING))
    try:
        tickets = _tickets(hall.db)
        _check_morning(tickets, MORNING)
        assert summary.today.issued == len(tickets)
        assert summary.today.waiting == sum(t.status is TicketStatus.WAITING for t in tickets)
        with hall.db.read() as s:  # demo data is not news for a central database
            assert s.scalar(select(func.count()).select_from(SyncOutbox)) == 0
        clerk = hall.auth.log_in("clerk1", DEMO_PASSWORD)
        called = hall.queue.call_next(clerk)
        assert called is not None and called.status is TicketStatus.CALLED
    finally:
        hall.close()


def test_a_pinned_day_stops_its_queue_at_eleven() -> None:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert demo_moment(business_date(now), now) == now
    assert demo_moment(DEMO_TODAY, now) == datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def test_a_demo_started_on_a_later_day_tops_up_todays_queue_once(
    hall: HallApp, clock: FakeClock
) -> None:
    assert _tickets(hall.db) == []  # the shared demo database has no queue for today
    first = top_up_todays_queue(hall.db, clock())
    tickets = _tickets(hall.db)
    assert first.issued == len(tickets) and first.waiting >= STILL_WAITING[0]
    _check_morning(tickets, clock())
    assert top_up_todays_queue(hall.db, clock()).issued == 0  # today has its queue
    assert len(_tickets(hall.db)) == len(tickets)
    with hall.db.read() as s:
        assert s.scalar(select(func.count()).select_from(SyncOutbox)) == 0
    clock.now += timedelta(days=1)
    assert top_up_todays_queue(hall.db, clock()).issued > 0
    assert _tickets(hall.db, business_date(clock()))


def test_the_queue_is_the_same_for_the_same_seed_and_moment(demo_url: str, tmp_path: Path) -> None:
    copies = [tmp_path / "copy1.sqlite3", tmp_path / "copy2.sqlite3"]
    for copy in copies:
        shutil.copyfile(demo_url.removeprefix("sqlite:///"), copy)

    def rows(url: str, seed: int) -> list[tuple[object, ...]]:
        db = Database(make_engine(url))
        try:
            top_up_todays_queue(db, MORNING, seed)
            with db.connect() as conn:
                return [
                    tuple(r)
                    for r in conn.execute(
                        text("SELECT * FROM queue_tickets WHERE business_date = :d ORDER BY id"),
                        {"d": DEMO_TODAY.isoformat()},
                    )
                ]
        finally:
            db.dispose()

    a = rows(demo_url, 1)
    assert a and a == rows(f"sqlite:///{copies[0]}", 1)
    assert rows(f"sqlite:///{copies[1]}", 2) != a


def test_arrivals_are_a_function_of_seed_and_time() -> None:
    seen = {arrival_at(1, MORNING + timedelta(seconds=s)) for s in range(200)}
    assert arrival_at(1, MORNING) == arrival_at(1, MORNING)
    assert {a.service_code for a in seen} == {"general", "billing", "fixed", "vip"}
    assert all(GAP_SECONDS[0] <= a.next_in_seconds <= GAP_SECONDS[1] for a in seen)


def test_an_arrival_takes_a_ticket_as_the_kiosk_does(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    arrivals = DemoArrivals(hall.queue, clock, seed=1)
    arrived = arrivals.arrive(clerk)
    expected = arrival_at(1, clock())
    assert arrived.ticket is not None and arrived.next_in_seconds == expected.next_in_seconds
    assert arrived.ticket.service_code == expected.service_code
    assert arrived.ticket.status is TicketStatus.WAITING
    with hall.db.read() as s:
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == str(arrived.ticket.id))
        ).all()
    assert actions == ["queue.issue"]


def test_arrivals_stop_while_the_queue_is_long(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    arrivals = DemoArrivals(hall.queue, clock, seed=1, max_waiting=2)
    assert arrivals.arrive(clerk).ticket is not None
    clock.now += timedelta(seconds=61)
    assert arrivals.arrive(clerk).ticket is not None
    clock.now += timedelta(seconds=61)
    assert arrivals.arrive(clerk).ticket is None
    with hall.db.read() as s:
        waiting = s.scalar(
            select(func.count())
            .select_from(QueueTicket)
            .where(QueueTicket.status == TicketStatus.WAITING)
        )
    assert waiting == 2


@pytest.mark.parametrize("hour", [1, 9])
def test_an_early_start_still_has_a_queue_behind_it(
    hall: HallApp, clock: FakeClock, hour: int
) -> None:
    clock.now = (datetime(2026, 11, 24, tzinfo=HALL_TZ) + timedelta(hours=hour)).astimezone(UTC)
    queue = top_up_todays_queue(hall.db, clock())
    assert queue.waiting >= STILL_WAITING[0]
    _check_morning(_tickets(hall.db), clock(), min_done=1)
