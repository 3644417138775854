"""The day's queue review (排队日报): figures from the tickets of a day or a month.

Pure: plain values in, frozen dataclasses out; no database. The definitions are Qmatic's:

- wait = the last call - the ticket time (a recall moves the call; a ticket transferred to
  another type waits from its issue to its last call and counts once, under its last type);
- walk = start - the last call;
- service = finish - start;
- no-show = called and never started (status NO_SHOW).

Wait figures (average, 90th percentile by nearest rank, maximum, buckets) cover every ticket
that was called, no-shows included; service figures cover the served (DONE) tickets; within
target = served with wait <= the ticket's type target, divided by served. No data gives
``None``, never a division by zero.
"""

from __future__ import annotations

import math
import uuid
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hall_app.domain.enums import OrderType, Rating, TicketStatus

# The hall's time zone for periods and days (as hall_app.clock.HALL_TZ: the domain imports
# only itself).
HALL_TZ = ZoneInfo("Asia/Shanghai")
EMPTY_DAY_TEXT = "当日无排队记录"
EMPTY_PERIOD_TEXT = "所选期间无排队记录"
# Upper bounds of the wait buckets, in seconds: 0–5, 5–20, 20–60 and 60+ minutes.
WAIT_BUCKET_BOUNDS_S = (5 * 60, 20 * 60, 60 * 60)
WAIT_BUCKET_LABELS = ("0–5分钟", "5–20分钟", "20–60分钟", "60分钟以上")


@dataclass(frozen=True)
class TicketFacts:
    """One ticket as the review sees it, with the orders it produced."""

    ticket_id: uuid.UUID
    ticket_no: str
    service_code: str
    service_name: str
    target_minutes: int
    status: TicketStatus
    issued_at: datetime
    called_at: datetime | None  # the last call
    started_at: datetime | None
    finished_at: datetime | None
    recall_count: int
    transferred: bool
    counter_code: str | None
    counter_name: str | None
    staff_id: uuid.UUID | None
    staff_name: str | None
    order_types: tuple[OrderType, ...]
    revenue_fen: int
    rating: Rating | None

    @property
    def wait_s(self) -> float | None:
        if self.called_at is None:
            return None
        return (self.called_at - self.issued_at).total_seconds()

    @property
    def walk_s(self) -> float | None:
        if self.called_at is None or self.started_at is None:
            return None
        return (self.started_at - self.called_at).total_seconds()

    @property
    def service_s(self) -> float | None:
        if self.status is not TicketStatus.DONE:
            return None
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def served(self) -> bool:
        return self.status is TicketStatus.DONE

    @property
    def no_show(self) -> bool:
        return self.status is TicketStatus.NO_SHOW

    @property
    def within_target(self) -> bool:
        wait = self.wait_s
        return self.served and wait is not None and wait <= self.target_minutes * 60


@dataclass(frozen=True)
class Figures:
    """The figures of a group of tickets: all of them, a service type or a clerk."""

    key: str
    label: str
    arrivals: int
    served: int
    no_shows: int
    no_show_pct: float | None
    wait_avg_s: float | None
    wait_p90_s: float | None
    wait_max_s: float | None
    service_avg_s: float | None
    service_max_s: float | None
    within_target: int
    within_target_pct: float | None
    wait_buckets: tuple[int, int, int, int]  # 0–5, 5–20, 20–60, 60+ minutes


@dataclass(frozen=True)
class Period:
    """A 30-minute period of a day (or a whole day in a month's report)."""

    start: datetime
    arrivals: int
    served: int
    waiting_end: int  # tickets still waiting at the end of the period (the backlog)
    counters_open: int  # counters that called or served a ticket during the period


@dataclass(frozen=True)
class ClerkIdle:
    """Time a clerk spent between finishing a ticket (or a no-show's last call) and calling
    the next one while a ticket of their counter's service types was waiting. Calls are last
    calls: minutes spent recalling a customer who does not come count as idle."""

    staff_id: uuid.UUID
    staff_name: str
    idle_s: float


@dataclass(frozen=True)
class BusinessFigures:
    """The business one service type produced: orders of a type, from how many tickets, and
    the average service time of those tickets."""

    order_type: OrderType
    label: str
    orders: int
    tickets: int
    service_avg_s: float | None
    service_code: str


