"""Install appointments: booking and giving back a place of an install slot in the counter's
own database, and (``SlotService``) the free slots a clerk may offer and the making of slots.

A slot's ``booked`` never passes its ``capacity``: a place is taken by one conditional UPDATE
(``booked < capacity``), so two clerks racing for the last place can not both get it. Online,
the order books at the central database (``hall_app.db.central_claims.book_slot``) and
mirrors the slot; offline, ``take_slot`` books only a slot leased to this counter, and the
push then carries the new count (the central database takes it only while the lease runs)."""

from __future__ import annotations

import calendar as gregorian
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hall_app.clock import HALL_TZ, Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.central import Offline, leased_here
from hall_app.db.central_claims import free_slots_stmt, slot_refusal
from hall_app.db.engine import Database
from hall_app.db.models import CalendarDay, InstallerTeam, InstallSlot, TeamArea
from hall_app.db.text_limits import check_value
from hall_app.domain import workdays
from hall_app.domain.errors import ValidationError
from hall_app.domain.permissions import Permission
from hall_app.domain.slots import SLOT_FIELD, SlotFull, window_bounds
from hall_app.domain.workdays import WorkCalendar
from hall_app.services import audit
from hall_app.services.actor import Actor
from hall_app.services.calendar import CalendarService
from hall_app.services.ports import CentralClaims

__all__ = [
    "SLOT_FIELD",
    "SlotFull",
    "SlotService",
    "SlotView",
    "ensure_slots",
    "give_back_slot",
    "read_calendar",
    "take_slot",
]
COMMUNITY_FIELD = "小区"
DAYS_FIELD = "天数"
MAX_MAKE_DAYS = 120

SLOTS: Table = InstallSlot.__table__  # type: ignore[assignment]


def take_slot(
    session: Session,
    slot_id: uuid.UUID,
    actor: Actor,
    now: datetime,
    offline: bool,
    *,
    lead_hours: int = BusinessRules.install_lead_hours,
) -> InstallSlot:
    """Book one place of the slot in the caller's transaction. Refuses a slot that is full
    (``SlotFull``), one starting within the lead time or already past, and, ``offline``, one
    not leased to the actor's counter (or in its lease's last hour)."""
    lead = timedelta(hours=lead_hours)
    stmt = update(SLOTS).where(
        SLOTS.c.id == slot_id,
        SLOTS.c.booked < SLOTS.c.capacity,
        SLOTS.c.starts_at >= now + lead,
    )
    counter_id = actor.require_counter("离线预约装机时段") if offline else None
    if counter_id is not None:
        stmt = stmt.where(leased_here(SLOTS, counter_id, now))
    got = session.execute(
        stmt.values(booked=SLOTS.c.booked + 1, updated_at=now).returning(SLOTS.c.id)
    ).first()
    if got is None:
        row = session.execute(select(SLOTS).where(SLOTS.c.id == slot_id)).first()
        refusal = slot_refusal(row, now, lead, others_lease=False)
        if (
            counter_id is not None
            and isinstance(refusal, SlotFull)
            and row is not None
            and row.booked < row.capacity
        ):
            refusal = SlotFull(
                "离线时只能预约本窗口租用的时段，该时段不在本窗口的租用范围内，请另选时段"
            )
        raise refusal
    slot = session.get(InstallSlot, slot_id, populate_existing=True)
    assert slot is not None
    return slot


def give_back_slot(session: Session, slot_id: uuid.UUID, now: datetime) -> None:
    """Give one place of the slot back in the caller's transaction (an order that failed, a
    rescheduled or cancelled work order); never below zero."""
    session.execute(
        update(SLOTS)
        .where(SLOTS.c.id == slot_id, SLOTS.c.booked > 0)
        .values(booked=SLOTS.c.booked - 1, updated_at=now)
    )


@dataclass(frozen=True)
class SlotView:
    slot_id: uuid.UUID
    day: date
    window: str  # morning, afternoon, evening
    window_label: str  # 上午
    starts_at: datetime
    ends_at: datetime
    team_name: str
    free: int
    capacity: int
    provisional: bool  # the day is counted Monday to Friday: the calendar lacks its year


