"""The shape of a year at the hall, for the demo history: how many come on a day, when in the
day, who serves how fast, and the queue those arrivals make at the counters.

- **Days.** About 190 tickets on a weekday, a third more on Saturday, a sixth more on Sunday;
  the last three days of a month bring the bill rush (缴费 B tickets three times as likely,
  and a fifth more people).
- **Hours.** Arrivals by half-hour from 08:30: the morning peak (09:30–11:00), the lunch dip
  (12:00–13:30, when half the clerks are on their break), a second, lower afternoon peak.
- **Clerks.** Each clerk has a speed (``CLERK_SPEED``; clerk3 is the new, slow one); the four
  clerks each rest one weekday (Monday to Thursday), the two duty supervisors serve every day.
- **The queue.** Each open counter calls the earliest waiting ticket of its service types (the
  VIP counter calls VIP first). Some tickets are transferred to another type after a few
  minutes and go back in its queue by their issue time, keeping their number (A012 served
  as 宽带固话: the letter tells a transferred ticket); some are called, recalled twice and
  marked no-show (more likely after a long wait). ``called`` is the last call, as the queue
  review reads it.
"""

from __future__ import annotations

import heapq
import random
import uuid
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime

from hall_app.clock import HALL_TZ

OPEN_AT = dtime(8, 30)
LAST_TICKET_S = 9 * 3600 + 20 * 60  # tickets are issued until 17:50
# Arrivals in each half-hour from 08:30 (the last one, 17:30, issues for 20 minutes).
HALF_HOUR_WEIGHTS = (5, 9, 12, 13, 12, 10, 7, 5, 4, 5, 7, 9, 10, 9, 8, 7, 5, 3, 1)
WEEKDAY_TICKETS = 190
WEEKDAY_FACTOR = (1.0, 0.95, 0.95, 1.0, 1.1, 1.35, 1.15)  # Monday .. Sunday
MONTH_END_DAYS = 3  # the bill rush: the last three days of a month
SERVICE_WEIGHTS = {"general": 45, "billing": 28, "fixed": 15, "vip": 12}
# Median service minutes by service type (the spread is log-normal).
SERVICE_MINUTES = {"general": 7.0, "billing": 3.0, "fixed": 10.0, "vip": 8.0}
CLERK_SPEED = {  # × the median service time
    "clerk1": 0.85,
    "clerk2": 1.0,
    "clerk3": 1.45,
    "clerk4": 0.95,
    "super1": 1.1,
    "super2": 1.05,
}
REST_WEEKDAY = {"clerk1": 0, "clerk2": 1, "clerk3": 2, "clerk4": 3}  # Monday = 0
TRANSFER_RATE = 0.03  # of general tickets, sent on to 宽带固话 or 缴费
TRANSFER_TO = ("fixed", "billing")
LUNCH = ((dtime(11, 45), 40), (dtime(12, 30), 40))  # (start, minutes): two shifts


def is_month_end(day: date) -> bool:
    return day.day > monthrange(day.year, day.month)[1] - MONTH_END_DAYS


def tickets_on(day: date, rng: random.Random) -> int:
    """How many tickets the hall issues on ``day``."""
    factor = WEEKDAY_FACTOR[day.weekday()] * (1.2 if is_month_end(day) else 1.0)
    return max(20, round(WEEKDAY_TICKETS * factor * rng.uniform(0.88, 1.12)))


def service_weights(day: date) -> dict[str, int]:
    weights = dict(SERVICE_WEIGHTS)
    if is_month_end(day):
        weights["billing"] *= 3
    return weights


def arrival_offsets(count: int, rng: random.Random) -> list[int]:
    """Seconds after opening of ``count`` arrivals, in order, drawn by half-hour."""
    slots = rng.choices(range(len(HALF_HOUR_WEIGHTS)), weights=HALF_HOUR_WEIGHTS, k=count)
    offsets = []
    for slot in slots:
        start = slot * 1800
        offsets.append(min(LAST_TICKET_S - 1, start + rng.randrange(1800)))
    return sorted(offsets)


def works_on(username: str, day: date) -> bool:
    return REST_WEEKDAY.get(username) != day.weekday()


@dataclass
class SimTicket:
    """One ticket of the day as the queue served it."""

    index: int
    code: str  # its service type now (the last one, after a transfer)
    letter_code: str  # the type it was issued for (its number's letter)
    issued: datetime
    called: datetime | None = None
    started: datetime | None = None
    finished: datetime | None = None
    recall_count: int = 0
    no_show: bool = False
    counter_id: uuid.UUID | None = None
    staff_id: uuid.UUID | None = None
    transferred: tuple[str, datetime, uuid.UUID, uuid.UUID] | None = None  # from, at, who, where


@dataclass
class Desk:
    """An open counter with its clerk for the day."""

    counter_id: uuid.UUID
    staff_id: uuid.UUID
    username: str
    types: tuple[str, ...]  # the counter's service types, VIP first
    lunch: tuple[datetime, datetime]
    free_at: datetime
    lunch_taken: bool = False
    last_finish: datetime | None = None
    served: list[SimTicket] = field(default_factory=list)


def lunch_of(day: date, shift: int) -> tuple[datetime, datetime]:
    start, minutes = LUNCH[shift % len(LUNCH)]
    begin = datetime.combine(day, start, HALL_TZ)
    return begin, begin + timedelta(minutes=minutes)


