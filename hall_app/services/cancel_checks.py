"""The conditions of a 销户, each passed or not with its reason (see
hall_app/services/cancellation.py for the rules): read in the caller's session, so the order
checks them again inside its own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hall_app.db.models import (
    Bill,
    Device,
    InstallmentContract,
    Instalment,
    ServiceTicket,
    Subscription,
    WorkOrder,
)
from hall_app.domain.enums import (
    BillStatus,
    ContractStatus,
    ServiceTicketKind,
    ServiceTicketStatus,
    WorkOrderStatus,
)
from hall_app.domain.handsets import clawback
from hall_app.domain.money import format_yuan
from hall_app.services.handsets import running_commitment

DISPUTE_MARK = "争议"
OPEN_WORK = (WorkOrderStatus.SCHEDULED, WorkOrderStatus.DISPATCHED)
OPEN_TICKET = (ServiceTicketStatus.OPEN, ServiceTicketStatus.IN_PROGRESS)


@dataclass(frozen=True)
class CancelCondition:
    name: str
    passed: bool
    reason: str


def conditions(
    session: Session, sub: Subscription, today: date
) -> tuple[tuple[CancelCondition, ...], int]:
    """Each condition of a cancellation, and the clawback of a running contract phone."""
    out: list[CancelCondition] = []
    owed = session.scalar(
        select(func.coalesce(func.sum(Bill.amount_fen - Bill.paid_fen), 0)).where(
            Bill.subscription_id == sub.id,
            Bill.status.in_((BillStatus.UNPAID, BillStatus.PARTLY_PAID)),
        )
    )
    owed = int(owed or 0)
    out.append(
        CancelCondition(
            "账单已结清",
            owed <= 0,
            f"有未缴话费 {format_yuan(owed)}，请先办理缴费" if owed > 0 else "无未缴账单",
        )
    )
    locked = sub.lock_in_until is not None and sub.lock_in_until >= today
    out.append(
        CancelCondition(
            "合约期",
            not locked,
            f"套餐合约期至 {sub.lock_in_until:%Y-%m-%d}，期满前不能销户"
            if locked and sub.lock_in_until
            else "不在套餐合约期内",
        )
    )
    commitment = running_commitment(session, sub.id, today)
    claw = 0
    if commitment is not None:
        claw = clawback(
            commitment.subsidy_fen, commitment.months, commitment.starts_on, today
        ).amount_fen
    out.append(
        CancelCondition(
            "合约机",
            commitment is None,
            f"合约机合约期至 {commitment.ends_on:%Y-%m-%d}，提前解约须退还补贴 "
            f"{format_yuan(claw)}，合约期内不能销户"
            if commitment is not None
            else "无在约合约机",
        )
    )
    left = session.scalar(
        select(func.coalesce(func.sum(Instalment.amount_fen), 0))
        .join(InstallmentContract, InstallmentContract.id == Instalment.contract_id)
        .join(Device, Device.id == InstallmentContract.device_id)
        .where(
            Device.subscription_id == sub.id,
            InstallmentContract.status == ContractStatus.ACTIVE.value,
            Instalment.paid_at.is_(None),
        )
    )
    left = int(left or 0)
    running = (
        session.scalar(
            select(InstallmentContract.id)
            .join(Device, Device.id == InstallmentContract.device_id)
            .where(
                Device.subscription_id == sub.id,
                InstallmentContract.status == ContractStatus.ACTIVE.value,
            )
            .limit(1)
        )
        is not None
    )
    out.append(
        CancelCondition(
            "分期合同",
            not running,
            f"购机分期尚有 {format_yuan(left)} 未还，请先还清或提前结清"
            if running
            else "无在途分期合同",
        )
    )
    # The number's own, or a fusion broadband's bundled with it (融合: installed for it).
    linked = {
        sub.id,
        *session.scalars(select(Subscription.id).where(Subscription.bundled_with_id == sub.id)),
    }
    if sub.bundled_with_id is not None:
        linked.add(sub.bundled_with_id)
    work = session.scalar(
        select(WorkOrder.work_order_no)
        .where(
            or_(
                WorkOrder.broadband_subscription_id.in_(linked),
                WorkOrder.landline_subscription_id.in_(linked),
            ),
            WorkOrder.status.in_(OPEN_WORK),
        )
        .limit(1)
    )
    out.append(
        CancelCondition(
            "在途工单",
            work is None,
            f"装机工单 {work} 尚未完成" if work else "无在途工单",
        )
    )
    dispute = session.scalar(
        select(ServiceTicket.ticket_no)
        .where(
            ServiceTicket.subscription_id == sub.id,
            ServiceTicket.kind == ServiceTicketKind.COMPLAINT,
            ServiceTicket.status.in_(OPEN_TICKET),
            ServiceTicket.category.contains(DISPUTE_MARK),
        )
        .limit(1)
    )
    out.append(
        CancelCondition(
            "余额争议",
            dispute is None,
            f"投诉 {dispute} 的费用争议尚未处理完毕，余额有争议时不能销户"
            if dispute
            else "无费用争议",
        )
    )
    return tuple(out), claw
