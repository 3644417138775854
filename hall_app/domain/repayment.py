"""Paying an installment contract after the sale, as pure functions: the state of each
instalment on a day, and the lines of a repayment order (receipt only, never invoiced: the
handset was invoiced whole at its sale).

The lines say the contract (the sale's order number) and which instalments, so the generic
receipt shows them: ``分期还款：SL20261124010001 第 3/12 期（到期 2026-12-15）``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Final

from hall_app.domain.handsets import ScheduledInstalment, overdue, payoff_fen
from hall_app.domain.pricing import Line, LineKind, Pricing

PAID: Final = "已还"
DUE: Final = "待还"  # falls due this month, not yet late
OVERDUE: Final = "逾期"
UPCOMING: Final = "未到期"
STATES: Final = (PAID, DUE, OVERDUE, UPCOMING)


def instalment_state(due_date: date, paid: bool, today: date) -> str:
    """已还 once paid; 逾期 when its due day has passed unpaid; 待还 when it falls due later
    this month; else 未到期."""
    if paid:
        return PAID
    if overdue(due_date, paid, today):
        return OVERDUE
    if (due_date.year, due_date.month) == (today.year, today.month):
        return DUE
    return UPCOMING


def repayment_line_text(sale_order_no: str, seq: int, months: int, due_date: date) -> str:
    return f"分期还款：{sale_order_no} 第 {seq}/{months} 期（到期 {due_date:%Y-%m-%d}）"


def _span(seqs: Sequence[int]) -> str:
    first, last = seqs[0], seqs[-1]
    return f"第 {first} 期" if first == last else f"第 {first}–{last} 期"


def price_instalments(
    chosen: Sequence[ScheduledInstalment],
    months: int,
    sale_order_no: str,
    product_id: uuid.UUID | None = None,
) -> Pricing:
    """One receipt line per instalment paid, at its scheduled amount (principal and fee)."""
    if not chosen:
        raise ValueError("a repayment pays at least one instalment")
    lines = tuple(
        Line(
            LineKind.REPAYMENT,
            repayment_line_text(sale_order_no, i.seq, months, i.due_date),
            i.amount_fen,
            False,
            product_id,
        )
        for i in chosen
    )
    return Pricing(lines, (), 0, 0, None)


def price_payoff(
    unpaid: Sequence[ScheduledInstalment],
    months: int,
    sale_order_no: str,
    payoff_fee_fen: int,
    product_id: uuid.UUID | None = None,
) -> Pricing:
    """Paying off early: the principal still unpaid (the fee of the instalments not yet paid is
    waived) and the offer's stated payoff fee, each on its own line; the sum is
    ``domain.handsets.payoff_fen``."""
    if not unpaid:
        raise ValueError("nothing left to pay off")
    principal = sum(i.principal_fen for i in unpaid)
    span = _span([i.seq for i in unpaid])
    lines = [
        Line(
            LineKind.REPAYMENT,
            f"提前结清：{sale_order_no} {span}（共 {months} 期）剩余本金",
            principal,
            False,
            product_id,
        )
    ]
    if payoff_fee_fen:
        lines.append(
            Line(
                LineKind.REPAYMENT,
                f"提前结清手续费：{sale_order_no}",
                payoff_fee_fen,
                False,
                product_id,
            )
        )
    pricing = Pricing(tuple(lines), (), 0, 0, None)
    assert pricing.total_fen == payoff_fen(unpaid, payoff_fee_fen)
    return pricing
