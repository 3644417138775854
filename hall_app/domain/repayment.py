"""Paying an installment contract after the sale, as pure functions: the state of each
instalment on a day, and the lines of a repayment order.

The principal repaid is receipt-only (the handset was invoiced whole at its sale); the fee is a
charge of its own, invoiced when it is paid: an instalment's fee, the fee of instalments already
due that a payoff settles, each on an invoice line of the VAT category ``instalment_fee``
(``*金融服务*分期手续费``, 6 %), and the payoff fee on one of ``instalment_payoff_fee``
(``*金融服务*提前结清手续费``, 6 %), or of ``instalment_fee`` in a catalog without it.

The lines say the contract (the sale's order number) and which instalments, so the generic
receipt shows them: ``分期还款：SL20261124010001 第 3/12 期（到期 2026-12-15）本金``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Final

from hall_app.domain.handsets import ScheduledInstalment, overdue, payoff_fee_kept, payoff_fen
from hall_app.domain.pricing import Line, LineKind, Pricing, VatClass, itemised

PAID: Final = "已还"
DUE: Final = "待还"  # falls due this month, not yet late
OVERDUE: Final = "逾期"
UPCOMING: Final = "未到期"
STATES: Final = (PAID, DUE, OVERDUE, UPCOMING)
# The invoice categories of the instalment fee and of the payoff fee, looked up by code (the
# payoff fee under the instalment fee's when the catalog has no category of its own for it).
FEE_VAT_CODE: Final = "instalment_fee"
PAYOFF_VAT_CODE: Final = "instalment_payoff_fee"


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
    return f"分期还款：{sale_order_no} 第 {seq}/{months} 期（到期 {due_date:%Y-%m-%d}）本金"


def fee_line_text(sale_order_no: str, seqs: Sequence[int]) -> str:
    return f"分期手续费：{sale_order_no} {_span(seqs)}"


def _span(seqs: Sequence[int]) -> str:
    first, last = seqs[0], seqs[-1]
    return f"第 {first} 期" if first == last else f"第 {first}–{last} 期"


def fees_payable(
    unpaid: Sequence[ScheduledInstalment], *, payoff: bool, payoff_fee_fen: int, today: date
) -> int:
    """The fee part (invoiced) of paying ``unpaid``: each instalment's fee; paying off, only
    the fee of those already due, plus the payoff fee."""
    if not payoff:
        return sum(i.fee_fen for i in unpaid)
    kept = sum(i.fee_fen for i in unpaid if payoff_fee_kept(i.due_date, today))
    return kept + (payoff_fee_fen if unpaid else 0)


def _fee_line(
    text: str, fee_fen: int, product_id: uuid.UUID | None, fee_vat: VatClass | None
) -> Line:
    if fee_vat is None:
        raise ValueError("a fee is invoiced under its VAT category")
    return Line(LineKind.CHARGE, text, fee_fen, True, product_id, fee_vat)


def price_instalments(
    chosen: Sequence[ScheduledInstalment],
    months: int,
    sale_order_no: str,
    product_id: uuid.UUID | None = None,
    fee_vat: VatClass | None = None,
) -> Pricing:
    """One receipt line per instalment paid, its principal; then their fee together on one
    invoiced line (under ``fee_vat``, required when there is a fee)."""
    if not chosen:
        raise ValueError("a repayment pays at least one instalment")
    lines = [
        Line(
            LineKind.REPAYMENT,
            repayment_line_text(sale_order_no, i.seq, months, i.due_date),
            i.principal_fen,
            False,
            product_id,
        )
        for i in chosen
    ]
    fee = sum(i.fee_fen for i in chosen)
    if fee:
        lines.append(
            _fee_line(
                fee_line_text(sale_order_no, [i.seq for i in chosen]), fee, product_id, fee_vat
            )
        )
    pricing = itemised(lines)
    assert pricing.total_fen == sum(i.amount_fen for i in chosen)
    return pricing


def price_payoff(
    unpaid: Sequence[ScheduledInstalment],
    months: int,
    sale_order_no: str,
    payoff_fee_fen: int,
    product_id: uuid.UUID | None = None,
    *,
    today: date,
    fee_vat: VatClass | None = None,
    payoff_vat: VatClass | None = None,
) -> Pricing:
    """Paying off early on ``today``: the principal still unpaid (receipt), the fee of the
    unpaid instalments already due (invoiced under ``fee_vat``) and the offer's payoff fee
    (under ``payoff_vat``, else ``fee_vat``); the fee of the instalments not yet due is waived.
    The sum is ``domain.handsets.payoff_fen``."""
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
    due = [i for i in unpaid if payoff_fee_kept(i.due_date, today) and i.fee_fen]
    if due:
        lines.append(
            _fee_line(
                fee_line_text(sale_order_no, [i.seq for i in due]) + "（已到期）",
                sum(i.fee_fen for i in due),
                product_id,
                fee_vat,
            )
        )
    if payoff_fee_fen:
        lines.append(
            _fee_line(
                f"提前结清手续费：{sale_order_no}",
                payoff_fee_fen,
                product_id,
                payoff_vat or fee_vat,
            )
        )
    pricing = itemised(lines)
    assert pricing.total_fen == payoff_fen(unpaid, payoff_fee_fen, today=today)
    return pricing
