"""Making install slots (``ensure_slots``, the SlotService and the CLI) and searching the free
ones (``SlotService.free_slots``): working days from the calendar table, windows at the hall's
local times, the lead time, leases online and offline, a year the table lacks, and speed."""

from __future__ import annotations

import statistics
import time
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, insert, or_, select, update

from hall_app.app import HallApp
from hall_app.cli import main as cli_main
from hall_app.db.central import Offline
from hall_app.db.central_claims import free_slots_stmt
from hall_app.db.engine import make_engine
from hall_app.db.models import (
    AuditEntry,
    CalendarDay,
    Counter,
    InstallerTeam,
    InstallSlot,
    TeamArea,
)
from hall_app.db.models.calendar import calendar_day_id
from hall_app.domain.errors import PermissionDenied, ValidationError
from hall_app.services.actor import Actor
from hall_app.services.installs import SlotService, ensure_slots, take_slot
from tests.conftest import FakeClock

COMMUNITY = "测试甲小区"  # not a demo community
WINDOWS = 3  # morning, afternoon, evening by default


def add_areas(hall: HallApp, hall_id: uuid.UUID, areas: list[tuple[str, str, int]]) -> None:
    """(team code, community, capacity): the teams are made as needed."""
    with hall.db.unit_of_work() as s:
        teams: dict[str, uuid.UUID] = {}
        for code, community, capacity in areas:
            if code not in teams:
                teams[code] = uuid.uuid4()
                s.execute(
                    insert(InstallerTeam).values(
                        id=teams[code], hall_id=hall_id, code=f"ZT-{code}", name=f"装维{code}班"
                    )
                )
            s.execute(
                insert(TeamArea).values(
                    id=uuid.uuid4(), team_id=teams[code], community=community, capacity=capacity
                )
            )


@pytest.fixture
def admin(hall: HallApp) -> Actor:
    return hall.auth.log_in("admin1", "hall1234")


def retire_demo_teams(hall: HallApp) -> None:
    """The demo's own teams stop taking installs: slots made here are the test's alone."""
    with hall.db.unit_of_work() as s:
        s.execute(update(InstallerTeam).values(active=False))


@pytest.fixture
def areas(hall: HallApp, clerk: Actor) -> None:
    retire_demo_teams(hall)
    add_areas(
        hall, clerk.hall_id, [("A", COMMUNITY, 2), ("B", COMMUNITY, 1), ("B", "测试乙小区", 3)]
    )


def slot_days(hall: HallApp, community: str = COMMUNITY) -> list[date]:
    with hall.db.read() as s:
        return list(
            s.scalars(
                select(InstallSlot.day)
                .where(InstallSlot.community == community)
                .distinct()
                .order_by(InstallSlot.day)
            )
        )


@pytest.mark.usefixtures("areas")
def test_ensure_slots_makes_every_team_area_window_once(hall: HallApp, admin: Actor) -> None:
    assert hall.slots.ensure_slots(admin, 5) == 5 * WINDOWS * 3  # Tue 24 Nov to Mon 30 Nov
    assert hall.slots.ensure_slots(admin, 5) == 0  # idempotent
    assert hall.slots.ensure_slots(admin, 6) == WINDOWS * 3  # one more day
    assert slot_days(hall) == [date(2026, 11, d) for d in (24, 25, 26, 27, 30)] + [
        date(2026, 12, 1)
    ]
    with hall.db.read() as s:
        slot = s.scalars(
            select(InstallSlot)
            .where(
                InstallSlot.community == COMMUNITY,
                InstallSlot.day == date(2026, 11, 25),
                InstallSlot.window == "afternoon",
            )
            .limit(1)
        ).one()
        # 14:00-18:00 in Fuzhou is 06:00-10:00 UTC.
        assert (slot.starts_at, slot.ends_at) == (
            datetime(2026, 11, 25, 6, 0, tzinfo=UTC),
            datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
        )
        assert (slot.booked, slot.provisional) == (0, False)
        caps = sorted(
            s.scalars(
                select(InstallSlot.capacity).where(
                    InstallSlot.community.in_([COMMUNITY, "测试乙小区"]),
                    InstallSlot.day == date(2026, 11, 25),
                    InstallSlot.window == "morning",
                )
            )
        )
        assert caps == [1, 2, 3]
        made = s.scalars(select(AuditEntry).where(AuditEntry.action == "install_slots.made")).all()
        assert [e.after["added"] for e in made if e.after] == [45, 0, 9]