@dataclass(frozen=True)
class QueueReport:
    first_day: date
    last_day: date
    filters: str  # in Chinese, e.g. "业务类型：B 缴费"; "" for none
    total: Figures
    by_service: tuple[Figures, ...]
    by_clerk: tuple[Figures, ...]
    periods: tuple[Period, ...]
    idle: tuple[ClerkIdle, ...]
    business: tuple[BusinessFigures, ...]
    tickets: tuple[TicketFacts, ...]
    as_of: datetime | None = None  # a day under way: its periods from here on are to come

    def to_come(self, period: Period) -> bool:
        """``period`` has not begun yet (today's review read during the day)."""
        return self.as_of is not None and period.start >= self.as_of

    @property
    def empty(self) -> bool:
        return not self.tickets

    @property
    def single_day(self) -> bool:
        return self.first_day == self.last_day

    @property
    def empty_text(self) -> str:
        """What an empty report says."""
        return EMPTY_DAY_TEXT if self.single_day else EMPTY_PERIOD_TEXT

    @property
    def title_period(self) -> str:
        if self.single_day:
            return self.first_day.isoformat()
        return f"{self.first_day.isoformat()} 至 {self.last_day.isoformat()}"


# -- figures --------------------------------------------------------------------------------


def percentile_nearest_rank(values: Sequence[float], pct: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``pct`` % at or below."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else part * 100.0 / whole


def _avg(values: Sequence[float]) -> float | None:
    return None if not values else sum(values) / len(values)


def wait_bucket(wait_s: float) -> int:
    """Index of the bucket a wait falls in: [0, 5), [5, 20), [20, 60), 60+ minutes."""
    return bisect_right(WAIT_BUCKET_BOUNDS_S, wait_s)


def figures(key: str, label: str, tickets: Sequence[TicketFacts]) -> Figures:
    waits = [w for t in tickets if (w := t.wait_s) is not None]
    services = [s for t in tickets if (s := t.service_s) is not None]
    served = sum(1 for t in tickets if t.served)
    no_shows = sum(1 for t in tickets if t.no_show)
    within = sum(1 for t in tickets if t.within_target)
    buckets = [0, 0, 0, 0]
    for w in waits:
        buckets[wait_bucket(w)] += 1
    return Figures(
        key=key,
        label=label,
        arrivals=len(tickets),
        served=served,
        no_shows=no_shows,
        no_show_pct=_pct(no_shows, len(tickets)),
        wait_avg_s=_avg(waits),
        wait_p90_s=percentile_nearest_rank(waits, 90),
        wait_max_s=max(waits) if waits else None,
        service_avg_s=_avg(services),
        service_max_s=max(services) if services else None,
        within_target=within,
        within_target_pct=_pct(within, served),
        wait_buckets=(buckets[0], buckets[1], buckets[2], buckets[3]),
    )


# -- the report -----------------------------------------------------------------------------


def _at(day: date, t: time) -> datetime:
    return datetime.combine(day, t, tzinfo=HALL_TZ)


def _days(first_day: date, last_day: date) -> list[date]:
    return [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]


def _day_periods(
    day: date,
    tickets: Sequence[TicketFacts],
    period_minutes: int,
    open_time: time,
    close_time: time,
) -> list[tuple[datetime, datetime]]:
    """The day's periods from opening to closing, widened to whole periods to cover any
    ticket event outside the opening hours."""
    step = timedelta(minutes=period_minutes)
    start, end = _at(day, open_time), _at(day, close_time)
    events = [
        e
        for t in tickets
        for e in (t.issued_at, t.called_at, t.started_at, t.finished_at)
        if e is not None
    ]
    if events:
        earliest, latest = min(events), max(events)
        while earliest < start:
            start -= step
        while latest >= end:
            end += step
    out = []
    while start < end:
        out.append((start, start + step))
        start += step
    return out


def _periods(
    starts: list[datetime],
    end: datetime,
    tickets: Sequence[TicketFacts],
    now: datetime | None = None,
) -> list[Period]:
    """Contiguous periods (``starts`` and the last one's ``end``) in one pass over the tickets:
    each event lands in its period by bisection. With ``now`` (a day under way) a period
    starting at or after it has no backlog yet (a ticket waiting now is counted up to now
    only)."""
    shown = starts
    # Compare in UTC, the tickets' zone: aware datetimes of one tzinfo compare without
    # asking the zone for its offset (ten times faster in the bisections)
    starts = [s.astimezone(UTC) for s in starts]
    end = end.astimezone(UTC)
    n = len(starts)
    ends = [*starts[1:], end]
    arrivals, served, backlog = [0] * n, [0] * n, [0] * (n + 1)
    counters: list[set[str]] = [set() for _ in range(n)]

    def index(at: datetime) -> int | None:
        i = bisect_right(starts, at) - 1
        return i if i >= 0 and at < end else None

    for t in tickets:
        if (i := index(t.issued_at)) is not None:
            arrivals[i] += 1
        if t.served and t.finished_at is not None and (i := index(t.finished_at)) is not None:
            served[i] += 1
        # waiting at a period's end e: issued < e <= the (last) call, or never called
        lo = bisect_right(ends, t.issued_at)
        hi = n if t.called_at is None else bisect_right(ends, t.called_at)
        if lo < hi:
            backlog[lo] += 1
            backlog[hi] -= 1
        if t.counter_code is None:
            continue
        if t.called_at is not None and (i := index(t.called_at)) is not None:
            counters[i].add(t.counter_code)
        if t.started_at is not None:  # serving from start to finish (or the start alone)
            stop = t.finished_at if t.finished_at is not None else t.started_at
            first = max(0, bisect_right(starts, t.started_at) - 1)
            last = min(n - 1, bisect_right(starts, stop) - 1)
            if t.started_at < end and stop >= starts[0]:
                for i in range(first, last + 1):
                    counters[i].add(t.counter_code)
    out = []
    waiting = 0
    for i in range(n):
        waiting += backlog[i]
        to_come = now is not None and starts[i] >= now
        out.append(
            Period(shown[i], arrivals[i], served[i], 0 if to_come else waiting, len(counters[i]))
        )
    return out


def _merged(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _overlap(merged: list[tuple[datetime, datetime]], s: datetime, e: datetime) -> float:
    """Seconds of [s, e) covered by the sorted, disjoint ``merged`` intervals."""
    total = 0.0
    i = bisect_right(merged, (s, s)) - 1
    i = max(i, 0)
    while i < len(merged) and merged[i][0] < e:
        a, b = max(merged[i][0], s), min(merged[i][1], e)
        if b > a:
            total += (b - a).total_seconds()
        i += 1
    return total


def _idle(
    tickets: Sequence[TicketFacts],
    counter_types: Mapping[str, frozenset[str]],
    close_time: time,
) -> list[ClerkIdle]:
    # Each ticket waits from its issue to its last call (or the day's close, never called).
    def waiting_span(t: TicketFacts) -> tuple[datetime, datetime]:
        if t.called_at is not None:
            return (t.issued_at, t.called_at)
        close = _at(t.issued_at.astimezone(HALL_TZ).date(), close_time)
        return (t.issued_at, max(close, t.issued_at))

    spans_by_type: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for t in tickets:
        spans_by_type[t.service_code].append(waiting_span(t))
    merged_cache: dict[frozenset[str], list[tuple[datetime, datetime]]] = {}

    def waiting_of(types: frozenset[str]) -> list[tuple[datetime, datetime]]:
        if types not in merged_cache:
            merged_cache[types] = _merged([s for c in types for s in spans_by_type.get(c, [])])
        return merged_cache[types]

    by_clerk: dict[uuid.UUID, list[TicketFacts]] = defaultdict(list)
    names: dict[uuid.UUID, str] = {}
    for t in tickets:
        if t.staff_id is not None and t.called_at is not None:
            by_clerk[t.staff_id].append(t)
            names[t.staff_id] = t.staff_name or ""
    out = []
    for staff_id, own in by_clerk.items():
        own.sort(key=lambda t: t.called_at or t.issued_at)
        idle = 0.0
        for prev, nxt in pairwise(own):
            assert nxt.called_at is not None
            # Free from the finish, or from a no-show's last call (no stamp marks the no-show)
            free = prev.finished_at if not prev.no_show else prev.called_at
            if free is None or nxt.called_at <= free:
                continue
            if free.astimezone(HALL_TZ).date() != nxt.called_at.astimezone(HALL_TZ).date():
                continue
            types = counter_types.get(prev.counter_code or "", frozenset())
            if not types:
                types = frozenset({prev.service_code})
            idle += _overlap(waiting_of(types), free, nxt.called_at)
        out.append(ClerkIdle(staff_id, names[staff_id], idle))
    out.sort(key=lambda c: c.staff_name)
    return out


def _idle_of(
    tickets: Sequence[TicketFacts],
    hall_tickets: Sequence[TicketFacts] | None,
    counter_types: Mapping[str, frozenset[str]],
    close_time: time,
) -> list[ClerkIdle]:
    if hall_tickets is None:
        return _idle(tickets, counter_types, close_time)
    clerks = {t.staff_id for t in tickets if t.staff_id is not None and t.called_at is not None}
    return [c for c in _idle(hall_tickets, counter_types, close_time) if c.staff_id in clerks]


def _business(tickets: Sequence[TicketFacts], rank: Mapping[str, int]) -> list[BusinessFigures]:
    """Per service type (in ``rank`` order, as the figures tables) and order type."""
    orders: dict[tuple[str, OrderType], int] = defaultdict(int)
    groups: dict[tuple[str, OrderType], list[TicketFacts]] = defaultdict(list)
    for t in tickets:
        for ot in t.order_types:
            orders[(t.service_code, ot)] += 1
        for ot in dict.fromkeys(t.order_types):
            groups[(t.service_code, ot)].append(t)
    order_index = {ot: i for i, ot in enumerate(OrderType)}
    out = []
    for (code, ot), group in sorted(
        groups.items(),
        key=lambda kv: (rank.get(kv[0][0], len(rank)), kv[0][0], order_index[kv[0][1]]),
    ):
        services = [s for t in group if (s := t.service_s) is not None]
        out.append(
            BusinessFigures(
                order_type=ot,
                label=ot.label,
                orders=orders[(code, ot)],
                tickets=len(group),
                service_avg_s=_avg(services),
                service_code=code,
            )
        )
    return out


def _grouped(
    tickets: Sequence[TicketFacts],
    key: Callable[[TicketFacts], str | None],
    label: Callable[[TicketFacts], str],
) -> list[Figures]:
    groups: dict[str, list[TicketFacts]] = defaultdict(list)
    labels: dict[str, str] = {}
    for t in tickets:
        k = key(t)
        if k is None:
            continue
        groups[k].append(t)
        labels[k] = label(t)
    return [figures(k, labels[k], g) for k, g in groups.items()]


def build_report(
    first_day: date,
    last_day: date,
    filters: str,
    tickets: Sequence[TicketFacts],
    *,
    counter_types: Mapping[str, frozenset[str]],
    period_minutes: int = 30,
    open_time: time = time(8, 30),
    close_time: time = time(18, 0),
    service_order: Mapping[str, int] | None = None,
    now: datetime | None = None,
    hall_tickets: Sequence[TicketFacts] | None = None,
) -> QueueReport:
    """The review of ``tickets`` (issued between ``first_day`` and ``last_day``).

    One day: ``period_minutes`` periods from ``open_time`` to ``close_time`` (widened to
    cover tickets outside the hours). Several days: one period per day.
    ``counter_types`` maps a counter code to the service codes it serves (for idle time).
    ``service_order`` ranks the service codes in the hall's fixed order (ServiceType
    sort_order); a code it lacks goes after them, by its tickets' letter.
    ``now``: a day still under way has no backlog in its periods still to come (those
    starting at ``now`` or later); the period holding ``now`` shows who waits now.
    ``hall_tickets``: with ``tickets`` filtered (a type, a counter, a clerk), all the hall's
    tickets of those days: whether a ticket waited is the hall's fact, whoever served it,
    so idle time is measured on them, for the clerks of ``tickets``.
    """
    ordered = sorted(tickets, key=lambda t: (t.issued_at, t.ticket_no))
    rank = service_order or {}
    letters: dict[str, str] = {}  # only for a code ``service_order`` lacks (a transferred
    for t in ordered:  # ticket keeps its number, so the smallest letter of the type's tickets)
        letters[t.service_code] = min(letters.get(t.service_code, "~"), t.ticket_no[:1])
    by_service = sorted(
        _grouped(ordered, lambda t: t.service_code, lambda t: t.service_name),
        key=lambda f: (rank.get(f.key, len(rank)), letters[f.key], f.key),
    )
    by_clerk = sorted(
        _grouped(
            ordered,
            lambda t: None if t.staff_id is None else str(t.staff_id),
            lambda t: t.staff_name or "",
        ),
        key=lambda f: (f.label, f.key),
    )
    if first_day == last_day:
        spans = _day_periods(first_day, ordered, period_minutes, open_time, close_time)
        periods = _periods([s for s, _e in spans], spans[-1][1], ordered, now)
    else:  # a day each; a ticket still waiting at a day's end leaves with the day
        days = _days(first_day, last_day)
        by_day: dict[date, list[TicketFacts]] = defaultdict(list)
        for t in ordered:
            by_day[t.issued_at.astimezone(HALL_TZ).date()].append(t)
        periods = [
            _periods([_at(d, time(0))], _at(d + timedelta(days=1), time(0)), by_day[d])[0]
            for d in days
        ]
    return QueueReport(
        first_day=first_day,
        last_day=last_day,
        filters=filters,
        total=figures("all", "全部", ordered),
        by_service=tuple(by_service),
        by_clerk=tuple(by_clerk),
        periods=tuple(periods),
        idle=tuple(_idle_of(ordered, hall_tickets, counter_types, close_time)),
        business=tuple(_business(ordered, {f.key: i for i, f in enumerate(by_service)})),
        tickets=tuple(ordered),
        as_of=now if first_day == last_day else None,
    )


# -- display ----------------------------------------------------------------------------------


def fmt_duration(seconds: float | None) -> str:
    """A duration as the review shows it: 12:05 (minutes:seconds), 1:02:03 past an hour."""
    if seconds is None:
        return "—"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def fmt_pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"
