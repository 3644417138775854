"""The 违约金 line states the days actually charged: a bill paid in part runs its late fee
from that payment, and the line says so."""

from __future__ import annotations

from datetime import timedelta

from hall_app.app import HallApp
from hall_app.services.actor import Actor
from hall_app.services.bills import BillPaymentRequest
from tests.bill_fixtures import SEP_FEE, SEP_FEN, billed_customer, cash
from tests.conftest import FakeClock


def test_the_late_fee_line_names_the_days_since_the_last_payment(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    b = billed_customer(hall)
    part = SEP_FEE + 10_000  # the fee to today and 100.00 of the bill
    hall.bills.pay_bills(
        clerk, BillPaymentRequest(b.customer_id, cash(part), bill_ids=(b.sep,), pay_fen=part)
    )
    was = clock.now
    clock.now = was + timedelta(days=5)
    try:
        quote = hall.bills.quote_bill_payment(
            clerk, BillPaymentRequest(b.customer_id, bill_ids=(b.sep,))
        )
    finally:
        clock.now = was
    [fee] = [x for x in quote.lines if x.description.startswith("违约金")]
    assert fee.amount_fen == (SEP_FEN - 10_000) * 3 * 5 // 1000  # 100.00 for 5 days at 3‰
    assert "逾期 45 天，上次缴费后计 5 天" in fee.description
