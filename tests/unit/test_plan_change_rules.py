"""The plan-change rules alone: direction, effect date, and what leaving a lock-in costs."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from hall_app.domain.plan_change import Commitment, first_of_next_month, plan_effect

TODAY = date(2026, 11, 24)


def _fx(cur: int, new: int, effect: str = "immediate", **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {"lock_in_until": None, "commitment": None}
    args.update(kw)
    return plan_effect(cur, new, effect, TODAY, downgrade_penalty_fen=10_000, **args)  # type: ignore[arg-type]


def test_upgrades_follow_the_target_plan_and_downgrades_wait_for_next_month() -> None:
    assert (_fx(5900, 12900).effect, _fx(5900, 12900).effective_on) == ("immediate", TODAY)
    nxt = _fx(5900, 12900, "next_month")
    assert (nxt.direction, nxt.effective_on) == ("upgrade", date(2026, 12, 1))
    down = _fx(12900, 5900)
    assert (down.direction, down.effect, down.effective_on) == (
        "downgrade",
        "next_month",
        date(2026, 12, 1),
    )
    assert _fx(5900, 5900).direction == "same"
    assert first_of_next_month(date(2026, 12, 31)) == date(2027, 1, 1)


def test_a_lock_in_charges_the_penalty_and_a_contract_phone_its_clawback() -> None:
    # the lock-in is compared with the day the cheaper plan starts (2026-12-01), not today
    assert _fx(12900, 5900, lock_in_until=date(2026, 12, 1)).penalty_fen == 10_000
    assert _fx(12900, 5900, lock_in_until=date(2026, 11, 30)).penalty_fen == 0
    assert _fx(12900, 5900, lock_in_until=TODAY).penalty_fen == 0
    phone = Commitment("某手机", 12900, 70_000)
    below = _fx(19900, 5900, lock_in_until=date(2027, 1, 1), commitment=phone)
    assert (below.penalty_fen, below.clawback) == (70_000, True)
    # above the contract's minimum: only the lock-in's penalty, never the clawback
    above = _fx(19900, 12900, lock_in_until=date(2027, 1, 1), commitment=phone)
    assert (above.penalty_fen, above.clawback) == (10_000, False)
    assert _fx(19900, 12900, commitment=phone).penalty_fen == 0


@given(st.integers(0, 100_000), st.integers(0, 100_000), st.booleans())
def test_only_a_downgrade_ever_costs_anything(cur: int, new: int, locked: bool) -> None:
    fx = _fx(cur, new, lock_in_until=date(2027, 1, 1) if locked else None)
    assert fx.penalty_fen == (10_000 if new < cur and locked else 0)
    assert fx.effective_on >= TODAY
