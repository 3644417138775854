"""Review of issue 14: 过户 of a number with the old owner's running installment handset bound.

transfer.py keeps the installment contract and the handset (Device) with the old owner, but
leaves Device.subscription_id pointing at the transferred number, and transfer_checks has no
condition for it. The new owner's number then carries the old owner's credit contract: their
销户 is refused ("购机分期尚有 … 未还") and their 携号转网 fails on a contract that is not
theirs (and a billing run would put the old owner's instalments on the new owner's bill).
Either the transfer is refused while such a contract runs, or the number leaves the contract."""

from __future__ import annotations

from sqlalchemy import select, update

from hall_app.app import HallApp
from hall_app.db.models import Device, InstallmentContract
from hall_app.domain.enums import ContractStatus
from hall_app.domain.errors import HallError
from hall_app.services.actor import Actor
from tests.transfer_helpers import pair, request


def test_review14_transfer_leaves_no_old_owner_instalment_on_the_number(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    p = pair(hall)
    with hall.db.unit_of_work() as s:  # the old owner bought a handset on installments for it
        contract = s.scalars(
            select(InstallmentContract).where(InstallmentContract.device_id.is_not(None)).limit(1)
        ).one()
        contract.status = ContractStatus.ACTIVE.value
        contract.customer_id = p.from_id
        s.execute(
            update(Device)
            .where(Device.id == contract.device_id)
            .values(subscription_id=p.subscription_id)
        )
    check = hall.transfers.check_transfer(clerk, p.subscription_id, p.to_id)
    try:
        hall.transfers.transfer(clerk, request(p, check, supervisor=supervisor))
    except HallError:
        return  # refused while the old owner's contract runs on the number: fine
    after = hall.cancellations.check_cancellation(clerk, p.subscription_id)
    failed = {c.name: c.reason for c in after.checks if not c.passed}
    assert "分期合同" not in failed, failed
