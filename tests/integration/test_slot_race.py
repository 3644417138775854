"""Slot capacity under a race: several counters book the last place of one slot at the same
instant. On one SQLite file (separate processes, the counter's own ``take_slot``) and on the
real PostgreSQL (``book_slot`` from several connections at once): exactly one wins, the others
get ``SlotFull``, and ``booked`` ends at the capacity."""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hall_app.db.central_claims import book_slot
from hall_app.db.engine import Database, make_engine
from hall_app.db.models import Counter
from hall_app.domain.enums import Role
from hall_app.services.actor import Actor
from hall_app.services.installs import SlotFull, take_slot
from tests.integration.test_install_slots import (
    TOMORROW_9,
    Central,
    add_slot,
    add_team,
    booked,
)

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
RACERS = 6
WON, FULL = "won", "full"


@pytest.fixture
def central(pg_url: str) -> Iterator[Central]:
    c = Central(pg_url)
    yield c
    c.db.dispose()


def _actor(hall_id: uuid.UUID, counter_id: uuid.UUID) -> Actor:
    return Actor(
        staff_id=uuid.uuid4(), username="clerk", full_name="林晓燕", employee_no="FZ0001",
        role=Role.CLERK, hall_id=hall_id, hall_name="鼓楼营业厅", counter_id=counter_id,
        counter_name="01", permissions=frozenset(),
    )  # fmt: skip


def _race_on_sqlite(
    url: str,
    slot_id: uuid.UUID,
    hall_id: uuid.UUID,
    counter_id: uuid.UUID,
    offline: bool,
    start: multiprocessing.synchronize.Barrier,
    results: multiprocessing.Queue[str],
) -> None:
    """One counter process: wait for the others, then book, holding the transaction open a
    moment so the others really meet the booking."""
    db = Database(make_engine(url))
    actor = _actor(hall_id, counter_id)
    try:
        start.wait()
        with db.unit_of_work() as s:
            take_slot(s, slot_id, actor, NOW, offline)
            time.sleep(0.05)
        results.put(WON)
    except SlotFull:
        results.put(FULL)
    except BaseException as exc:
        results.put(f"error: {type(exc).__name__}: {exc}")
    finally:
        db.dispose()


@pytest.mark.parametrize("offline", [False, True], ids=["online-copy", "offline-lease"])
def test_the_last_place_goes_to_one_of_several_processes_on_sqlite(
    demo_url: str, offline: bool
) -> None:
    db = Database(make_engine(demo_url))
    try:
        with db.unit_of_work() as s:
            hall_id, counter_id = s.execute(select(Counter.hall_id, Counter.id).limit(1)).one()
            team = add_team(s, hall_id)
            lease = (counter_id, NOW + timedelta(hours=20)) if offline else None
            slot_id = add_slot(
                s, hall_id, team, starts_at=TOMORROW_9, capacity=3, booked=2, lease=lease
            )
    finally:
        db.dispose()
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(RACERS)
    results: multiprocessing.Queue[str] = ctx.Queue()
    procs = [
        ctx.Process(
            target=_race_on_sqlite,
            args=(demo_url, slot_id, hall_id, counter_id, offline, start, results),
        )
        for _ in range(RACERS)
    ]
    for p in procs:
        p.start()
    got = sorted(results.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(timeout=30)
    assert got == sorted([WON] + [FULL] * (RACERS - 1)), got
    db = Database(make_engine(demo_url))
    try:
        assert booked(db, slot_id) == 3
    finally:
        db.dispose()


def _in_threads(workers: list[Callable[[], str]]) -> list[str]:
    out: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(workers))

    def run(work: Callable[[], str]) -> None:
        start.wait()
        try:
            result = work()
        except SlotFull:
            result = FULL
        except BaseException as exc:
            result = f"error: {type(exc).__name__}: {exc}"
        with lock:
            out.append(result)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(out)


@pytest.mark.postgres
def test_the_last_place_goes_to_one_of_several_counters_on_postgresql(
    central: Central,
) -> None:
    # Several rounds: each a slot with one place left, booked by every counter at once, each
    # on its own connection to the central database.
    engines = [Database(make_engine(central.url)) for _ in range(RACERS)]
    counters = [central.a, central.b] * (RACERS // 2)
    try:
        for round_no, capacity in enumerate((1, 2, 5)):
            slot_id = central.slot(
                starts_at=TOMORROW_9 + timedelta(days=round_no),
                capacity=capacity,
                booked=capacity - 1,
            )

            def work(db: Database, counter_id: uuid.UUID, slot_id: uuid.UUID = slot_id) -> str:
                with db.unit_of_work() as s:
                    book_slot(s, slot_id, counter_id, NOW)
                    time.sleep(0.05)  # hold the row: the others wait on it, then find it full
                return WON

            got = _in_threads(
                [(lambda db=db, c=c: work(db, c)) for db, c in zip(engines, counters, strict=True)]
            )
            assert got == sorted([WON] + [FULL] * (RACERS - 1)), got
            assert central.booked(slot_id) == capacity
    finally:
        for db in engines:
            db.dispose()


@pytest.mark.postgres
def test_concurrent_counters_fill_a_slot_exactly_on_postgresql(central: Central) -> None:
    # An empty slot of 3 places and 12 bookings at once: three win, nine are told it is full.
    slot_id = central.slot(starts_at=TOMORROW_9, capacity=3)
    engines = [Database(make_engine(central.url)) for _ in range(12)]
    try:

        def work(db: Database, counter_id: uuid.UUID) -> str:
            with db.unit_of_work() as s:
                book_slot(s, slot_id, counter_id, NOW)
            return WON

        got = _in_threads(
            [
                (lambda db=db, i=i: work(db, (central.a, central.b)[i % 2]))
                for i, db in enumerate(engines)
            ]
        )
        assert got == sorted([WON] * 3 + [FULL] * 9), got
        assert central.booked(slot_id) == 3
    finally:
        for db in engines:
            db.dispose()
