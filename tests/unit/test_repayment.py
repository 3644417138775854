"""The state of an instalment on a day, and a repayment's receipt lines."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from hall_app.domain.handsets import INSTALMENT_MONTHS, payoff_fen, schedule
from hall_app.domain.pricing import LineKind
from hall_app.domain.repayment import (
    instalment_state,
    price_instalments,
    price_payoff,
    repayment_line_text,
)


def test_an_instalment_is_paid_overdue_due_this_month_or_upcoming() -> None:
    today = date(2026, 11, 24)
    assert instalment_state(date(2026, 10, 28), True, today) == "已还"
    assert instalment_state(date(2026, 11, 23), False, today) == "逾期"
    assert instalment_state(today, False, today) == "待还"  # due today: not late yet
    assert instalment_state(date(2026, 11, 30), False, today) == "待还"
    assert instalment_state(date(2026, 12, 1), False, today) == "未到期"


def test_a_repayment_line_names_the_contract_and_the_instalment() -> None:
    text = repayment_line_text("SL20261124010001", 3, 12, date(2026, 12, 15))
    assert text == "分期还款：SL20261124010001 第 3/12 期（到期 2026-12-15）"


@given(
    financed=st.integers(100, 5_000_000),
    months=st.sampled_from(INSTALMENT_MONTHS),
    fee=st.integers(0, 100_000),
    paid=st.integers(0, 23),
    payoff_fee=st.integers(0, 20_000),
    count=st.integers(1, 24),
)
def test_repayment_lines_are_receipts_summing_to_what_is_due(
    financed: int, months: int, fee: int, paid: int, payoff_fee: int, count: int
) -> None:
    rows = schedule(financed, months, date(2026, 1, 31), fee_fen=fee)
    unpaid = rows[min(paid, months - 1) :]
    chosen = unpaid[: min(count, len(unpaid))]
    pay = price_instalments(chosen, months, "SL20260131010001")
    assert pay.total_fen == sum(i.amount_fen for i in chosen)
    assert not pay.invoice_items and pay.invoice_total_fen == 0
    assert all(line.kind is LineKind.REPAYMENT and not line.invoiceable for line in pay.lines)
    assert [line.description for line in pay.lines] == [
        repayment_line_text("SL20260131010001", i.seq, months, i.due_date) for i in chosen
    ]
    off = price_payoff(unpaid, months, "SL20260131010001", payoff_fee)
    assert off.total_fen == payoff_fen(unpaid, payoff_fee)
    assert off.total_fen == sum(i.principal_fen for i in unpaid) + payoff_fee
    assert not off.invoice_items
    assert len(off.lines) == (2 if payoff_fee else 1)
    assert all(len(line.description) <= 100 for line in (*pay.lines, *off.lines))
