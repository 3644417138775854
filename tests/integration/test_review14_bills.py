"""Review of issue 14: defects found in 缴费 (each test fails until the defect is fixed)."""

from __future__ import annotations

from hall_app.app import HallApp
from hall_app.services.actor import Actor
from hall_app.services.bills import BillPaymentRequest
from tests.bill_fixtures import SEP_FEE, billed_customer, cash


def test_review14_late_fee_paid_alone_is_not_charged_again(hall: HallApp, clerk: Actor) -> None:
    """A payment that covers exactly the late fee of the oldest bill (applied 0 to the bill)
    is accepted; the same late fee must not then be charged a second time for the same days
    (bill_plan.due_bills only looks at the last settlement when paid_fen > 0)."""
    b = billed_customer(hall)
    done = hall.bills.pay_bills(
        clerk, BillPaymentRequest(b.customer_id, cash(SEP_FEE), bill_ids=(b.sep,), pay_fen=SEP_FEE)
    )
    assert done.late_fee_fen == SEP_FEE
    again = hall.bills.unpaid_bills(clerk, b.customer_id)
    sep = next(x for x in again.bills if x.id == b.sep)
    assert sep.late_fee_fen == 0, "the late fee up to today was just paid, yet charged again"


def test_review14_bill_payment_rest_respects_the_top_up_limit(hall: HallApp, clerk: Actor) -> None:
    """What is paid beyond the bills goes to the number's balance as a top-up: a top-up is
    within the configured limits (domain-rules.md: 1.00 to 5,000.00 a time). bill_plan puts any
    rest on the balance, 100,000.00 included, bypassing check_top_up_amount."""
    from hall_app.domain.errors import ValidationError
    from tests.bill_fixtures import OCT_FEE, OCT_FEN, SEP_FEN

    b = billed_customer(hall)
    owed = SEP_FEN + SEP_FEE + OCT_FEN + OCT_FEE
    extra = hall.settings.rules.top_up_max_fen * 20
    req = BillPaymentRequest(
        b.customer_id, cash(owed + extra), pay_fen=owed + extra, top_up_to=b.subscription_id
    )
    import pytest

    with pytest.raises(ValidationError):
        hall.bills.pay_bills(clerk, req)
