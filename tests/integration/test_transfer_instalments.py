"""过户 of a number bound to a running installment contract is refused with the reason and the
way out (提前结清 or keeping the number): rule added after review 14."""

from __future__ import annotations

import pytest

from hall_app.app import HallApp
from hall_app.db.models import InstallmentContract, Subscription
from hall_app.domain.enums import ContractStatus
from hall_app.domain.errors import ValidationError
from hall_app.services.actor import Actor
from tests.transfer_helpers import bind_instalment, pair, request


def test_a_number_with_a_running_instalment_contract_is_not_transferred(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    p = pair(hall)
    contract_id = bind_instalment(hall, p)
    check = hall.transfers.check_transfer(clerk, p.subscription_id, p.to_id)
    failed = {c.name: c.reason for c in check.checks if not c.passed}
    assert not check.allowed and set(failed) == {"分期合同"}, failed
    assert "提前结清" in failed["分期合同"] and "保留号码" in failed["分期合同"]
    with pytest.raises(ValidationError) as refused:
        hall.transfers.transfer(clerk, request(p, check, supervisor=supervisor))
    assert "分期合同" in refused.value.message
    with hall.db.read() as s:
        assert s.get_one(Subscription, p.subscription_id).customer_id == p.from_id

    with hall.db.unit_of_work() as s:  # paid off (提前结清): the transfer goes ahead
        s.get_one(InstallmentContract, contract_id).status = ContractStatus.PAID_OFF.value
    check = hall.transfers.check_transfer(clerk, p.subscription_id, p.to_id)
    assert check.allowed, check.checks
    hall.transfers.transfer(clerk, request(p, check, supervisor=supervisor))
    with hall.db.read() as s:
        assert s.get_one(Subscription, p.subscription_id).customer_id == p.to_id
