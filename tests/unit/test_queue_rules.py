from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hall_app.domain.errors import ValidationError
from hall_app.domain.queue import (
    estimated_wait_minutes,
    service_time,
    ticket_number,
    wait_time,
    within_target,
)


def test_ticket_numbers() -> None:
    assert ticket_number("A", 1) == "A001"
    assert ticket_number("v", 42) == "V042"
    assert ticket_number("B", 999) == "B999"
    with pytest.raises(ValidationError) as err:
        ticket_number("A", 1000)
    assert err.value.field == "排队号"
    with pytest.raises(ValueError):
        ticket_number("AB", 1)


def test_waits_and_targets() -> None:
    issued = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    called = issued + timedelta(minutes=10)
    assert wait_time(issued, called) == timedelta(minutes=10)
    assert service_time(called, called + timedelta(minutes=7)) == timedelta(minutes=7)
    assert within_target(issued, called, 10)  # VIP: exactly on target counts
    assert not within_target(issued, called + timedelta(seconds=1), 10)
    assert within_target(issued, called + timedelta(minutes=5), 15)


@pytest.mark.parametrize(
    ("ahead", "minutes", "counters", "expected"),
    [(0, 8, 3, 0), (1, 8, 1, 8), (3, 8, 2, 12), (1, 8, 5, 2), (2, 0.4, 3, 1)],
)
def test_estimated_wait(ahead: int, minutes: float, counters: int, expected: int) -> None:
    assert estimated_wait_minutes(ahead, minutes, counters) == expected