def test_making_slots_is_for_administrators_and_checked(
    hall: HallApp, clerk: Actor, admin: Actor
) -> None:
    retire_demo_teams(hall)
    with pytest.raises(PermissionDenied):
        hall.slots.ensure_slots(clerk, 5)
    for days in (0, 121):
        with pytest.raises(ValidationError) as err:
            hall.slots.ensure_slots(admin, days)
        assert err.value.field == "天数"
    assert hall.slots.ensure_slots(admin, 5) == 0  # no team serves any community yet


@pytest.mark.usefixtures("areas")
def test_free_slots_apply_the_lead_time_and_skip_full_ones(
    hall: HallApp, clerk: Actor, admin: Actor, clock: FakeClock
) -> None:
    hall.slots.ensure_slots(admin, 20)
    got = hall.slots.free_slots(clerk, f" {COMMUNITY} ")
    first = got[0]
    # Now is 10:00 on Tuesday 24 Nov: the morning has begun; the afternoon (14:00) is exactly
    # the lead time (4 hours) away and may be booked.
    assert (first.day, first.window, first.window_label) == (
        date(2026, 11, 24),
        "afternoon",
        "下午",
    )
    assert all(v.starts_at >= clock() + timedelta(hours=4) for v in got)
    assert [v.starts_at for v in got] == sorted(v.starts_at for v in got)
    assert {v.team_name for v in got} == {"装维A班", "装维B班"}
    # The next 14 working days from today, today included: 24 Nov to 11 Dec.
    assert max(v.day for v in got) == date(2026, 12, 11)
    assert len(got) == 14 * WINDOWS * 2 - 2  # the two teams' morning of today is gone
    assert all(not v.provisional and v.free == v.capacity for v in got)
    # Filling one slot hides it; a place taken shows as one less free.
    a_slot = next(v for v in got if v.capacity == 2)
    with hall.db.unit_of_work() as s:
        take_slot(s, a_slot.slot_id, clerk, clock(), offline=False)
    again = {v.slot_id: v for v in hall.slots.free_slots(clerk, COMMUNITY)}
    assert again[a_slot.slot_id].free == 1
    with hall.db.unit_of_work() as s:
        take_slot(s, a_slot.slot_id, clerk, clock(), offline=False)
    assert a_slot.slot_id not in {v.slot_id for v in hall.slots.free_slots(clerk, COMMUNITY)}
    assert hall.slots.free_slots(clerk, "无人小区") == []


def test_free_slots_refuse_bad_input(hall: HallApp, clerk: Actor) -> None:
    with pytest.raises(ValidationError) as err:
        hall.slots.free_slots(clerk, "  ")
    assert err.value.field == "小区"
    with pytest.raises(PermissionDenied):
        hall.slots.free_slots(replace(clerk, permissions=frozenset()), COMMUNITY)


@pytest.mark.usefixtures("areas")
def test_slots_skip_the_national_day_week_and_use_the_makeup_saturday(
    hall: HallApp, admin: Actor
) -> None:
    with hall.db.unit_of_work() as s:
        ensure_slots(s, admin.hall_id, date(2026, 9, 28), 6, hall.settings.rules, None, admin_now())
    # 28-30 Sep, then the holiday week 1-7 Oct (and the weekend 3-4), then Fri 9 and the
    # make-up Saturday 10 Oct; Thursday 8 Oct is the first day back.
    assert slot_days(hall) == [
        date(2026, 9, 28),
        date(2026, 9, 29),
        date(2026, 9, 30),
        date(2026, 10, 8),
        date(2026, 10, 9),
        date(2026, 10, 10),
    ]


def admin_now() -> datetime:
    return datetime(2026, 9, 1, 2, 0, tzinfo=UTC)


