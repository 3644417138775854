"""A cancelled number's cooling-off ends (rule added after review 14): a QUARANTINED number
past ``quarantined_until`` is offered and reserved again, and the housekeeping round sets it
AVAILABLE (audited); one still cooling off is refused with the reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from hall_app.app import HallApp
from hall_app.db.models import AuditEntry, PhoneNumber
from hall_app.domain.enums import NumberStatus
from hall_app.domain.errors import ValidationError
from hall_app.services.actor import Actor
from hall_app.services.numbers import NumberFilter
from tests.conftest import FakeClock


def _quarantine(hall: HallApp, clock: FakeClock, days_left: int, skip: int = 0) -> str:
    """An available number of the pool put in quarantine until ``days_left`` from now."""
    with hall.db.unit_of_work() as s:
        row = s.scalars(
            select(PhoneNumber)
            .where(PhoneNumber.status == NumberStatus.AVAILABLE)
            .order_by(PhoneNumber.number)
            .offset(skip)
            .limit(1)
        ).one()
        row.status = NumberStatus.QUARANTINED
        row.quarantined_until = clock() + timedelta(days=days_left)
        return row.number


def _offered(hall: HallApp, clerk: Actor, number: str) -> bool:
    found = hall.numbers.find_numbers(clerk, NumberFilter(ends_with=number[-8:]))
    return number in {v.number for v in found}


def test_a_number_still_cooling_off_is_neither_offered_nor_reserved(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    number = _quarantine(hall, clock, days_left=3)
    assert not _offered(hall, clerk, number)
    with pytest.raises(ValidationError, match="冷冻期"):
        hall.numbers.reserve_number(clerk, number)


def test_a_lapsed_quarantine_is_reserved_and_released_by_housekeeping(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    with hall.db.unit_of_work() as s:  # the demo's own quarantines are not this test's
        s.execute(
            update(PhoneNumber)
            .where(PhoneNumber.status == NumberStatus.QUARANTINED)
            .values(quarantined_until=clock() + timedelta(days=30))
        )
    lapsed = _quarantine(hall, clock, days_left=-1)
    reserved = _quarantine(hall, clock, days_left=-2, skip=1)
    cooling = _quarantine(hall, clock, days_left=1, skip=2)
    assert _offered(hall, clerk, lapsed) and _offered(hall, clerk, reserved)
    held = hall.numbers.reserve_number(clerk, reserved)  # straight from the lapsed quarantine
    assert held.number.number == reserved

    assert hall.numbers.release_expired(clerk.counter_id) == 1  # the lapsed one only
    with hall.db.read() as s:
        rows = dict(
            s.execute(
                select(PhoneNumber.number, PhoneNumber.status).where(
                    PhoneNumber.number.in_([lapsed, reserved, cooling])
                )
            ).all()
        )
        stamp = s.scalar(
            select(PhoneNumber.quarantined_until).where(PhoneNumber.number == reserved)
        )
        audited = s.scalar(
            select(func.count()).where(AuditEntry.action == "number.quarantine_ended")
        )
    assert rows == {
        lapsed: NumberStatus.AVAILABLE,
        reserved: NumberStatus.RESERVED,
        cooling: NumberStatus.QUARANTINED,
    }
    assert stamp is None and audited == 1
    assert hall.numbers.release_expired(clerk.counter_id) == 0
