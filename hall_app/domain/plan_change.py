"""Changing the plan of a number (套餐变更), as pure rules: which way a change goes, when it takes
effect, what leaving a lock-in early costs, and the terms the customer signs.

- An upgrade (a dearer plan) takes effect as the target plan says (``Product.upgrade_effect``):
  ``immediate`` (today) or ``next_month`` (the first day of next month).
- A downgrade (a cheaper plan) and a change at the same monthly fee take effect next month.
- A downgrade below the minimum monthly plan of a running contract phone costs the unearned
  subsidy (the clawback, as the contract's terms say). Otherwise a downgrade taking effect
  inside a lock-in (``lock_in_until`` on or after the change's effective date: a lock-in that
  ends before the cheaper plan starts is kept in full) costs the configured downgrade
  penalty. Either is refused unless the customer agrees to pay it; paying releases the lock-in
  (and a clawback ends the contract phone's commitment).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from hall_app.domain.billing import next_period, period_bounds, period_of
from hall_app.domain.money import format_yuan

UPGRADE, DOWNGRADE, SAME = "upgrade", "downgrade", "same"
IMMEDIATE, NEXT_MONTH = "immediate", "next_month"
DIRECTION_LABELS = {UPGRADE: "升档", DOWNGRADE: "降档", SAME: "平档"}
EFFECT_LABELS = {IMMEDIATE: "即时生效", NEXT_MONTH: "次月生效"}


@dataclass(frozen=True)
class Commitment:
    """A running contract phone on the number: its handset, the minimum monthly plan it asks,
    and what leaving it today costs."""

    handset_name: str
    min_plan_fen: int
    clawback_fen: int


@dataclass(frozen=True)
class Effect:
    direction: str  # upgrade / downgrade / same
    effect: str  # immediate / next_month
    effective_on: date
    penalty_fen: int  # what must be paid to leave the lock-in (0: nothing)
    clawback: bool  # the penalty is a contract phone's clawback (else the downgrade penalty)


def direction(current_fen: int, target_fen: int) -> str:
    if target_fen > current_fen:
        return UPGRADE
    if target_fen < current_fen:
        return DOWNGRADE
    return SAME


def first_of_next_month(today: date) -> date:
    return period_bounds(next_period(period_of(today)))[0]


def last_of_month(today: date) -> date:
    return period_bounds(period_of(today))[1]


def plan_effect(
    current_fen: int,
    target_fen: int,
    upgrade_effect: str,
    today: date,
    *,
    lock_in_until: date | None,
    commitment: Commitment | None,
    downgrade_penalty_fen: int,
) -> Effect:
    """When the change takes effect and what leaving a lock-in costs (module docstring)."""
    way = direction(current_fen, target_fen)
    immediate = way == UPGRADE and upgrade_effect == IMMEDIATE
    effect = IMMEDIATE if immediate else NEXT_MONTH
    on = today if immediate else first_of_next_month(today)
    penalty, clawback = 0, False
    if way == DOWNGRADE:
        if commitment is not None and target_fen < commitment.min_plan_fen:
            penalty, clawback = commitment.clawback_fen, True
        elif lock_in_until is not None and lock_in_until >= on:
            # the lock-in is kept unless it still runs on the day the cheaper plan starts
            penalty = downgrade_penalty_fen
    return Effect(way, effect, on, penalty, clawback)


def penalty_reason(fx: Effect, lock_in_until: date | None, commitment: Commitment | None) -> str:
    """Why a downgrade costs something, for the clerk (empty when it does not)."""
    if not fx.penalty_fen:
        return ""
    if fx.clawback and commitment is not None:
        return (
            f"合约购机“{commitment.handset_name}”合约期内降至月费 "
            f"{format_yuan(commitment.min_plan_fen)} 以下，须退还购机优惠 "
            f"{format_yuan(fx.penalty_fen)}，客户同意后方可办理"
        )
    until = lock_in_until.isoformat() if lock_in_until else ""
    return (
        f"最低在网期内（至 {until}）降档，须支付违约金 {format_yuan(fx.penalty_fen)}，"
        "客户同意后方可办理"
    )


def plan_change_terms(
    clauses: Mapping[str, str],
    *,
    number: str,
    old: tuple[str, int],
    new: tuple[str, int],
    fx: Effect,
    lock_in_until: date | None,
    commitment: Commitment | None,
) -> str:
    """The numbered clauses the customer signs (the same text the order keeps)."""
    parts = [
        clauses["change"].format(
            number=number,
            old=old[0],
            old_fee=format_yuan(old[1]),
            new=new[0],
            new_fee=format_yuan(new[1]),
            effective=fx.effective_on.isoformat(),
        ),
        clauses["immediate" if fx.effect == IMMEDIATE else "next_month"],
    ]
    if fx.penalty_fen:
        what = (
            clauses["clawback"].format(handset=commitment.handset_name)
            if fx.clawback and commitment is not None
            else clauses["downgrade_penalty"]
        )
        until = lock_in_until or (fx.effective_on - timedelta(days=1))
        parts.append(
            clauses["penalty"].format(
                lock_in=until.isoformat(), what=what, fee=format_yuan(fx.penalty_fen)
            )
        )
    return "\n".join(f"{i}. {text}" for i, text in enumerate(parts, start=1))


def vas_terms(
    clauses: Mapping[str, str], *, subscribe: bool, number: str, name: str, fee_fen: int, on: date
) -> str:
    if subscribe:
        text = clauses["vas_on"].format(
            number=number, start=on.isoformat(), name=name, fee=format_yuan(fee_fen)
        )
    else:
        text = clauses["vas_off"].format(
            number=number, name=name, end=last_of_month(on).isoformat()
        )
    return f"1. {text}"