@pytest.mark.usefixtures("areas")
def test_free_slots_across_the_year_end_are_provisional_in_2027(
    hall: HallApp, clerk: Actor, admin: Actor, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 12, 28, 1, 0, tzinfo=UTC)  # Monday 28 Dec, 09:00
    assert hall.slots.ensure_slots(admin, 14) == 14 * WINDOWS * 3  # never crashes on 2027
    days = slot_days(hall)
    # 28-31 Dec from the table; 2027 is not in it: Monday to Friday (1 Jan too, provisional).
    assert days[:6] == [date(2026, 12, d) for d in (28, 29, 30, 31)] + [
        date(2027, 1, 1),
        date(2027, 1, 4),
    ]
    assert all(d.weekday() < 5 for d in days)
    with hall.db.read() as s:
        flags = dict(
            s.execute(
                select(InstallSlot.day, InstallSlot.provisional).where(
                    InstallSlot.community == COMMUNITY
                )
            ).all()
        )
    assert {d: p for d, p in flags.items() if d.year == 2026} == dict.fromkeys(days[:4], False)
    assert all(p for d, p in flags.items() if d.year == 2027)
    got = hall.slots.free_slots(clerk, COMMUNITY)
    assert {v.day for v in got if not v.provisional} == set(days[:4])
    assert {v.day for v in got if v.provisional} == set(days[4:14])
    # The 2027 notice arrives (invented here: 1 and 4 Jan off): the slots made on them are no
    # longer offered, and the rest of 2027 is no longer provisional.
    with hall.db.unit_of_work() as s:
        d, rows = date(2027, 1, 1), []
        while d.year == 2027:
            off = d in (date(2027, 1, 1), date(2027, 1, 4))
            working = d.weekday() < 5 and not off
            rows.append(
                {
                    "id": calendar_day_id(d), "day": d, "is_working_day": working,
                    "holiday_name": "元旦" if off else None,
                    "kind": "holiday" if off else ("workday" if working else "weekend"),
                    "source": "test", "created_at": clock(), "updated_at": clock(),
                }
            )  # fmt: skip
            d += timedelta(days=1)
        s.execute(insert(CalendarDay), rows)
    hall.calendar.forget()
    after = hall.slots.free_slots(clerk, COMMUNITY)
    assert {date(2027, 1, 1), date(2027, 1, 4)}.isdisjoint(v.day for v in after)
    assert not any(v.provisional for v in after)


class FakeCentral:
    """The central port as free_slots sees it: the counter's own database stands in for the
    central one (the same rows), or the link is down."""

    def __init__(self, hall: HallApp, online: bool) -> None:
        self.hall = hall
        self.online = online

    def free_slots(
        self,
        hall_id: uuid.UUID,
        community: str,
        first: date,
        last: date,
        earliest: datetime,
        counter_id: uuid.UUID,
    ) -> list[dict[str, Any]]:
        if not self.online:
            raise Offline
        stmt = free_slots_stmt(hall_id, community, first, last, earliest).where(
            or_(
                InstallSlot.lease_counter_id.is_(None),
                InstallSlot.lease_counter_id == counter_id,
                InstallSlot.lease_until < self.hall.clock(),
            )
        )
        with self.hall.db.read() as s:
            return [dict(r) for r in s.execute(stmt).mappings()]


@pytest.mark.usefixtures("areas")
def test_leases_online_and_offline(hall: HallApp, clerk: Actor, admin: Actor) -> None:
    hall.slots.ensure_slots(admin, 3)
    now = hall.clock()
    assert clerk.counter_id is not None
    with hall.db.unit_of_work() as s:
        ids = list(
            s.scalars(
                select(InstallSlot.id)
                .where(InstallSlot.community == COMMUNITY, InstallSlot.day == date(2026, 11, 25))
                .order_by(InstallSlot.starts_at, InstallSlot.team_id)
            )
        )
        mine, theirs, lapsed = ids[0], ids[1], ids[2]
        s.execute(
            update(InstallSlot)
            .where(InstallSlot.id == mine)
            .values(lease_counter_id=clerk.counter_id, lease_until=now + timedelta(hours=20))
        )
        other = s.scalars(select(Counter.id).where(Counter.id != clerk.counter_id)).first()
        s.execute(
            update(InstallSlot)
            .where(InstallSlot.id == theirs)
            .values(lease_counter_id=other, lease_until=now + timedelta(hours=20))
        )
        s.execute(
            update(InstallSlot)
            .where(InstallSlot.id == lapsed)
            .values(lease_counter_id=other, lease_until=now - timedelta(hours=1))
        )

    def service(central: Any) -> SlotService:
        return SlotService(hall.db, hall.clock, hall.settings.rules, hall.calendar, central)

    standalone = {v.slot_id for v in service(None).free_slots(clerk, COMMUNITY)}
    online = {v.slot_id for v in service(FakeCentral(hall, True)).free_slots(clerk, COMMUNITY)}
    offline = {v.slot_id for v in service(FakeCentral(hall, False)).free_slots(clerk, COMMUNITY)}
    assert {mine, theirs, lapsed} <= standalone
    assert mine in online and lapsed in online and theirs not in online
    assert offline == {mine}
    with pytest.raises(ValidationError) as err:  # made centrally, never at a synced counter
        service(FakeCentral(hall, True)).ensure_slots(admin, 3)
    assert err.value.field == "预约时段" and "中心" in err.value.message


