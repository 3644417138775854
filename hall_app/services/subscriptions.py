"""What every change to an existing subscription shares (plan, services, data, ownership,
loss, SIM, suspension, cancellation, portability): finding the subscription for the clerk's
customer with a clear refusal, the state a change may start from, and the masked before/after
of its audit entry. Each business is an ``OrderKind`` on the one pipeline; this module holds
only what they would otherwise copy."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from hall_app.db.models import Subscription
from hall_app.domain.enums import SubscriptionKind, SubscriptionStatus, SuspendReason
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.masking import mask_phone

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
