"""Install-slot values: window times in the hall's time zone, the SlotFull error, and the
working days slots are made on."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from hall_app.domain.errors import ValidationError
from hall_app.domain.slots import SlotFull, clock_time, window_bounds
from hall_app.domain.workdays import WorkCalendar
from hall_app.services.installs import working_days_from, years_spanned

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_window_bounds_are_the_halls_local_times_in_utc() -> None:
    assert window_bounds(date(2026, 12, 31), "18:00", "20:00", SHANGHAI) == (
        datetime(2026, 12, 31, 10, 0, tzinfo=UTC),
        datetime(2026, 12, 31, 12, 0, tzinfo=UTC),
    )
    # The morning window of New Year's Day starts on 31 December in UTC.
    starts, _ = window_bounds(date(2027, 1, 1), "07:30", "12:00", SHANGHAI)
    assert starts == datetime(2026, 12, 31, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["9", "25:00", "09:60", "abc", ""])
def test_a_malformed_window_time_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError) as err:
        clock_time(bad)
    assert err.value.field == "安装时段"


def test_a_window_must_end_after_it_starts() -> None:
    with pytest.raises(ValidationError, match="结束时间应晚于开始时间"):
        window_bounds(date(2026, 12, 1), "14:00", "14:00", SHANGHAI)


def test_slot_full_is_a_validation_error_on_the_slot_field() -> None:
    err = SlotFull()
    assert isinstance(err, ValidationError)
    assert err.field == "预约时段" and err.text.startswith("预约时段：")
    assert SlotFull("另一说明").message == "另一说明"


def test_working_days_from_counts_the_start_and_skips_known_holidays() -> None:
    # 2026 known with 1 January a holiday and Saturday 3 January a make-up day (invented).
    days = {date(2026, 1, 1): (False, "元旦"), date(2026, 1, 3): (True, "元旦")}
    cal = WorkCalendar.of(days, {2026})
    got = working_days_from(cal, date(2026, 1, 1), 3)
    assert [d.day for d in got] == [date(2026, 1, 2), date(2026, 1, 3), date(2026, 1, 5)]
    assert not any(d.provisional for d in got)
    # Across the year end into a year the data lacks: Monday to Friday, provisional.
    got = working_days_from(WorkCalendar.of({}, {2026}), date(2026, 12, 31), 3)
    assert [(d.day, d.provisional) for d in got] == [
        (date(2026, 12, 31), False),
        (date(2027, 1, 1), True),
        (date(2027, 1, 4), True),
    ]


def test_years_spanned_reaches_past_the_year_end() -> None:
    assert years_spanned(date(2026, 10, 1), 14) == range(2026, 2027)
    assert years_spanned(date(2026, 12, 20), 14) == range(2026, 2028)