def working_days_from(calendar: WorkCalendar, start: date, count: int) -> list[workdays.DayInfo]:
    """The first ``count`` working days on or after ``start``."""
    out: list[workdays.DayInfo] = []
    d = start
    while len(out) < count:
        info = calendar.info(d)
        if info.working:
            out.append(info)
        d += timedelta(days=1)
    return out


def years_spanned(start: date, working_days: int) -> range:
    """The years ``working_days`` working days from ``start`` may reach: about that many weeks'
    worth of weekdays plus the longest holiday (Spring Festival)."""
    return range(start.year, (start + timedelta(days=7 * working_days // 5 + 21)).year + 1)


def read_calendar(session: Session, years: Iterable[int]) -> WorkCalendar:
    """The holiday calendar of ``years`` from the calendar table on ``session`` (the counter's
    or the central database); a year it lacks (not every day present) is left out, and so is
    counted Monday to Friday, provisional."""
    wanted = sorted(set(years))
    rows = session.execute(
        select(CalendarDay.day, CalendarDay.is_working_day, CalendarDay.holiday_name).where(
            CalendarDay.day >= date(wanted[0], 1, 1), CalendarDay.day <= date(wanted[-1], 12, 31)
        )
    ).all()
    days = {r.day: (r.is_working_day, r.holiday_name) for r in rows}
    covered = [
        y
        for y in wanted
        if sum(1 for d in days if d.year == y) == (366 if gregorian.isleap(y) else 365)
    ]
    return WorkCalendar.of({d: v for d, v in days.items() if d.year in covered}, covered)


def ensure_slots(
    session: Session,
    hall_id: uuid.UUID,
    start: date,
    working_days: int,
    rules: BusinessRules,
    calendar: WorkCalendar | None,
    now: datetime,
) -> int:
    """Make the hall's install slots for the first ``working_days`` working days from
    ``start``: one per active team × community it serves (team_areas, with its capacity) ×
    install window, at the window's local times. Idempotent: a slot that exists is left as
    it is (its bookings stand). A day in a year the calendar lacks is counted Monday to
    Friday and its slots are marked provisional. ``calendar`` None: read from ``session``.
    Works on the counter's SQLite and on the central PostgreSQL. Returns the slots added."""
    if working_days < 1 or working_days > MAX_MAKE_DAYS:
        raise ValidationError(f"生成时段的工作日数应在 1 到 {MAX_MAKE_DAYS} 之间", DAYS_FIELD)
    if calendar is None:
        calendar = read_calendar(session, years_spanned(start, working_days))
    areas = session.execute(
        select(TeamArea.team_id, TeamArea.community, TeamArea.capacity)
        .join(InstallerTeam, InstallerTeam.id == TeamArea.team_id)
        .where(InstallerTeam.hall_id == hall_id, InstallerTeam.active.is_(True))
        .order_by(TeamArea.community, TeamArea.team_id)
    ).all()
    if not areas:
        return 0
    rows = []
    for info in working_days_from(calendar, start, working_days):
        for code, _label, begins, ends in rules.install_windows:
            starts_at, ends_at = window_bounds(info.day, begins, ends, HALL_TZ)
            for area in areas:
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "hall_id": hall_id,
                        "team_id": area.team_id,
                        "community": area.community,
                        "day": info.day,
                        "window": code,
                        "starts_at": starts_at,
                        "ends_at": ends_at,
                        "capacity": area.capacity,
                        "booked": 0,
                        "provisional": info.provisional,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    added = 0
    for first in range(0, len(rows), 500):
        stmt = insert(SLOTS).values(rows[first : first + 500])
        stmt = stmt.on_conflict_do_nothing(index_elements=["team_id", "community", "day", "window"])
        added += len(session.execute(stmt.returning(SLOTS.c.id)).all())
    return added


class SlotService:
    """The install slots a clerk may offer, and making them."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        rules: BusinessRules,
        calendar: CalendarService,
        central: CentralClaims | None = None,
    ) -> None:
        """``central``: the central database's port when the counter syncs with one (None:
        a standalone counter, whose own database decides alone)."""
        self._db = db
        self._clock = clock
        self._rules = rules
        self._calendar = calendar
        self._central = central
        self._labels = {code: label for code, label, _b, _e in rules.install_windows}

    def free_slots(self, actor: Actor, community: str) -> list[SlotView]:
        """The slots with room in ``community`` over the next ``install_search_working_days``
        working days, starting at least the lead time from now, earliest first. A synced
        counter asks the central database (the counts there are the latest), leaving out the
        slots other counters hold on lease; offline it offers only its own leased ones from
        its copy. One indexed query (hall, community, day)."""
        actor.require(Permission.ORDER_CREATE)
        community = community.strip()
        if not community:
            raise ValidationError("请先查询装机地址以确定所在小区", COMMUNITY_FIELD)
        check_value(COMMUNITY_FIELD, None, community)  # a lone surrogate cannot be bound
        now = self._clock()
        today = business_date(now)
        span = self._rules.install_search_working_days
        cal, last = self._horizon(actor, today, span)
        earliest = now + timedelta(hours=self._rules.install_lead_hours)
        stmt = free_slots_stmt(actor.hall_id, community, today, last, earliest)
        rows: list[Any] = []
        if self._central is not None:  # at the central database: its counts are the news
            counter_id = actor.require_counter("预约装机时段")
            try:
                rows = self._central.free_slots(
                    actor.hall_id, community, today, last, earliest, counter_id
                )
            except Offline:  # only what is leased to this counter
                stmt = stmt.where(leased_here(SLOTS, counter_id, now))
                with self._db.read() as s:
                    rows = list(s.execute(stmt).mappings())
        else:
            with self._db.read() as s:
                rows = list(s.execute(stmt).mappings())
        out = []
        for r in rows:
            info = cal.info(r["day"])
            if not info.working:  # made provisionally; the calendar since names a holiday
                continue
            out.append(
                SlotView(
                    slot_id=r["id"],
                    day=r["day"],
                    window=r["window"],
                    window_label=self._labels.get(r["window"], r["window"]),
                    starts_at=r["starts_at"],
                    ends_at=r["ends_at"],
                    team_name=r["team_name"],
                    free=r["capacity"] - r["booked"],
                    capacity=r["capacity"],
                    provisional=info.provisional,
                )
            )
        return out

    def _horizon(self, actor: Actor, today: date, span: int) -> tuple[WorkCalendar, date]:
        """The calendar and the last of the ``span`` working days from ``today``: the years
        are read only as far as the count reaches (a year the table lacks is asked again at
        each read, so it is not read when not needed)."""
        last_year = today.year
        while True:
            cal = self._calendar.calendar(actor, range(today.year, last_year + 1))
            last = working_days_from(cal, today, span)[-1].day
            if last.year <= last_year:
                return cal, last
            last_year = last.year

    def ensure_slots(
        self, actor: Actor, working_days: int | None = None, start: date | None = None
    ) -> int:
        """Make the actor's hall's slots from ``start`` (by default today) for
        ``working_days`` working days (by default the search horizon), audited. Returns the
        slots added. A counter that syncs with a central database makes none itself: the
        slots are made there and pulled (two copies of a slot would clash)."""
        actor.require(Permission.CATALOG_ADMIN)
        if self._central is not None:
            raise ValidationError(
                "本机与中心数据库同步，装机预约时段由中心生成（hall-app slots make），"
                "随同步下发到各窗口",
                "预约时段",
            )
        days = self._rules.install_search_working_days if working_days is None else working_days
        now = self._clock()
        today = business_date(now) if start is None else start
        cal = self._calendar.calendar(actor, years_spanned(today, max(days, 1)))
        with self._db.unit_of_work() as s:
            added = ensure_slots(s, actor.hall_id, today, days, self._rules, cal, now)
            audit.record(
                s,
                at=now,
                actor=actor,
                action="install_slots.made",
                entity="install_slots",
                entity_id=None,
                after={"from": today.isoformat(), "working_days": days, "added": added},
            )
        return added
