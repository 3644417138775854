"""Install slots as values: the error for a slot that filled, and the times of a window.

A slot is one half-day window (morning, afternoon, evening: configurable) of one installer
team in one community on one working day; its times are the hall's local wall-clock times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo

from hall_app.domain.errors import ValidationError

SLOT_FIELD = "预约时段"
FULL = "该时段已约满，请另选一个时段"


class SlotFull(ValidationError):
    """The slot has no place left (it filled while the customer hesitated, or another counter
    holds it): nothing was booked; offer the next free ones."""

    def __init__(self, message: str = FULL, field: str = SLOT_FIELD) -> None:
        super().__init__(message, field)


def clock_time(value: str) -> time:
    """``"09:00"`` -> 09:00; a malformed window time in the settings is refused."""
    try:
        hh, mm = value.split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise ValidationError(f"安装时段时间 “{value}” 格式应为 HH:MM", "安装时段") from None


def window_bounds(day: date, start: str, end: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """The window's start and end on ``day`` in the hall's time zone, as UTC instants."""
    begins, ends = clock_time(start), clock_time(end)
    if ends <= begins:
        raise ValidationError(f"安装时段 {start}–{end} 的结束时间应晚于开始时间", "安装时段")
    return (
        datetime.combine(day, begins, tz).astimezone(UTC),
        datetime.combine(day, ends, tz).astimezone(UTC),
    )
