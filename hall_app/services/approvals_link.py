"""The till's supervisor sign-off, as an approval of kind ``cash_variance``: inline (the
supervisor typed their credentials at the counter) or a remote approval redeemed once.

Until the approval inbox's ``redeem``/``record_inline`` (hall_app/services/approvals.py)
are on this branch, the same rules are kept here: see those functions' contract."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from hall_app.db.models import Approval
from hall_app.domain.enums import ApprovalState
from hall_app.domain.errors import ValidationError
from hall_app.services.actor import Actor

CASH_VARIANCE = "cash_variance"
FIELD = "审批"


def inline_approval(
    session: Session,
    actor: Actor,
    supervisor: Actor,
    *,
    subject_ref: str,
    reason: str,
    now: datetime,
    amount_fen: int | None = None,
) -> uuid.UUID:
    row = Approval(
        kind=CASH_VARIANCE,
        requested_by_id=actor.staff_id,
        approver_id=supervisor.staff_id,
        state=ApprovalState.APPROVED,
        reason=reason,
        decided_at=now,
        hall_id=actor.hall_id,
        counter_id=actor.counter_id,
        inline=True,
        requested_at=now,
        request_reason=reason,
        summary="现金差异",
        subject_ref=subject_ref,
        amount_fen=amount_fen,
        used_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def redeem_approval(
    session: Session, actor: Actor, approval_id: uuid.UUID, *, subject_ref: str, now: datetime
) -> uuid.UUID:
    """The approver's staff id; the approval is used up."""
    row = session.get(Approval, approval_id, with_for_update=True)
    if row is None or row.kind != CASH_VARIANCE or row.subject_ref != subject_ref:
        raise ValidationError("该审批不是对此钱箱差异的审批", FIELD)
    if row.requested_by_id != actor.staff_id:
        raise ValidationError("该审批不是您发起的", FIELD)
    if row.used_at is not None:
        raise ValidationError("该审批已使用", FIELD)
    if row.state is ApprovalState.EXPIRED:
        raise ValidationError("审批已过期", FIELD)
    if row.state is not ApprovalState.APPROVED or row.approver_id is None:
        raise ValidationError("审批未通过", FIELD)
    row.used_at = now
    row.updated_at = now
    return row.approver_id
