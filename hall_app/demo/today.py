"""Today's queue in the demo: tickets issued through the morning so far, most of them served
(with their wait and service times) or no-shows, the latest ones still waiting, so the first
F2 of a demo calls someone.

Written by the demo build for its day, and again when a demo starts on a later day and finds
today's queue empty. Deterministic for a seed and a moment: every draw, UUIDs included, comes
from one RNG seeded with the seed and the day.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import IntegrityError

from hall_app.clock import HALL_TZ, business_date
from hall_app.config import BusinessRules
from hall_app.db.crypto import plain_for
from hall_app.db.engine import Database
from hall_app.db.models import (
    Customer,
    Hall,
    QueueTicket,
    ServiceType,
    Staff,
    counter_service_types,
)
from hall_app.db.outbox import silenced
from hall_app.demo.year import rating_for
from hall_app.domain.enums import Rating, Role, TicketStatus
from hall_app.domain.errors import StorageError
from hall_app.domain.queue import ticket_number
from hall_app.services.installs import ensure_slots

OPENING = dtime(8, 30)
PINNED_DAY_MOMENT = dtime(11, 0)  # a build for another day stops its queue here
MORNING = timedelta(hours=3)  # the queue covers at most the last three hours of the day
EARLY = timedelta(minutes=90)  # before (or just after) opening: the last 90 minutes
TICKETS_PER_HOUR = (18, 26)
STILL_WAITING = (12, 18)
NO_SHOW_SHARE = 0.06
# The demo hall's service types (hall_app/demo/reference.py), weighted like a real morning.
SERVICE_WEIGHTS = {"general": 50, "billing": 25, "fixed": 15, "vip": 10}


@dataclass(frozen=True)
class TodaysQueue:
    issued: int  # 0: today already had tickets, nothing was written
    waiting: int


NO_QUEUE = TodaysQueue(0, 0)


# A few of the tickets still waiting are for broadband and landline (C), so a clerk at a
# window serving them has someone to call: every STILL_WAITING_FIXED-th waiting ticket.
STILL_WAITING_FIXED = 5
FIXED_SERVICE = "fixed"


@dataclass(frozen=True)
class _Type:
    id: uuid.UUID
    letter: str
    is_vip: bool
    weight: int
    code: str = ""


def demo_moment(today: date, now: datetime) -> datetime:
    """When today's queue of a build for ``today`` runs up to: now, for a build of today;
    11:00 in the hall, for a build pinned to another day."""
    if business_date(now) == today:
        return now
    return datetime.combine(today, PINNED_DAY_MOMENT, HALL_TZ).astimezone(UTC)


def fill_todays_queue(conn: Connection, now: datetime, seed: int = 1) -> TodaysQueue:
    """Today's queue up to ``now``, in the caller's transaction, if today has no ticket yet."""
    today = business_date(now)
    hall_id = conn.scalar(select(Hall.id).order_by(Hall.code).limit(1))
    if hall_id is None:
        return NO_QUEUE
    already = conn.scalar(
        select(func.count())
        .select_from(QueueTicket)
        .where(QueueTicket.hall_id == hall_id, QueueTicket.business_date == today)
    )
    if already:
        return NO_QUEUE
    types = [
        _Type(row.id, row.letter, row.is_vip, SERVICE_WEIGHTS.get(row.code, 5), row.code)
        for row in conn.execute(
            select(
                ServiceType.id, ServiceType.code, ServiceType.letter, ServiceType.is_vip
            ).order_by(ServiceType.letter)
        )
    ]
    staff: list[tuple[uuid.UUID, uuid.UUID]] = [
        (row.id, row.default_counter_id)
        for row in conn.execute(
            select(Staff.id, Staff.default_counter_id)
            .where(
                Staff.hall_id == hall_id,
                Staff.role.in_((Role.CLERK, Role.SUPERVISOR)),
                Staff.default_counter_id.is_not(None),
            )
            .order_by(Staff.username)
        )
        if row.default_counter_id is not None
    ]
    serves: dict[uuid.UUID, set[uuid.UUID]] = {}
    for counter_id, type_id in conn.execute(select(counter_service_types)):
        serves.setdefault(counter_id, set()).add(type_id)
    customers = list(conn.scalars(select(Customer.id).order_by(Customer.id).limit(300)))
    if not types or not staff or not customers:
        return NO_QUEUE
    rng = random.Random(f"demo-queue:{seed}:{today.isoformat()}")
    rows = _tickets(rng, now, hall_id, types, staff, serves, customers)
    usernames = {
        row.id: row.username
        for row in conn.execute(select(Staff.id, Staff.username).where(Staff.hall_id == hall_id))
    }
    _evaluate(rows, now, usernames, random.Random(f"demo-eval:{seed}:{today.isoformat()}"))
    conn.execute(insert(QueueTicket), rows)
    waiting = sum(1 for r in rows if r["status"] is TicketStatus.WAITING)
    return TodaysQueue(len(rows), waiting)


def top_up_todays_queue(db: Database, now: datetime, seed: int = 1) -> TodaysQueue:
    """At the start of a demo: today's queue when today has none yet (the demo database was
    built on an earlier day). One transaction; not queued for a central database (demo data
    is the starting point, not news)."""
    try:
        with db.unit_of_work() as session, silenced(session):
            return fill_todays_queue(session.connection(), now, seed)
    except StorageError as exc:
        if isinstance(exc.__cause__, IntegrityError):  # a second demo window did it meanwhile
            return NO_QUEUE
        raise


def _tickets(
    rng: random.Random,
    now: datetime,
    hall_id: uuid.UUID,
    types: list[_Type],
    staff: list[tuple[uuid.UUID, uuid.UUID]],
    serves: dict[uuid.UUID, set[uuid.UUID]],
    customers: list[uuid.UUID],
) -> list[dict[str, Any]]:
    def uid() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    today = business_date(now)
    local_now = now.astimezone(HALL_TZ)
    opening = datetime.combine(today, OPENING, HALL_TZ)
    start = max(opening, local_now - MORNING)
    if local_now - start < EARLY / 2:  # before or just after opening
        start = max(datetime.combine(today, dtime(0, 0), HALL_TZ), local_now - EARLY)
    last_issue = local_now - timedelta(minutes=1)
    span = max(60, int((last_issue - start).total_seconds()))
    count = max(STILL_WAITING[1] + 4, round(span / 3600 * rng.uniform(*TICKETS_PER_HOUR)))
    offsets = sorted(rng.randrange(span) for _ in range(count))
    waiting_from = count - rng.randint(*STILL_WAITING)
    latest = local_now - timedelta(minutes=1)  # every served ticket is over by then
    seqs = {t.id: 0 for t in types}
    weights = [t.weight for t in types]
    rows: list[dict[str, Any]] = []
    fixed = next((t for t in types if t.code == FIXED_SERVICE), None)
    for n, offset in enumerate(offsets):
        stype = rng.choices(types, weights=weights)[0]
        if (
            fixed is not None
            and n >= waiting_from
            and (n - waiting_from) % STILL_WAITING_FIXED == 1
        ):
            stype = fixed
        seqs[stype.id] += 1
        issued = start + timedelta(seconds=offset)
        row: dict[str, Any] = {
            "id": uid(),
            "created_at": issued.astimezone(UTC),
            "updated_at": issued.astimezone(UTC),
            "hall_id": hall_id,
            "service_type_id": stype.id,
            "business_date": today,
            "seq": seqs[stype.id],
            "ticket_no": ticket_number(stype.letter, seqs[stype.id]),
            "status": TicketStatus.WAITING,
            "is_walk_in": False,
            "issued_at": issued.astimezone(UTC),
            "called_at": None,
            "started_at": None,
            "finished_at": None,
            "recall_count": 0,
            "counter_id": None,
            "staff_id": None,
            "customer_id": None,
        }
        rows.append(row)
        wait = timedelta(seconds=rng.randrange(90, (8 if stype.is_vip else 22) * 60))
        called = issued + wait
        if n >= waiting_from or called > latest - timedelta(minutes=4):
            continue  # still waiting
        able = [s for s in staff if stype.id in serves.get(s[1], set())]
        staff_id, counter_id = rng.choice(able or staff)
        row.update(called_at=called.astimezone(UTC), counter_id=counter_id, staff_id=staff_id)
        if rng.random() < NO_SHOW_SHARE:
            row.update(status=TicketStatus.NO_SHOW, recall_count=2, updated_at=row["called_at"])
            continue
        started = called + timedelta(seconds=rng.randrange(20, 90))
        finished = min(started + timedelta(seconds=rng.randrange(180, 1200)), latest)
        row.update(
            status=TicketStatus.DONE,
            started_at=started.astimezone(UTC),
            finished_at=finished.astimezone(UTC),
            updated_at=finished.astimezone(UTC),
            customer_id=customers[rng.randrange(len(customers))],
        )
    return rows


def _evaluate(
    rows: list[dict[str, Any]],
    now: datetime,
    usernames: dict[uuid.UUID, str],
    rng: random.Random,
) -> None:
    """The customers' presses on the tickets finished this morning (as the history's:
    ``hall_app.demo.year.rating_for``); a ticket finished within the last window is not
    rated yet."""
    for row in rows:
        row.update(rating=None, rated_at=None, rating_note="")
        if row["status"] is not TicketStatus.DONE:
            continue
        called, started, finished = row["called_at"], row["started_at"], row["finished_at"]
        value, note, after = rating_for(
            rng,
            usernames.get(row["staff_id"], ""),
            (called - row["issued_at"]).total_seconds() / 60,
            (finished - started).total_seconds() / 60,
        )
        rated = finished + timedelta(seconds=after)
        if rated > now:
            continue
        sealed = plain_for("queue_tickets", "rating_note", row["id"], note)  # sealed free text
        row.update(rating=Rating(value), rated_at=rated, rating_note=sealed, updated_at=rated)


def top_up_slots(db: Database, now: datetime, rules: BusinessRules) -> int:
    """At the start of a demo: the install slots of the coming working days (as the back
    office's `hall-app slots make` would have made them), so the broadband wizard has
    appointments to offer whatever day the demo database was built. Idempotent; silenced like
    the queue. Returns the slots added."""
    with db.unit_of_work() as session, silenced(session):
        hall_ids = session.scalars(select(Hall.id)).all()
        return sum(
            ensure_slots(
                session,
                hall_id,
                business_date(now),
                rules.install_search_working_days + 2,
                rules,
                None,
                now,
            )
            for hall_id in hall_ids
        )
