"""What every change to an existing subscription shares (plan, services, data, ownership,
loss, SIM, suspension, cancellation, portability): finding the subscription for the clerk's
customer with a clear refusal, the state a change may start from, and the masked before/after
of its audit entry. Each business is an ``OrderKind`` on the one pipeline; this module holds
only what they would otherwise copy."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from hall_app.db.models import (
    Device,
    InstallmentContract,
    Instalment,
    Order,
    PortAuthCode,
    Subscription,
)
from hall_app.domain.enums import (
    ContractStatus,
    SubscriptionKind,
    SubscriptionStatus,
    SuspendReason,
)
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.masking import mask_phone
from hall_app.services import audit
from hall_app.services.actor import Actor

NUMBER_FIELD = "业务号码"


def shown_number(sub: Subscription) -> str:
    """A mobile number masked (189****1234); a landline or broadband account as written."""
    if sub.kind is SubscriptionKind.MOBILE:
        return mask_phone(sub.service_number)
    return sub.service_number


def status_text(sub: Subscription) -> str:
    """正常 / 停机（欠费停机）/ 已拆机 …"""
    if sub.status is SubscriptionStatus.SUSPENDED and sub.suspend_reason is not None:
        return f"{sub.status.label}（{SuspendReason(sub.suspend_reason).label}）"
    return sub.status.label


def subscription_of(
    session: Session,
    subscription_id: uuid.UUID,
    customer_id: uuid.UUID | None = None,
    *,
    lock: bool = False,
) -> Subscription:
    """The subscription, refused in Chinese when it does not exist or (given ``customer_id``)
    is not that customer's. ``lock``: read it FOR UPDATE (PostgreSQL; SQLite's write lock is
    the transaction's)."""
    sub = session.get(Subscription, subscription_id, with_for_update=lock or None)
    if sub is None or (customer_id is not None and sub.customer_id != customer_id):
        raise NotFound("没有这个业务号码，或号码不属于当前客户", NUMBER_FIELD)
    return sub


def require_status(
    sub: Subscription,
    allowed: Iterable[SubscriptionStatus],
    what: str,
    *,
    reasons: Iterable[SuspendReason] | None = None,
) -> None:
    """Refuse ``what`` (挂失, 补卡 …) unless the subscription is in one of ``allowed``; a
    suspended one also only for ``reasons`` when given."""
    allowed = tuple(allowed)
    ok = sub.status in allowed
    if ok and sub.status is SubscriptionStatus.SUSPENDED and reasons is not None:
        ok = sub.suspend_reason in tuple(reasons)
    if not ok:
        raise ValidationError(
            f"号码 {shown_number(sub)} 当前状态为“{status_text(sub)}”，不能办理{what}", NUMBER_FIELD
        )


def audit_state(sub: Subscription) -> dict[str, object]:
    """The subscription as an audit entry's before or after: masked, no personal data."""
    return {
        "number": shown_number(sub),
        "customer_id": str(sub.customer_id),
        "status": sub.status.value,
        "suspend_reason": sub.suspend_reason.value if sub.suspend_reason else None,
        "product_id": str(sub.product_id),
        "next_product_id": str(sub.next_product_id) if sub.next_product_id else None,
        "sim_id": str(sub.sim_id) if sub.sim_id else None,
        "balance_fen": sub.balance_fen,
        "bonus_fen": sub.bonus_fen,
    }


def revoke_port_codes(
    session: Session, actor: Actor, subscription_id: uuid.UUID, now: datetime, why: str
) -> int:
    """Revoke the number's 携号转网 授权码 still valid (the owner's consent to port it out),
    inside the caller's transaction: a 过户 (the consent was the old owner's), a 销户 or a
    挂失 (the card may be in a stranger's hands) ends it. Each revoked code is audited (its
    id and ``why``, never the code); returns how many were revoked. Expired or revoked codes
    are left alone, and the porting checks ignore revoked codes."""
    ids = session.scalars(
        update(PortAuthCode)
        .where(
            PortAuthCode.subscription_id == subscription_id,
            PortAuthCode.revoked.is_(False),
            PortAuthCode.expires_at > now,
        )
        .values(revoked=True, updated_at=now)
        .returning(PortAuthCode.id)
        .execution_options(synchronize_session=False)
    ).all()
    for code_id in ids:
        audit.record(
            session,
            at=now,
            actor=actor,
            action="port_code.revoked",
            entity="port_auth_code",
            entity_id=code_id,
            before={"subscription_id": str(subscription_id), "revoked": False},
            after={"subscription_id": str(subscription_id), "revoked": True, "reason": why},
        )
    return len(ids)


class BoundInstalments(NamedTuple):
    """A running installment contract bound to a number: its sale order, the instalments
    still unpaid, what they come to and the last one's due date (None when none is unpaid)."""

    customer_id: uuid.UUID
    order_no: str
    unpaid: int
    unpaid_fen: int
    last_due: date | None


def bound_instalments(session: Session, subscription_id: uuid.UUID) -> tuple[BoundInstalments, ...]:
    """The running (ACTIVE) installment contracts of a handset bound to the number, through
    the device or the sale order, oldest order first."""
    rows = session.execute(
        select(
            InstallmentContract.customer_id,
            Order.order_no,
            func.count(Instalment.id),
            func.coalesce(func.sum(Instalment.amount_fen), 0),
            func.max(Instalment.due_date),
        )
        .select_from(InstallmentContract)
        .join(Order, Order.id == InstallmentContract.order_id)
        .outerjoin(
            Instalment,
            and_(Instalment.contract_id == InstallmentContract.id, Instalment.paid_at.is_(None)),
        )
        .outerjoin(Device, Device.id == InstallmentContract.device_id)
        .where(
            InstallmentContract.status == ContractStatus.ACTIVE.value,
            (Device.subscription_id == subscription_id)
            | (Order.subscription_id == subscription_id),
        )
        .group_by(InstallmentContract.id, InstallmentContract.customer_id, Order.order_no)
        .order_by(Order.order_no)
    ).all()
    return tuple(BoundInstalments(c, no, int(n), int(fen), due) for c, no, n, fen, due in rows)
