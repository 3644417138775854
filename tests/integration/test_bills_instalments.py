"""An instalment the billing run put on a bill: 分期还款 refuses it (the bill takes it), and
paying the bill marks it paid by the bill payment — never charged twice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Instalment, Invoice
from hall_app.domain.enums import BillItemKind, SaleMode
from hall_app.domain.errors import ValidationError
from hall_app.services.actor import Actor
from hall_app.services.bills import BillPaymentRequest
from hall_app.services.instalments import InstalmentPayRequest
from tests.bill_fixtures import add_bill, cash
from tests.handset_fixtures import prepare_handsets, sale_request, signed
from tests.integration.test_handsets import _approved


def test_an_instalment_on_an_unpaid_bill_is_paid_with_the_bill_only(
    hall: HallApp, clerk: Actor
) -> None:
    st = prepare_handsets(hall)
    sold = hall.handsets.sell(
        clerk, signed(hall, clerk, _approved(hall, clerk, sale_request(st, SaleMode.INSTALLMENT)))
    )
    [contract] = hall.instalments.contracts(clerk, st.customer_id)
    first = contract.instalments[0]
    bill_id = add_bill(
        hall,
        st.subscription_id,
        "2026-12",
        [
            (BillItemKind.PLAN, "5G 套餐", 12_900, "basic", True),
            (BillItemKind.INSTALMENT, "分期本金 第 1 期", first.principal_fen, "handset", False),
            (BillItemKind.INSTALMENT, "分期手续费 第 1 期", first.fee_fen, "instalment_fee", True),
        ],
        instalment_id=first.id,
    )
    with pytest.raises(ValidationError, match="该期已计入 2026-12 账单，请缴纳话费"):
        hall.instalments.pay_instalments(
            clerk, InstalmentPayRequest(contract.contract_id, 1, cash(first.amount_fen))
        )
    [bill] = hall.bills.unpaid_bills(clerk, st.customer_id).bills
    assert bill.id == bill_id and bill.late_fee_fen == 0  # not due yet
    total = 12_900 + first.amount_fen
    done = hall.bills.pay_bills(clerk, BillPaymentRequest(st.customer_id, cash(total)))
    assert done.invoice_no is not None
    with hall.db.read() as s:
        row = s.get_one(Instalment, first.id)
        assert row.paid_at is not None and row.paid_order_id == done.order_id
        assert s.scalars(select(Instalment).where(Instalment.paid_order_id == done.order_id)).all()
    with hall.db.read() as s:
        invoice = s.scalars(select(Invoice).where(Invoice.order_id == done.order_id)).one()
        assert invoice.total_fen == 12_900 + first.fee_fen  # the principal: receipt only
    [c] = hall.instalments.contracts(clerk, st.customer_id)
    assert c.next_due is not None and c.next_due.seq == 2
    assert sold.contract_id == c.contract_id