@pytest.mark.usefixtures("areas")
def test_free_slots_is_one_query_on_the_community_index(
    hall: HallApp, clerk: Actor, admin: Actor
) -> None:
    hall.slots.ensure_slots(admin, 14)
    hall.slots.free_slots(clerk, COMMUNITY)  # the calendar years are read and cached
    seen: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, params: Any, *_a: Any) -> None:
        seen.append((statement, params))

    event.listen(hall.db.engine, "before_cursor_execute", capture)
    try:
        assert hall.slots.free_slots(clerk, COMMUNITY)
    finally:
        event.remove(hall.db.engine, "before_cursor_execute", capture)
    # The rights check reads the staff row's version (services/rights.py); the slots are one.
    queries = [
        (q, p) for q, p in seen if q.lstrip().upper().startswith("SELECT") and "FROM staff" not in q
    ]
    assert len(queries) == 1
    statement, params = queries[0]
    with hall.db.engine.connect() as conn:
        plan = " ".join(
            str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        )
    assert "ix_install_slots_hall_community_day" in plan


def test_free_slot_search_is_fast_on_a_large_slot_table(
    hall: HallApp, clerk: Actor, admin: Actor
) -> None:
    retire_demo_teams(hall)
    communities = [f"测试小区{i:03d}" for i in range(300)]
    add_areas(hall, clerk.hall_id, [(f"T{i // 10}", c, 2) for i, c in enumerate(communities)])
    with hall.db.unit_of_work() as s:  # 300 communities x 3 windows x 60 working days
        made = ensure_slots(
            s, clerk.hall_id, date(2026, 11, 24), 60, hall.settings.rules, None, hall.clock()
        )
    assert made == 300 * WINDOWS * 60
    timings = []
    for i in range(60):
        started = time.perf_counter()
        got = hall.slots.free_slots(clerk, communities[i * 5 % 300])
        timings.append(time.perf_counter() - started)
        assert len(got) == 14 * WINDOWS - 1
    p95 = statistics.quantiles(timings, n=20)[-1]
    assert p95 < 0.020, f"free-slot search p95 {p95 * 1000:.1f} ms"


@pytest.mark.usefixtures("areas")
def test_cli_makes_slots(demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the areas fixture wrote into the same file as demo_url (the hall fixture's database)
    assert cli_main(["--db", demo_url, "slots", "make", "--days", "3"]) == 0
    out = capsys.readouterr().out
    assert "新增装机预约时段" in out
    assert cli_main(["--db", demo_url, "slots", "make", "--days", "3"]) == 0
    assert " 0 个" in capsys.readouterr().out
    assert cli_main(["--db", demo_url, "slots", "make", "--days", "3", "--hall", "NONE"]) == 1
    assert cli_main(["--db", demo_url, "slots", "make", "--days", "0"]) == 1
    engine = make_engine(demo_url)
    try:
        with engine.connect() as conn:
            made = select(func.count()).where(InstallSlot.community.in_([COMMUNITY, "测试乙小区"]))
            assert conn.scalar(made) == 3 * WINDOWS * 3
    finally:
        engine.dispose()


@pytest.mark.usefixtures("areas")
def test_a_year_only_partly_in_the_table_counts_as_missing(hall: HallApp, admin: Actor) -> None:
    # One 2027 row arrived (New Year's Day off) but not the year: 2027 is still counted
    # Monday to Friday and provisional, 1 January included, and nothing crashes.
    with hall.db.unit_of_work() as s:
        d = date(2027, 1, 1)
        s.execute(
            insert(CalendarDay).values(
                id=calendar_day_id(d), day=d, is_working_day=False, holiday_name="元旦",
                kind="holiday", source="test", created_at=hall.clock(), updated_at=hall.clock(),
            )
        )  # fmt: skip
        start = date(2026, 12, 31)
        assert ensure_slots(s, admin.hall_id, start, 3, hall.settings.rules, None, hall.clock())
    with hall.db.read() as s:
        got = s.execute(
            select(InstallSlot.day, InstallSlot.provisional)
            .where(InstallSlot.community == COMMUNITY)
            .distinct()
            .order_by(InstallSlot.day)
        ).all()
    assert [tuple(r) for r in got] == [
        (date(2026, 12, 31), False),
        (date(2027, 1, 1), True),
        (date(2027, 1, 4), True),
    ]
