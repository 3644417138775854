"""Working days from the calendar as data: holidays, make-up working days, a year the data
lacks (counted Monday to Friday, provisional), and the late-installation credit."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hall_app.domain import workdays
from hall_app.domain.workdays import (
    WorkCalendar,
    add_working_days,
    is_working_day,
    late_install_credit_fen,
    working_days_between,
)


def _year(year: int) -> dict[date, tuple[bool, str | None]]:
    d, days = date(year, 1, 1), {}
    while d.year == year:
        days[d] = (chinese_calendar.is_workday(d), chinese_calendar.get_holiday_detail(d)[1])
        d += timedelta(days=1)
    return days


CAL = WorkCalendar.of({**_year(2025), **_year(2026)}, {2025, 2026})


def test_the_national_day_week_of_2026_is_not_worked() -> None:
    for day in range(1, 8):
        assert is_working_day(CAL, date(2026, 10, day)) == (False, False)
    assert is_working_day(CAL, date(2026, 10, 8)) == (True, False)  # Thursday, back at work
    # Ordered on the last day of September: five working days skip the whole week.
    assert add_working_days(CAL, date(2026, 9, 30), 1) == workdays.DateAnswer(
        date(2026, 10, 8), False
    )
    assert add_working_days(CAL, date(2026, 9, 30), 5).day == date(2026, 10, 13)
    assert working_days_between(CAL, date(2026, 9, 30), date(2026, 10, 8)).days == 1


def test_a_make_up_saturday_is_a_working_day() -> None:
    assert date(2026, 10, 10).weekday() == 5
    assert chinese_calendar.is_workday(date(2026, 10, 10))  # the package agrees
    assert is_working_day(CAL, date(2026, 10, 10)) == (True, False)
    assert CAL.info(date(2026, 10, 10)).name == "National Day"
    assert is_working_day(CAL, date(2026, 10, 11)) == (False, False)  # the Sunday after is not
    # Friday 9 October + 1 working day is the make-up Saturday, not Monday.
    assert add_working_days(CAL, date(2026, 10, 9), 1).day == date(2026, 10, 10)
    assert workdays.kind_of(date(2026, 10, 10), True, "国庆节") == workdays.MAKEUP
    assert workdays.kind_of(date(2026, 10, 1), False, "国庆节") == workdays.HOLIDAY
    assert workdays.kind_of(date(2026, 10, 11), False, None) == workdays.WEEKEND
    assert workdays.kind_of(date(2026, 10, 12), True, None) == workdays.WORKDAY


def test_across_the_year_end_into_a_year_the_data_lacks() -> None:
    with pytest.raises(NotImplementedError):  # why the calendar has to be data
        chinese_calendar.is_workday(date(2027, 1, 4))
    # 2026-12-31 is a Thursday; 2027 is not in the data: Monday to Friday, provisional.
    assert is_working_day(CAL, date(2026, 12, 31)) == (True, False)
    assert is_working_day(CAL, date(2027, 1, 1)) == (True, True)  # a guess: no notice yet
    assert is_working_day(CAL, date(2027, 1, 2)) == (False, True)
    got = add_working_days(CAL, date(2026, 12, 30), 1)
    assert got == workdays.DateAnswer(date(2026, 12, 31), False)
    got = add_working_days(CAL, date(2026, 12, 31), 2)
    assert got == workdays.DateAnswer(date(2027, 1, 4), True)
    count = working_days_between(CAL, date(2026, 12, 31), date(2027, 1, 4))
    assert count == workdays.CountAnswer(2, True)  # 1 Jan (Fri) and 4 Jan (Mon)
    assert working_days_between(CAL, date(2026, 12, 28), date(2026, 12, 31)).provisional is False


def test_a_year_missing_from_the_data_in_the_middle() -> None:
    cal = WorkCalendar.of(_year(2026), {2026})
    # 2025's National Day is not known to this calendar: 1 Oct 2025 (Wednesday) counts.
    assert is_working_day(cal, date(2025, 10, 1)) == (True, True)
    assert is_working_day(CAL, date(2025, 10, 1)) == (False, False)
    # An empty calendar is Monday to Friday everywhere, and never fails.
    empty = WorkCalendar.of({}, ())
    assert add_working_days(empty, date(2026, 9, 30), 5) == workdays.DateAnswer(
        date(2026, 10, 7), True
    )


def test_n_zero_is_the_first_working_day_on_or_after() -> None:
    assert add_working_days(CAL, date(2026, 10, 12), 0).day == date(2026, 10, 12)
    assert add_working_days(CAL, date(2026, 10, 1), 0).day == date(2026, 10, 8)
    with pytest.raises(ValueError):
        add_working_days(CAL, date(2026, 10, 1), -1)


DAYS = st.dates(min_value=date(2024, 6, 1), max_value=date(2028, 6, 1))


@given(DAYS, st.integers(min_value=1, max_value=40))
def test_adding_working_days_lands_on_a_working_day(start: date, n: int) -> None:
    got = add_working_days(CAL, start, n)
    assert is_working_day(CAL, got.day)[0]
    assert working_days_between(CAL, start, got.day).days == n
    first = start + timedelta(days=1)  # start itself is not counted
    assert got.provisional == any(y not in CAL.years for y in range(first.year, got.day.year + 1))


@given(DAYS, st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=30))
def test_adding_working_days_is_monotone(start: date, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert add_working_days(CAL, start, lo).day <= add_working_days(CAL, start, hi).day
    later = start + timedelta(days=1)
    assert add_working_days(CAL, start, a).day <= add_working_days(CAL, later, a).day


@pytest.mark.parametrize(
    ("installed", "credit"),
    [
        (date(2026, 10, 13), 0),  # on the promised day
        (date(2026, 10, 10), 0),  # early
        (date(2026, 10, 14), 100),  # 1 day late: 1.00
        (date(2026, 10, 16), 300),  # 3 days late: 3.00 (domain rules' example)
    ],
)
def test_late_install_credit(installed: date, credit: int) -> None:
    assert late_install_credit_fen(10_000, date(2026, 10, 13), installed) == credit


def test_late_install_credit_rounds_half_up_to_the_fen() -> None:
    # 1 % of 0.50 is 0.5 fen: rounds up to 1 fen; of 0.49, 0.49 fen: 0.
    assert late_install_credit_fen(50, date(2026, 1, 5), date(2026, 1, 6)) == 1
    assert late_install_credit_fen(49, date(2026, 1, 5), date(2026, 1, 6)) == 0
    # Calendar days: late over the National Day week counts every day.
    assert late_install_credit_fen(10_000, date(2026, 9, 30), date(2026, 10, 8)) == 800
    with pytest.raises(ValueError):
        late_install_credit_fen(-1, date(2026, 1, 5), date(2026, 1, 6))
