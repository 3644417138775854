"""过户 (ownership transfer): a number moves from one customer to another.

Both parties are at the counter with their IDs and the face check (each recorded: by which
device, or by manual check with the clerk's name); the new owner passes the real-name checks
of a new number, the card limit included (a transfer counts as a new number for them); the
number's bills are settled first (缴费); the pretty-number and contract-phone terms of the
number are re-signed by the new owner (they are part of the terms they sign); the duty
supervisor approves, at the counter or through the approval inbox, never the clerk who took
it (four-eyes).

It is an order (``OrderType.TRANSFER_OWNERSHIP``, zero fee) of the new owner on the one
pipeline. In its transaction: the subscription's ``customer_id`` moves, an
``OwnershipTransfer`` row records from whom to whom, and a running contract-phone commitment
of the number (``HandsetCommitment``) moves with it: the obligation belongs to the number.
The handset itself (``Device``) and an installment contract stay with the customer who bought
them (a credit contract is personal), as do the number's orders, bills, payments and invoices
before the transfer: both records list the transfer (``transfer_history``). Because such a
contract is billed to the number it is bound to, a number with a running one is not
transferred: the buyer pays it off first (提前结清) or keeps the number. A 携号转网 授权码
still valid is revoked: it was the old owner's consent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from hall_app.clock import Clock
from hall_app.config import BusinessRules
from hall_app.db.engine import Database
from hall_app.db.models import (
    Approval,
    HandsetCommitment,
    Order,
    OwnershipTransfer,
    Staff,
    Subscription,
)
from hall_app.domain.approvals import OWNERSHIP_TRANSFER
from hall_app.domain.enums import (
    ContractStatus,
    OrderType,
)
from hall_app.domain.errors import ValidationError
from hall_app.domain.permissions import Permission
from hall_app.domain.pricing import Pricing
from hall_app.services.actor import Actor
from hall_app.services.approvals import record_inline, redeem
from hall_app.services.invoicing import issue_invoice
from hall_app.services.numbers import NumberService
from hall_app.services.pipeline import OrderKind, OrderPipeline, Priced, Taken, Visit
from hall_app.services.subscriptions import audit_state, revoke_port_codes
from hall_app.services.transfer_checks import (
    TransferCheck,
    TransferCondition,
    assess,
    short_term,
)

__all__ = [
    "OwnershipTransferKind",
    "TransferCheck",
    "TransferCondition",
    "TransferDone",
    "TransferRequest",
    "TransferService",
    "transfer_subject",
]

NEW_OWNER_FIELD = "新机主"
FACE_FIELD = "人像比对"
SUPERVISOR_FIELD = "主管授权"
CHECKS_FIELD = "过户条件"
OWN_WORK = "不能为自己受理的业务授权，请另一位值班主管授权"  # four-eyes
OWNER_CHANGED = "该号码的机主已变化（其他窗口已办理过户），请刷新客户资料后重试"
FACE_LIMIT = 64  # customers.face_check_by


@dataclass(frozen=True)
class TransferRequest:
    subscription_id: uuid.UUID
    to_customer_id: uuid.UUID
    old_face_checked_by: str  # the device, or 人工核验 with the clerk's name
    new_face_checked_by: str
    supervisor: Actor | None = None  # inline: authorised at this counter
    approval_id: uuid.UUID | None = None  # remote: approved in the inbox
    signature_png: bytes | None = None
    terms_text: str = ""
    ticket_id: uuid.UUID | None = None
    # The owner the clerk's screen showed: when the number changed hands meanwhile (another
    # window transferred it), refused rather than moved on from the new owner.
    from_customer_id: uuid.UUID | None = None


@dataclass(frozen=True)
class TransferDone:
    order_id: uuid.UUID
    order_no: str
    number_masked: str
    from_name_masked: str
    to_name_masked: str
    approver: str = ""  # the supervisor's full name


def transfer_subject(subscription_id: uuid.UUID, to_customer_id: uuid.UUID) -> str:
    """The approval's ``subject_ref``: this number to this new owner. ``approvals.subject_ref``
    holds 64 characters, so the ids are written without dashes (the new owner's cut to 31
    hex digits: 124 bits, still unique in practice)."""
    return f"{subscription_id.hex}:{to_customer_id.hex}"[:64]


# -- the order kind ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    subscription_id: uuid.UUID
    from_customer_id: uuid.UUID
    to_customer_id: uuid.UUID
    check: TransferCheck
    before: dict[str, object]
    at: datetime


@dataclass(frozen=True)
class _Moved:
    approval_id: uuid.UUID
    approver: str
    check: TransferCheck
    revoked_codes: int = 0  # the old owner's 携号转网 授权码 revoked


class OwnershipTransferKind(OrderKind[_Context, _Moved]):
    order_type = OrderType.TRANSFER_OWNERSHIP
    action = "order.transfer_ownership"

    def __init__(self, numbers: NumberService, req: TransferRequest) -> None:
        self._numbers = numbers
        self._req = req

    def take(self, session: Session, actor: Actor, now: datetime, offline: bool) -> Taken[_Context]:
        req = self._req
        a = assess(session, self._numbers, req.subscription_id, req.to_customer_id, now, lock=True)
        if req.from_customer_id is not None and a.old.id != req.from_customer_id:
            raise ValidationError(OWNER_CHANGED, CHECKS_FIELD)
        if not a.check.allowed:
            failed = [f"{c.name}：{c.reason}" for c in a.check.checks if not c.passed]
            raise ValidationError("不能过户。" + "；".join(failed), CHECKS_FIELD)
        assert a.new is not None
        return Taken(
            a.new,
            _Context(a.sub.id, a.old.id, a.new.id, a.check, audit_state(a.sub), now),
        )

    def lines(self, context: _Context, today: date) -> Priced:
        return Priced(Pricing((), (), 0, 0, None), context.check.terms_text)

    def fulfil(
        self, session: Session, actor: Actor, order: Order, context: _Context, pricing: Pricing
    ) -> _Moved:
        approval_id, approver = self._approved(session, actor, order, context)
        now = context.at
        moved = session.execute(
            update(Subscription)
            .where(
                Subscription.id == context.subscription_id,
                Subscription.customer_id == context.from_customer_id,
            )
            .values(customer_id=context.to_customer_id, updated_at=now)
            .returning(Subscription.id)
            .execution_options(synchronize_session=False)
        ).all()
        if len(moved) != 1:  # moved at another window meanwhile
            raise ValidationError(OWNER_CHANGED, CHECKS_FIELD)
        session.execute(
            update(HandsetCommitment)
            .where(
                HandsetCommitment.subscription_id == context.subscription_id,
                HandsetCommitment.status == ContractStatus.ACTIVE,
            )
            .values(customer_id=context.to_customer_id, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        session.add(
            OwnershipTransfer(
                subscription_id=context.subscription_id,
                from_customer_id=context.from_customer_id,
                to_customer_id=context.to_customer_id,
                order_id=order.id,
                approval_id=approval_id,
                transferred_at=now,
            )
        )
        # A 授权码 was the old owner's consent to port the number out: it ends with the owner.
        revoked = revoke_port_codes(session, actor, context.subscription_id, now, "过户")
        return _Moved(approval_id, approver, context.check, revoked)

    def _approved(
        self, session: Session, actor: Actor, order: Order, context: _Context
    ) -> tuple[uuid.UUID, str]:
        """The supervisor's approval in the order's transaction: the remote one redeemed for
        this number and new owner, or the one given at the counter recorded (four-eyes both
        ways: ``record_inline`` refuses the clerk, ``redeem`` an approval not asked by them
        and the inbox never lets the requester decide)."""
        req = self._req
        subject = transfer_subject(context.subscription_id, context.to_customer_id)
        if req.approval_id is not None:
            approver_id = redeem(
                session,
                actor,
                req.approval_id,
                kind=OWNERSHIP_TRANSFER.code,
                subject_ref=subject,
                now=context.at,
            )
            if approver_id == actor.staff_id:
                raise ValidationError(OWN_WORK, SUPERVISOR_FIELD)
            session.get_one(Approval, req.approval_id).order_id = order.id
            return req.approval_id, session.get_one(Staff, approver_id).full_name
        assert req.supervisor is not None
        approval_id = record_inline(
            session,
            actor,
            req.supervisor,
            kind=OWNERSHIP_TRANSFER.code,
            subject_ref=subject,
            customer_id=context.to_customer_id,
            order_id=order.id,
            reason=f"过户 {context.check.number_masked}，主管现场授权",
            now=context.at,
        )
        return approval_id, req.supervisor.full_name

    def audit_after(self, context: _Context) -> dict[str, object]:
        after = dict(context.before, customer_id=str(context.to_customer_id))
        return {
            "subscription_id": str(context.subscription_id),
            "before": context.before,
            "after": after,
            "from_customer_id": str(context.from_customer_id),
            "to_customer_id": str(context.to_customer_id),
            "old_face_checked_by": self._req.old_face_checked_by.strip(),
            "new_face_checked_by": self._req.new_face_checked_by.strip(),
            "resigned": list(context.check.terms_to_resign),
        }

    def document_details(self, context: _Context, fulfilled: _Moved) -> tuple[tuple[str, str], ...]:
        c = context.check
        rows = [
            ("过户号码", c.number_masked),
            ("原机主", c.from_name_masked),
            ("新机主", c.to_name_masked),
            ("原机主人像比对", self._req.old_face_checked_by.strip()),
            ("新机主人像比对", self._req.new_face_checked_by.strip()),
            ("主管审批", fulfilled.approver),
        ]
        if fulfilled.revoked_codes:
            rows.append(("携号转网授权码", "原机主的授权码已作废"))
        if c.terms_to_resign:  # in full in the terms below; here what they are
            rows.append(
                (
                    "重新签署",
                    "、".join(short_term(t) for t in c.terms_to_resign) + "（见条款第 4 条）",
                )
            )
        return tuple(rows)


# -- the service -------------------------------------------------------------------------------


class TransferService:
    def __init__(
        self,
        db: Database,
        rules: BusinessRules,
        clock: Clock,
        numbers: NumberService,
        *,
        shared_segments: bool = True,
    ) -> None:
        """No central claim: the subscription row decides (a conditional UPDATE on its owner);
        it reaches the central database by the sync round."""
        self._db = db
        self._rules = rules
        self._clock = clock
        self._numbers = numbers
        self._pipeline = OrderPipeline(
            db, clock, None, lambda *step: issue_invoice(*step, shared=shared_segments)
        )

    def check_transfer(
        self, actor: Actor, subscription_id: uuid.UUID, to_customer_id: uuid.UUID
    ) -> TransferCheck:
        """Each condition with pass or fail and its reason, the arrears, the terms the new
        owner re-signs and the full terms text to sign."""
        actor.require(Permission.ORDER_CREATE)
        with self._db.read() as s:
            return assess(s, self._numbers, subscription_id, to_customer_id, self._clock()).check

    def transfer(self, actor: Actor, req: TransferRequest) -> TransferDone:
        actor.require(Permission.ORDER_CREATE)
        for value, who in (
            (req.old_face_checked_by, "原机主"),
            (req.new_face_checked_by, "新机主"),
        ):
            if not value.strip():
                raise ValidationError(f"请完成{who}的人像比对并记录核验方式", FACE_FIELD)
            if len(value.strip()) > FACE_LIMIT:
                raise ValidationError(f"{who}人像比对记录不能超过 {FACE_LIMIT} 个字", FACE_FIELD)
        if req.supervisor is None and req.approval_id is None:
            raise ValidationError(
                "过户须值班主管审批：请主管现场授权或发起远程审批", SUPERVISOR_FIELD
            )
        if req.supervisor is not None and req.supervisor.staff_id == actor.staff_id:
            raise ValidationError(OWN_WORK, SUPERVISOR_FIELD)
        if req.signature_png is None or not req.terms_text:
            raise ValidationError("请新机主在客户屏上核对过户条款并签名确认", "客户确认")
        kind = OwnershipTransferKind(self._numbers, req)
        done = self._pipeline.run(
            actor,
            kind,
            Visit(req.to_customer_id, (), req.ticket_id, req.signature_png, req.terms_text),
        )
        check = done.fulfilled.check
        return TransferDone(
            order_id=done.order_id,
            order_no=done.order_no,
            number_masked=check.number_masked,
            from_name_masked=check.from_name_masked,
            to_name_masked=check.to_name_masked,
            approver=done.fulfilled.approver,
        )
