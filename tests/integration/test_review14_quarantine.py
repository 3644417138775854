"""Review of issue 14: a cancelled number is frozen for good, not for the cooling-off period.

Issue 14: "the number goes to quarantine (`quarantined` in the pool) for a configurable
cooling-off period before it is offered again". cancellation.py sets QUARANTINED with
quarantined_until, but nothing reads quarantined_until: NumberService._free offers only
AVAILABLE (or lapsed RESERVED) numbers and no job moves a lapsed quarantine back."""

from __future__ import annotations

from datetime import timedelta

from hall_app.app import HallApp
from hall_app.services.actor import Actor
from hall_app.services.cancellation import CancelRequest
from hall_app.services.numbers import NumberFilter
from tests.conftest import FakeClock
from tests.sim_cancel_helpers import SIGNED, mobile


def test_review14_a_cancelled_number_is_offered_again_after_its_quarantine(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    sub = mobile(hall, clerk)
    check = hall.cancellations.check_cancellation(clerk, sub.id)
    done = hall.cancellations.cancel(
        clerk, CancelRequest(sub.id, signature_png=SIGNED, terms_text=check.terms)
    )
    wanted = NumberFilter(prefix=sub.service_number[:3], ends_with=sub.service_number[-8:])
    assert sub.service_number not in {
        v.number for v in hall.numbers.find_numbers(clerk, wanted)
    }  # frozen meanwhile
    clock.now = done.quarantined_until + timedelta(days=1)
    clerk = hall.auth.log_in("clerk1", "hall1234")
    offered = {v.number for v in hall.numbers.find_numbers(clerk, wanted)}
    assert sub.service_number in offered, "the quarantine ended yet the number is never offered"
