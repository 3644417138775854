"""The state of an instalment on a day, and a repayment's receipt lines."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hall_app.domain.handsets import INSTALMENT_MONTHS, payoff_fen, schedule
from hall_app.domain.pricing import LineKind, VatClass
from hall_app.domain.repayment import (
    fee_line_text,
    fees_payable,
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
    assert text == "分期还款：SL20261124010001 第 3/12 期（到期 2026-12-15）本金"
    assert fee_line_text("SL20261124010001", [3, 4]) == "分期手续费：SL20261124010001 第 3–4 期"


FEE_VAT = VatClass(uuid.uuid4(), "*金融服务*分期手续费", Decimal("0.06"))
FEE = (FEE_VAT.label, FEE_VAT.rate)
HANDSET = uuid.uuid4()


@given(
    financed=st.integers(100, 5_000_000),
    months=st.sampled_from(INSTALMENT_MONTHS),
    fee=st.integers(0, 100_000),
    paid=st.integers(0, 23),
    payoff_fee=st.integers(0, 20_000),
    count=st.integers(1, 24),
    after=st.integers(0, 800),
)
def test_principal_is_a_receipt_and_the_fee_is_invoiced_when_paid(
    financed: int, months: int, fee: int, paid: int, payoff_fee: int, count: int, after: int
) -> None:
    sold = date(2026, 1, 31)
    today = sold + timedelta(days=after)
    rows = schedule(financed, months, sold, fee_fen=fee)
    unpaid = rows[min(paid, months - 1) :]
    chosen = unpaid[: min(count, len(unpaid))]
    pay = price_instalments(chosen, months, "SL20260131010001", HANDSET, FEE_VAT)
    assert pay.total_fen == sum(i.amount_fen for i in chosen)
    receipts = [line for line in pay.lines if not line.invoiceable]
    assert all(line.kind is LineKind.REPAYMENT for line in receipts)
    assert [(line.description, line.amount_fen) for line in receipts] == [
        (repayment_line_text("SL20260131010001", i.seq, months, i.due_date), i.principal_fen)
        for i in chosen
    ]
    fee_paid = sum(i.fee_fen for i in chosen)
    # the fee part is invoiced, whole, under the fee's category at 6 %
    assert pay.invoice_total_fen == fee_paid
    assert all(
        x.label == "*金融服务*分期手续费" and x.rate == Decimal("0.06") for x in pay.invoice_items
    )
    assert pay.invoice_amount_fen + pay.tax_fen == fee_paid
    assert len(pay.invoice_items) == (1 if fee_paid else 0)
    off = price_payoff(
        unpaid, months, "SL20260131010001", payoff_fee, HANDSET, today=today, fee_vat=FEE_VAT
    )
    assert off.total_fen == payoff_fen(unpaid, payoff_fee, today=today)
    principal = sum(i.principal_fen for i in unpaid)
    assert [line.amount_fen for line in off.lines if not line.invoiceable] == [principal]
    # what is not principal is invoiced: the fee of the instalments already due, the payoff fee
    assert off.invoice_total_fen == off.total_fen - principal
    assert off.invoice_total_fen == fees_payable(
        unpaid, payoff=True, payoff_fee_fen=payoff_fee, today=today
    )
    assert all(len(line.description) <= 100 for line in (*pay.lines, *off.lines))


def test_a_fee_is_never_taken_without_its_invoice_category() -> None:
    rows = schedule(60_000, 6, date(2026, 7, 28), fee_fen=6_000)
    with pytest.raises(ValueError):
        price_instalments(rows[:1], 6, "SL20260728010001", HANDSET)
    with pytest.raises(ValueError):
        price_payoff(rows, 6, "SL20260728010001", 5_000, HANDSET, today=date(2026, 8, 1))
    # nothing to invoice: no category needed
    free = schedule(60_000, 6, date(2026, 7, 28))
    assert not price_instalments(free[:1], 6, "SL20260728010001", HANDSET).invoice_items
    assert price_payoff(free, 6, "SL20260728010001", 0, today=date(2026, 8, 1)).total_fen == 60_000