def simulate(tickets: list[SimTicket], desks: list[Desk], rng: random.Random) -> None:
    """Serve ``tickets`` (issued in order) at ``desks``: fills in calls, starts, finishes,
    recalls, no-shows and transfers."""
    queues: dict[str, list[tuple[datetime, int]]] = {}
    for t in tickets:
        queues.setdefault(t.code, []).append((t.issued, t.index))
    for q in queues.values():
        heapq.heapify(q)
    by_index = {t.index: t for t in tickets}
    moving: list[tuple[datetime, str, datetime, int]] = []  # transferred: back in the queue at
    while any(queues.values()) or moving:
        best: tuple[datetime, int, Desk] | None = None
        for n, desk in enumerate(desks):
            heads = [queues[c][0][0] for c in desk.types if queues.get(c)]
            heads += [m[0] for m in moving if m[1] in desk.types]
            if not heads:
                continue
            at = max(desk.free_at, min(heads))
            if not desk.lunch_taken and at >= desk.lunch[0]:
                at = max(at, desk.lunch[1])
            if best is None or at < best[0]:
                best = (at, n, desk)
        if best is None:  # a type no open counter serves: nobody is left to call them
            break
        at, _, desk = best
        for m in [m for m in moving if m[0] <= at]:
            moving.remove(m)
            heapq.heappush(queues.setdefault(m[1], []), (m[2], m[3]))
        if not desk.lunch_taken and at >= desk.lunch[0]:
            desk.lunch_taken = True
        ready = [c for c in desk.types if queues.get(c) and queues[c][0][0] <= at]
        # the VIP counter calls VIP first; the others the longest waiting of their types
        code = ready[0] if desk.types[0] == "vip" and ready[0] == "vip" else None
        if code is None:
            code = min(ready, key=lambda c: queues[c][0])
        _, index = heapq.heappop(queues[code])
        ticket = by_index[index]
        desk.free_at = _serve(ticket, desk, at, rng, moving)


def _serve(
    ticket: SimTicket,
    desk: Desk,
    at: datetime,
    rng: random.Random,
    moving: list[tuple[datetime, str, datetime, int]],
) -> datetime:
    """The desk calls ``ticket`` at ``at``; returns when the desk is free again."""
    ticket.called = at
    ticket.counter_id, ticket.staff_id = desk.counter_id, desk.staff_id
    ticket.recall_count = 0
    wait_min = (at - ticket.issued).total_seconds() / 60
    if rng.random() < 0.02 + min(wait_min / 60 * 0.1, 0.15):  # gone: two recalls, no-show
        ticket.recall_count = 2
        ticket.called = at + timedelta(seconds=rng.randint(50, 70) * 2)
        ticket.no_show = True
        return ticket.called + timedelta(seconds=rng.randint(40, 70))
    ticket.no_show = False
    ticket.started = at + timedelta(seconds=rng.randint(20, 90))
    speed = CLERK_SPEED.get(desk.username, 1.0)
    minutes = SERVICE_MINUTES[ticket.code] * speed * rng.lognormvariate(0, 0.45)
    minutes = min(max(minutes, 1.2), 45.0)
    if ticket.code == "general" and ticket.transferred is None and rng.random() < TRANSFER_RATE:
        target = TRANSFER_TO[rng.randrange(len(TRANSFER_TO))]
        moved = ticket.started + timedelta(minutes=rng.uniform(1.5, 4.0))
        ticket.transferred = ("general", moved, desk.staff_id, desk.counter_id)
        ticket.code = target
        ticket.started = ticket.called = None
        moving.append((moved, target, ticket.issued, ticket.index))
        return moved + timedelta(seconds=20)
    ticket.finished = ticket.started + timedelta(seconds=round(minutes * 60))
    desk.last_finish = ticket.finished
    desk.served.append(ticket)
    return ticket.finished + timedelta(seconds=rng.randint(10, 40))


# -- evaluations -------------------------------------------------------------------------------
DISSATISFIED_REASONS = ("等候时间太长", "办理速度慢", "服务态度不好", "业务没有办成", "解释不清楚")
REASON_DETAILS = {
    "等候时间太长": ("排了很久才叫到号", "窗口开得太少", ""),
    "办理速度慢": ("一个业务办了半个多小时", "系统操作不熟练", ""),
    "服务态度不好": ("营业员不耐烦", ""),
    "业务没有办成": ("资料不全被要求下次再来", "套餐没办下来", ""),
    "解释不清楚": ("资费没有讲明白", ""),
}
SLOW_CLERKS = frozenset({"clerk3"})


def rating_for(
    rng: random.Random, username: str, wait_min: float, service_min: float
) -> tuple[str, str, int]:
    """The customer's press: (rating value, 不满意's reason, seconds after the finish)."""
    if rng.random() < 0.1:
        return "no_answer", "", 30
    p_bad = 0.012 + (0.035 if username in SLOW_CLERKS else 0.0)
    p_bad += 0.05 if wait_min > 30 else 0.0
    p_bad += 0.03 if service_min > 25 else 0.0
    after = rng.randint(3, 25)
    if rng.random() < p_bad:
        if wait_min > 30:
            reason = "等候时间太长"
        elif username in SLOW_CLERKS or service_min > 25:
            reason = "办理速度慢"
        else:
            reason = DISSATISFIED_REASONS[rng.randrange(2, len(DISSATISFIED_REASONS))]
        detail = rng.choice(REASON_DETAILS[reason])
        return "dissatisfied", f"{reason}：{detail}" if detail else reason, after
    r = rng.random()
    value = "very_satisfied" if r < 0.62 else "satisfied" if r < 0.9 else "neutral"
    return value, "", after
