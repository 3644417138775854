"""Working days from the holiday calendar as data, and the late-installation credit.

The calendar is a mapping date -> (working, holiday name) together with the set of years it
covers (the State Council publishes each year's holidays and make-up working days, 调休, late in
the year before). For a year the data lacks, a date is counted Monday to Friday and the answer
is marked provisional: it never fails, and nothing outside the data is consulted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

# Calendar kinds, as stored in calendar_days.kind.
WORKDAY = "workday"  # an ordinary Monday to Friday
WEEKEND = "weekend"  # an ordinary Saturday or Sunday
HOLIDAY = "holiday"  # a public holiday (or a day of its holiday week)
MAKEUP = "makeup"  # a make-up working day (调休), usually a weekend day
KINDS = (WORKDAY, WEEKEND, HOLIDAY, MAKEUP)
KIND_NAMES = {WORKDAY: "工作日", WEEKEND: "周末", HOLIDAY: "法定节假日", MAKEUP: "调休上班"}

LATE_INSTALL_RATE = Decimal("0.01")  # 1 % of the installation fee per day late (regulations)
ONE_FEN = Decimal(1)


def kind_of(day: date, working: bool, name: str | None) -> str:
    """The kind of a day, from whether it is worked and whether a holiday names it."""
    weekend = day.weekday() >= 5
    if working:
        return MAKEUP if weekend else WORKDAY
    return WEEKEND if weekend and not name else HOLIDAY


@dataclass(frozen=True)
class DayInfo:
    day: date
    working: bool
    name: str | None  # 国庆节; for a make-up day, the holiday it makes up for
    provisional: bool  # the year is not in the data: counted Monday to Friday


@dataclass(frozen=True)
class DateAnswer:
    day: date
    provisional: bool  # some date used lies in a year the data lacks


@dataclass(frozen=True)
class CountAnswer:
    days: int
    provisional: bool


@dataclass(frozen=True)
class WorkCalendar:
    """The holiday calendar: known days and the years they fully cover."""

    days: Mapping[date, tuple[bool, str | None]]
    years: frozenset[int]

    @classmethod
    def of(cls, days: Mapping[date, tuple[bool, str | None]], years: Iterable[int]) -> WorkCalendar:
        return cls(dict(days), frozenset(years))

    def info(self, d: date) -> DayInfo:
        if d.year not in self.years:
            return DayInfo(d, d.weekday() < 5, None, provisional=True)
        known = self.days.get(d)
        if known is None:  # a covered year holds every day; a lost row counts Monday to Friday
            return DayInfo(d, d.weekday() < 5, None, provisional=False)
        return DayInfo(d, known[0], known[1], provisional=False)


def is_working_day(calendar: WorkCalendar, d: date) -> tuple[bool, bool]:
    """(working, provisional) for one date."""
    info = calendar.info(d)
    return info.working, info.provisional


def add_working_days(calendar: WorkCalendar, start: date, n: int) -> DateAnswer:
    """The n-th working day after ``start`` (start itself not counted); n = 0 gives the first
    working day on or after ``start``. Provisional when any day looked at is."""
    if n < 0:
        raise ValueError("n must not be negative")
    provisional = False
    d = start
    if n == 0:
        info = calendar.info(d)
        provisional = info.provisional
        while not info.working:
            d += timedelta(days=1)
            info = calendar.info(d)
            provisional = provisional or info.provisional
        return DateAnswer(d, provisional)
    left = n
    while left:
        d += timedelta(days=1)
        info = calendar.info(d)
        provisional = provisional or info.provisional
        if info.working:
            left -= 1
    return DateAnswer(d, provisional)


def working_days_between(calendar: WorkCalendar, start: date, end: date) -> CountAnswer:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
    count = 0
    provisional = False
    d = start
    while d < end:
        d += timedelta(days=1)
        info = calendar.info(d)
        provisional = provisional or info.provisional
        count += info.working
    return CountAnswer(count, provisional)


def late_install_credit_fen(install_fee_fen: int, promised: date, installed: date) -> int:
    """The credit for a late installation: 1 % of the installation fee per calendar day after
    the promised date (domain rules: "per day late"), rounded half-up to the fen. Installed on
    or before the promised date: 0."""
    if install_fee_fen < 0:
        raise ValueError("the installation fee must not be negative")
    late = max((installed - promised).days, 0)
    credit = Decimal(install_fee_fen) * LATE_INSTALL_RATE * late
    return int(credit.quantize(ONE_FEN, rounding=ROUND_HALF_UP))
