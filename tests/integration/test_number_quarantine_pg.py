"""A lapsed quarantine at the central pool (rule added after review 14): online, a counter
offers and reserves a number whose cooling-off is over, and its housekeeping round sets the
central row AVAILABLE (so leases and the other windows see it), mirrored at the counter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hall_app.db.models import PhoneNumber
from hall_app.domain.enums import NumberStatus
from hall_app.services.numbers import NumberFilter
from tests.integration.test_sync_resources import Hall
from tests.integration.test_sync_resources import hall as hall  # the fixture

pytestmark = pytest.mark.postgres


def test_a_lapsed_quarantine_is_released_at_the_central_pool(hall: Hall) -> None:
    now = hall.clock.now
    with hall.central.begin() as conn:  # two unleased numbers cancelled long ago, one lately
        numbers = conn.scalars(
            select(PhoneNumber.number)
            .where(
                PhoneNumber.status == NumberStatus.AVAILABLE,
                PhoneNumber.lease_counter_id.is_(None),
                PhoneNumber.pretty_tier_id.is_(None),
            )
            .order_by(PhoneNumber.number)
            .limit(3)
        ).all()
        conn.execute(
            update(PhoneNumber)
            .where(PhoneNumber.status == NumberStatus.QUARANTINED)
            .values(quarantined_until=now + timedelta(days=30))
        )
        for number, days in zip(numbers, (-1, -2, 5), strict=True):
            conn.execute(
                update(PhoneNumber)
                .where(PhoneNumber.number == number)
                .values(
                    status=NumberStatus.QUARANTINED,
                    quarantined_until=now + timedelta(days=days),
                    updated_at=now - timedelta(days=90),
                )
            )
    lapsed, taken, cooling = numbers
    a, b = hall.apps["01"], hall.apps["02"]
    clerk_a, clerk_b = hall.clerk("01"), hall.clerk("02")
    offered = {
        v.number
        for n in numbers
        for v in a.numbers.find_numbers(clerk_a, NumberFilter(ends_with=n[-8:]))
    }
    assert lapsed in offered and taken in offered and cooling not in offered
    assert b.numbers.reserve_number(clerk_b, taken).number.number == taken

    assert a.numbers.release_expired(clerk_a.counter_id) == 1
    with hall.central.connect() as conn:
        central = dict(
            conn.execute(
                select(PhoneNumber.number, PhoneNumber.status).where(
                    PhoneNumber.number.in_(numbers)
                )
            ).all()
        )
    assert central == {lapsed: "available", taken: "reserved", cooling: "quarantined"}
    with a.db.read() as s:
        assert s.scalar(select(PhoneNumber.status).where(PhoneNumber.number == lapsed)) is (
            NumberStatus.AVAILABLE
        )
