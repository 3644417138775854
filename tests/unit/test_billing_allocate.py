"""The late fee (违约金) and how a bill payment is shared over the bills: hypothesis over
amounts and days, and the pinned example of domain-rules.md."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from hall_app.domain.billing import Owed, allocate, late_fee_fen

DUE = date(2026, 10, 15)
amounts = st.integers(min_value=0, max_value=10_000_000)
days = st.integers(min_value=0, max_value=2_000)


def test_the_rule_example_200_yuan_for_10_days_is_6_yuan() -> None:
    assert late_fee_fen(20_000, DUE, DUE + timedelta(days=10), 3) == 600


def test_nothing_on_the_due_date_and_one_day_after_it_counts() -> None:
    assert late_fee_fen(20_000, DUE, DUE, 3) == 0
    assert late_fee_fen(20_000, DUE, DUE + timedelta(days=1), 3) == 60
    assert late_fee_fen(20_000, DUE, DUE - timedelta(days=5), 3) == 0


def test_half_up_to_the_fen() -> None:
    # 0.50 fen rounds up, 0.49 down: 3‰ of 500 fen for 1 day is 1.5 fen -> 2
    assert late_fee_fen(500, DUE, DUE + timedelta(days=1), 3) == 2
    assert late_fee_fen(100, DUE, DUE + timedelta(days=1), 3) == 0  # 0.3 fen


@given(amounts, days)
def test_late_fee_is_exact_half_up_and_never_negative(amount: int, d: int) -> None:
    fee = late_fee_fen(amount, DUE, DUE + timedelta(days=d), 3)
    exact = Decimal(amount) * 3 * d / 1000
    assert fee == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert fee >= 0
    assert abs(Decimal(fee) - exact) <= Decimal("0.5")


@given(amounts, amounts, days, days)
def test_late_fee_is_monotone_in_amount_and_days(a: int, b: int, d1: int, d2: int) -> None:
    lo, hi = sorted((a, b))
    short, long = sorted((d1, d2))
    on_short, on_long = DUE + timedelta(days=short), DUE + timedelta(days=long)
    assert late_fee_fen(lo, DUE, on_long, 3) <= late_fee_fen(hi, DUE, on_long, 3)
    assert late_fee_fen(hi, DUE, on_short, 3) <= late_fee_fen(hi, DUE, on_long, 3)


@given(st.integers(min_value=-10_000_000, max_value=0), days)
def test_no_fee_on_nothing_overdue(amount: int, d: int) -> None:
    assert late_fee_fen(amount, DUE, DUE + timedelta(days=d), 3) == 0


bills_st = st.lists(
    st.tuples(st.integers(min_value=0, max_value=100_000), st.integers(0, 5_000)),
    min_size=0,
    max_size=6,
)


@given(st.integers(min_value=-1_000, max_value=1_000_000), bills_st)
def test_allocation_conserves_money_and_pays_oldest_first(
    pay: int, raw: list[tuple[int, int]]
) -> None:
    bills = [Owed(uuid.uuid4(), out, fee) for out, fee in raw]
    got, rest = allocate(pay, bills)
    assert rest >= 0
    assert sum(a.applied_fen + a.late_fee_fen for a in got) + rest == max(0, pay)
    by_id = {b.bill_id: b for b in bills}
    owed = sum(b.outstanding_fen + b.late_fee_fen for b in bills)
    assert rest == max(0, max(0, pay) - owed)
    for a in got:
        b = by_id[a.bill_id]
        assert 0 <= a.late_fee_fen <= b.late_fee_fen
        assert 0 <= a.applied_fen <= b.outstanding_fen
        # the late fee of a bill is paid before its amount
        assert a.applied_fen == 0 or a.late_fee_fen == b.late_fee_fen
    # oldest first: every bill before the last one paid is paid in full
    order = [b.bill_id for b in bills]
    paid = [a.bill_id for a in got]
    assert paid == [i for i in order if i in set(paid)]
    for a in got[:-1]:
        b = by_id[a.bill_id]
        assert (a.late_fee_fen, a.applied_fen) == (b.late_fee_fen, b.outstanding_fen)
    # nothing skipped: a bill owing something before the last one paid got paid
    if got:
        last = order.index(got[-1].bill_id)
        for b in bills[:last]:
            assert b.outstanding_fen + b.late_fee_fen == 0 or b.bill_id in set(paid)


def test_allocation_example_two_bills() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    got, rest = allocate(15_000, [Owed(a, 10_000, 600), Owed(b, 8_000, 300)])
    assert [(x.bill_id, x.late_fee_fen, x.applied_fen) for x in got] == [
        (a, 600, 10_000),
        (b, 300, 4_100),
    ]
    assert rest == 0
    got, rest = allocate(20_000, [Owed(a, 10_000, 600), Owed(b, 8_000, 300)])
    assert rest == 1_100
