"""Queue rules: ticket numbers, waits, service times and the service-level target."""

from __future__ import annotations

from datetime import datetime, timedelta

from hall_app.domain.errors import ValidationError

MAX_DAILY_SEQ = 999


def ticket_number(letter: str, seq: int) -> str:
    """A001 style: one letter per service type, three digits, numbered per day."""
    if len(letter) != 1 or not letter.isascii() or not letter.isalpha():
        raise ValueError(f"service letter must be one Latin letter: {letter!r}")
    if not 1 <= seq <= MAX_DAILY_SEQ:
        raise ValidationError(f"今日该业务已取号 {MAX_DAILY_SEQ} 张，请改用其他业务类型", "排队号")
    return f"{letter.upper()}{seq:03d}"


def wait_time(issued_at: datetime, called_at: datetime) -> timedelta:
    """Wait = call time - ticket time."""
    return called_at - issued_at


def service_time(called_at: datetime, finished_at: datetime) -> timedelta:
    """Service = finish - call."""
    return finished_at - called_at


def within_target(issued_at: datetime, called_at: datetime, target_minutes: int) -> bool:
    """Served within target: VIP 10 minutes, others 15 (per service type, configurable)."""
    return wait_time(issued_at, called_at) <= timedelta(minutes=target_minutes)


def estimated_wait_minutes(waiting_ahead: int, avg_service_minutes: float, counters: int) -> int:
    """A simple, honest estimate for the ticket slip: people ahead x average service time,
    shared among the counters that serve this type, rounded up to the minute."""
    if waiting_ahead <= 0:
        return 0
    per_counter = waiting_ahead * avg_service_minutes / max(counters, 1)
    return max(1, int(-(-per_counter // 1)))
