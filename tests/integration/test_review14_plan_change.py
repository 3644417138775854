"""Review of issue 14: a downgrade that takes effect after the lock-in has ended is charged the
lock-in penalty.

A downgrade takes effect on the first day of next month only (issue 14). With the lock-in
running to the end of this month (lock_in_until = 2026-11-30, today 2026-11-24), the cheaper
plan starts on 2026-12-01, after the lock-in: the customer kept the whole minimum term, yet
domain/plan_change.plan_effect compares lock_in_until with *today* and charges the 100.00
downgrade penalty (or refuses without it)."""

from __future__ import annotations

from datetime import date

from hall_app.app import HallApp
from hall_app.services.actor import Actor
from tests.plan_helpers import mobile_number, plan_id


def test_review14_downgrade_effective_after_the_lock_in_costs_no_penalty(
    hall: HallApp, clerk: Actor
) -> None:
    n = mobile_number(hall, "5G129", lock_in_until=date(2026, 11, 30))
    quote = hall.plan_changes.quote_plan_change(
        clerk, n.subscription_id, plan_id(hall, "5G029"), pay_penalty=True
    )
    assert quote.option.effective_on == date(2026, 12, 1)
    assert quote.total_fen == 0, "penalised for a lock-in that is over when the change applies"
