"""A handset sold through HandsetService, then paid: the installment contract the sale wrote is
the one the customer record lists and the repayments pay; a contract phone's 违约金 on the
record is the one ``contract_clawback`` quotes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Device, InstallmentContract
from hall_app.domain.enums import ContractStatus, DeviceStatus, SaleMode
from hall_app.services.actor import Actor
from hall_app.services.instalments import InstalmentPayRequest, PayoffRequest
from tests.handset_fixtures import (
    CONTRACT_SUBSIDY,
    INSTALMENT_FEE,
    PAYOFF_FEE,
    prepare_handsets,
    sale_request,
    signed,
)
from tests.integration.test_handsets import _approved
from tests.integration.test_instalments import cash


def test_an_installment_sale_is_paid_one_instalment_then_paid_off(
    hall: HallApp, clerk: Actor
) -> None:
    st = prepare_handsets(hall)
    req = signed(hall, clerk, _approved(hall, clerk, sale_request(st, SaleMode.INSTALLMENT)))
    sold = hall.handsets.sell(clerk, req)
    assert sold.contract_id is not None
    [c] = hall.instalments.contracts(clerk, st.customer_id)
    assert c.contract_id == sold.contract_id and c.order_no == sold.order_no
    assert c.imei == st.imeis[0] and c.handset_name == st.product_name
    assert c.months == 12 and c.down_payment_fen == 110_000
    assert c.financed_fen == st.price_fen - 110_000 and c.fee_fen == INSTALMENT_FEE
    # sold today (2026-11-24): the first falls due on 2026-12-24, nothing is due this month
    assert c.instalments[0].due_date == date(2026, 12, 24)
    assert {i.state for i in c.instalments} == {"未到期"} and c.overdue_count == 0
    assert c.outstanding_fen == c.financed_fen + INSTALMENT_FEE
    assert c.payoff_fen == c.financed_fen + PAYOFF_FEE

    first = c.instalments[0]
    paid = hall.instalments.pay_instalments(
        clerk, InstalmentPayRequest(c.contract_id, 1, cash(first.amount_fen), from_seq=1)
    )
    assert paid.paid_seqs == (1,) and paid.contract_status is ContractStatus.ACTIVE
    [c] = hall.instalments.contracts(clerk, st.customer_id)
    assert c.next_due is not None and c.next_due.seq == 2
    assert c.payoff_fen == c.financed_fen - first.principal_fen + PAYOFF_FEE

    off = hall.instalments.pay_off(
        clerk, PayoffRequest(c.contract_id, cash(c.payoff_fen), from_seq=2)
    )
    assert off.paid_seqs == tuple(range(2, 13)) and off.contract_status is ContractStatus.PAID_OFF
    with hall.db.read() as s:
        contract = s.get_one(InstallmentContract, sold.contract_id)
        assert contract.status == ContractStatus.PAID_OFF.value and contract.ended_at is not None
        unit = s.scalars(select(Device).where(Device.imei == st.imeis[0])).one()
        assert unit.status is DeviceStatus.SOLD  # the handset stays the customer's
    [c] = hall.instalments.contracts(clerk, st.customer_id)
    assert c.status is ContractStatus.PAID_OFF and c.outstanding_fen == 0


def test_a_contract_phone_sold_today_owes_the_whole_subsidy_on_the_record(
    hall: HallApp, clerk: Actor
) -> None:
    st = prepare_handsets(hall)
    req = signed(hall, clerk, sale_request(st, SaleMode.CONTRACT))
    sold = hall.handsets.sell(clerk, req)
    [v] = hall.instalments.commitments(clerk, st.customer_id)
    assert v.commitment_id == sold.commitment_id and v.subscription_id == st.subscription_id
    assert (v.months, v.months_left, v.clawback_fen) == (24, 24, CONTRACT_SUBSIDY)
    quoted = hall.handsets.contract_clawback(clerk, st.subscription_id, date(2026, 11, 24))
    assert quoted is not None
    assert (quoted.amount_fen, quoted.months_left, quoted.ends_on) == (
        v.clawback_fen,
        v.months_left,
        v.ends_on,
    )
    assert quoted.imei == v.imei == st.imeis[0]
