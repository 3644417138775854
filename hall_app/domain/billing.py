"""Bills, late fees and periods: the pure rules of domain-rules.md "Bills, payments and
balances". Money is integer fen; rounding is half-up to the fen."""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hall_app.domain.enums import BillStatus
from hall_app.domain.errors import ValidationError

PERIOD_FIELD = "账期"


def period_of(day: date) -> str:
    """The billing period a day belongs to: ``2026-11``."""
    return f"{day.year:04d}-{day.month:02d}"


def period_bounds(period: str) -> tuple[date, date]:
    """The first and last day of a period ``YYYY-MM``."""
    try:
        year, month = (int(part) for part in period.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise ValidationError(
            f"账期应为 年-月（例如 2026-11），实际为 “{period}”", PERIOD_FIELD
        ) from None
    last = date(year, month, calendar.monthrange(year, month)[1])
    return first, last


def next_period(period: str) -> str:
    _, last = period_bounds(period)
    return period_of(last + timedelta(days=1))


def due_date(period: str, due_day: int) -> date:
    """The bill of a period is due on ``due_day`` of the next month (the month's last day when
    it is shorter)."""
    _, last = period_bounds(period)
    first_next = last + timedelta(days=1)
    days = calendar.monthrange(first_next.year, first_next.month)[1]
    return first_next.replace(day=min(due_day, days))


def overdue_days(due: date, on: date) -> int:
    """Days overdue on ``on``: counted from the day after the due date (0 on the due date)."""
    return max(0, (on - due).days)


def late_fee_fen(overdue_fen: int, due: date, on: date, per_mille_per_day: int) -> int:
    """违约金: ``per_mille_per_day`` ‰ of the overdue amount for each day since the due date,
    rounded half-up to the fen. 200.00 overdue for 10 days at 3‰: 6.00."""
    if overdue_fen <= 0:
        return 0
    days = overdue_days(due, on)
    fee = Decimal(overdue_fen) * per_mille_per_day * days / 1000
    return int(fee.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def bill_status(amount_fen: int, paid_fen: int) -> BillStatus:
    """Unpaid, partly paid or paid, from what was paid on it (a write-off is set, not derived)."""
    if paid_fen >= amount_fen:
        return BillStatus.PAID
    return BillStatus.PARTLY_PAID if paid_fen > 0 else BillStatus.UNPAID


# -- paying bills ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Owed:
    """One bill as a payment sees it: what is left to pay on it and its late fee today (0 when
    waived)."""

    bill_id: uuid.UUID
    outstanding_fen: int
    late_fee_fen: int


@dataclass(frozen=True)
class Allocated:
    bill_id: uuid.UUID
    late_fee_fen: int  # of the bill's late fee, what this payment covers
    applied_fen: int  # towards the bill itself


def allocate(pay_fen: int, bills: Sequence[Owed]) -> tuple[tuple[Allocated, ...], int]:
    """Share ``pay_fen`` over ``bills`` in the order given (the caller gives them oldest
    first): each bill takes its late fee first, then its outstanding amount, before the next
    bill gets anything. Returns the bills that got something, and the rest paid beyond all of
    them (a top-up, or a refusal: the caller decides). Never allocates more than is owed; a
    negative or zero payment allocates nothing."""
    left = max(0, pay_fen)
    out = []
    for bill in bills:
        if left <= 0:
            break
        fee = min(left, max(0, bill.late_fee_fen))
        left -= fee
        applied = min(left, max(0, bill.outstanding_fen))
        left -= applied
        if fee or applied:
            out.append(Allocated(bill.bill_id, fee, applied))
    return tuple(out), left


# -- the billing run (账单出账): what one subscription's bill for a period holds ---------------
def in_force_from(period: str, next_from: date | None) -> bool:
    """Whether a plan change waiting for ``next_from`` (the first day of a month) is in force
    for the whole of ``period``: it switches on its date, so from that month's bill on."""
    if next_from is None:
        return False
    first, _ = period_bounds(period)
    return next_from <= first


def active_in(period: str, active_from: date, active_to: date | None) -> bool:
    """An add-on is billed for a period it was active on at least one day of."""
    first, last = period_bounds(period)
    return active_from <= last and (active_to is None or active_to >= first)


def discount_applies(period: str, until: date | None) -> bool:
    """A promotion's monthly discount applies to each period starting on or before its last
    discounted day (``promotion_until``)."""
    if until is None:
        return False
    first, _ = period_bounds(period)
    return first <= until


def billable(period: str, activated_on: date | None) -> bool:
    """A subscription is billed from the month it was activated in (a full month's fee: the
    demo and the run do not prorate)."""
    if activated_on is None:
        return False
    _, last = period_bounds(period)
    return activated_on <= last


def is_arrears(due: date, today: date, grace_days: int) -> bool:
    """A bill still unpaid more than ``grace_days`` after its due date suspends the number."""
    return overdue_days(due, today) > grace_days


@dataclass(frozen=True)
class BillTake:
    """One bill a payment takes: what was found paid on it, and what it becomes."""

    bill_id: uuid.UUID
    paid_fen: int  # found paid (the condition)
    new_paid_fen: int
    status: BillStatus  # after
    was_status: BillStatus
    period: str  # for the refusal
    number: str  # masked
