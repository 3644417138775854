"""Review of issue 12: money defects after a handset sale (each test fails on main)."""

from __future__ import annotations

from decimal import Decimal

from hall_app.app import HallApp
from hall_app.services.actor import Actor
from tests.integration.handset_rows import adult, installment_sale


def test_paying_off_costs_no_less_than_paying_the_overdue_instalments(
    hall: HallApp, clerk: Actor
) -> None:
    # 6 months at 2 % a month, sold 2026-07-28, 1 paid; today 2026-11-24: 2 and 3 overdue,
    # 4 due this month. The payoff rule ("the fee of the instalments not yet due is waived")
    # must not waive the fee of instalments already due: otherwise a customer behind on
    # payments settles everything cheaper than just catching up.
    sold = installment_sale(
        hall, clerk, adult(hall), monthly_rate=Decimal("0.02"), payoff_fee_fen=0
    )
    [c] = hall.instalments.contracts(clerk, sold.customer_id)
    overdue = [i for i in c.instalments if i.state == "逾期"]
    assert len(overdue) == 2 and all(i.fee_fen > 0 for i in overdue)
    catch_up = sum(i.amount_fen for i in overdue)
    rest_principal = sum(i.principal_fen for i in c.unpaid if i.state != "逾期")
    # Paying off = catching up (principal + fee of what is overdue) + the principal not yet due.
    assert c.payoff_fen >= catch_up + rest_principal, (
        f"payoff {c.payoff_fen} < overdue {catch_up} + remaining principal {rest_principal}: "
        "the overdue instalments' fee is waived"
    )
