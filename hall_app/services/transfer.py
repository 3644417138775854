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
before the transfer: both records list the transfer (``transfer_history``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.engine import Database
from hall_app.db.models import (
    Approval,
    Bill,
    Customer,
    HandsetCommitment,
    Order,
    OwnershipTransfer,
    PhoneNumber,
    PrettyTier,
    Staff,
    Subscription,
)
from hall_app.domain.approvals import OWNERSHIP_TRANSFER
from hall_app.domain.enums import (
    BillStatus,
    ContractStatus,
    OrderType,
    SubscriptionKind,
    SubscriptionStatus,
    SuspendReason,
)
from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.handsets import clawback
from hall_app.domain.masking import mask_name
from hall_app.domain.money import format_yuan
from hall_app.domain.permissions import Permission
from hall_app.domain.pricing import Pricing
from hall_app.services.actor import Actor
from hall_app.services.approvals import record_inline, redeem
from hall_app.services.invoicing import issue_invoice
from hall_app.services.numbers import NumberService
from hall_app.services.pipeline import OrderKind, OrderPipeline, Priced, Taken, Visit, terms_clauses
from hall_app.services.subscriptions import audit_state, shown_number, status_text, subscription_of

NEW_OWNER_FIELD = "新机主"
FACE_FIELD = "人像比对"
SUPERVISOR_FIELD = "主管授权"
CHECKS_FIELD = "过户条件"
OWN_WORK = "不能为自己受理的业务授权，请另一位值班主管授权"  # four-eyes
OWNER_CHANGED = "该号码的机主已变化（其他窗口已办理过户），请刷新客户资料后重试"
FACE_LIMIT = 64  # customers.face_check_by
# A transfer may start from normal service or a voluntary suspension (停机保号); a lost number
# is reinstated first (解挂), one suspended for arrears is paid first (缴费).
FROM_STATES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)
FROM_REASONS = (SuspendReason.VOLUNTARY,)


class TransferCondition(NamedTuple):
    name: str
    passed: bool
    reason: str


@dataclass(frozen=True)
class TransferCheck:
    checks: tuple[TransferCondition, ...]
    arrears_fen: int  # the number's unpaid bills (without late fees: 缴费 quotes those)
    terms_to_resign: tuple[str, ...]  # pretty-number tier / contract phone / lock-in
    allowed: bool
    number_masked: str
    from_name_masked: str
    to_name_masked: str
    terms_text: str  # what the new owner signs (the order refuses any other)


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


def transfer_terms(number: str, from_name: str, to_name: str, resign: tuple[str, ...]) -> str:
    """The terms the new owner signs; the quote and the order both make them here."""
    c = terms_clauses("transfer")
    lines = [
        "1. " + c["transfer"].format(number=number, from_name=from_name, to_name=to_name),
        "2. " + c["history"],
        "3. " + c["real_name"],
    ]
    if resign:
        lines.append("4. " + c["resign"] + "；".join(resign) + "。")
    return "\n".join(lines)


# -- the checks, shared by the quote and the order -------------------------------------------


@dataclass(frozen=True)
class _Assessed:
    sub: Subscription
    old: Customer
    new: Customer | None
    check: TransferCheck


def _arrears(session: Session, subscription_id: uuid.UUID) -> tuple[int, int]:
    """The number's unpaid bills: the amount still owed and how many bills."""
    row = session.execute(
        select(func.coalesce(func.sum(Bill.amount_fen - Bill.paid_fen), 0), func.count()).where(
            Bill.subscription_id == subscription_id,
            Bill.status.in_([BillStatus.UNPAID, BillStatus.PARTLY_PAID]),
        )
    ).one()
    return int(row[0]), int(row[1])


def _resign(session: Session, sub: Subscription, today: date) -> tuple[str, ...]:
    """What the new owner takes over and signs again: the pretty number's tier, a running
    contract phone, the minimum term."""
    out: list[str] = []
    tier = None
    if sub.kind is SubscriptionKind.MOBILE:
        tier = session.scalar(
            select(PrettyTier)
            .join(PhoneNumber, PhoneNumber.pretty_tier_id == PrettyTier.id)
            .where(PhoneNumber.number == sub.service_number)
        )
    if tier is not None:
        out.append(
            f"靓号（{tier.name}）月最低消费 {format_yuan(tier.min_monthly_fen)}"
            + (f"，在网至 {sub.lock_in_until:%Y-%m-%d}" if _locked(sub, today) else "")
        )
    commitments = session.scalars(
        select(HandsetCommitment).where(
            HandsetCommitment.subscription_id == sub.id,
            HandsetCommitment.status == ContractStatus.ACTIVE,
        )
    ).all()
    for c in commitments:
        owed = clawback(c.subsidy_fen, c.months, c.starts_on, today)
        out.append(
            f"合约机约定：月消费不低于 {format_yuan(c.min_plan_fen)}，"
            f"合约期至 {c.ends_on:%Y-%m-%d}，"
            f"提前离网须退还未履约月份的购机优惠（今日为 {format_yuan(owed.amount_fen)}）"
        )
    if tier is None and not commitments and _locked(sub, today):
        assert sub.lock_in_until is not None
        out.append(f"最低在网期至 {sub.lock_in_until:%Y-%m-%d}")
    return tuple(out)


def _short(resigned: str) -> str:
    """A re-signed term by its kind, for the form's one line (the terms hold it whole)."""
    for start, label in (("靓号", "靓号约定"), ("合约机", "合约机约定")):
        if resigned.startswith(start):
            return label
    return "最低在网期"


def _locked(sub: Subscription, today: date) -> bool:
    return sub.lock_in_until is not None and sub.lock_in_until >= today


def _assess(
    session: Session,
    numbers: NumberService,
    subscription_id: uuid.UUID,
    to_customer_id: uuid.UUID,
    now: datetime,
    *,
    lock: bool = False,
) -> _Assessed:
    sub = subscription_of(session, subscription_id, lock=lock)
    old = session.get_one(Customer, sub.customer_id)
    new = session.get(Customer, to_customer_id, with_for_update=lock or None)
    today = business_date(now)
    checks: list[TransferCondition] = []
    state_ok = sub.status in FROM_STATES and (
        sub.status is not SubscriptionStatus.SUSPENDED or sub.suspend_reason in FROM_REASONS
    )
    checks.append(
        TransferCondition(
            "号码状态",
            state_ok,
            f"{status_text(sub)}"
            + ("" if state_ok else "：挂失的号码须先解挂，欠费停机的号码须先缴费"),
        )
    )
    bundled = _bundled(session, sub)
    if bundled:
        checks.append(TransferCondition("融合套餐", False, bundled))
    if new is None:
        checks.append(TransferCondition("新机主", False, "新机主不存在，请先查询或登记客户"))
    elif new.id == old.id:
        checks.append(TransferCondition("新机主", False, "新机主与原机主是同一客户"))
    elif new.real_name_verified_at is None:
        checks.append(TransferCondition("实名登记", False, "新机主尚未完成实名登记（人证核验）"))
    else:
        checks.append(
            TransferCondition(
                "实名登记", True, f"已于 {new.real_name_verified_at:%Y-%m-%d} 实名登记"
            )
        )
        checks.append(_card_limit(session, numbers, new.id, now))
    arrears, bills = _arrears(session, sub.id)
    checks.append(
        TransferCondition(
            "欠费",
            arrears == 0,
            "无未缴账单"
            if arrears == 0
            else f"尚有 {bills} 期账单未缴，欠费 {format_yuan(arrears)}："
            "请先缴费（缴费 Ctrl+J）再办理过户",
        )
    )
    resign = _resign(session, sub, today)
    number = shown_number(sub)
    from_name, to_name = mask_name(old.name), mask_name(new.name) if new else ""
    check = TransferCheck(
        checks=tuple(checks),
        arrears_fen=arrears,
        terms_to_resign=resign,
        allowed=all(c.passed for c in checks),
        number_masked=number,
        from_name_masked=from_name,
        to_name_masked=to_name,
        terms_text=transfer_terms(number, from_name, to_name, resign),
    )
    return _Assessed(sub, old, new, check)


def _bundled(session: Session, sub: Subscription) -> str:
    """Why a member of a fusion bundle (融合套餐: the broadband billed with a mobile number)
    is not transferred alone; "" when it is in none."""
    partner = session.scalar(
        select(Subscription.service_number).where(
            Subscription.bundled_with_id == sub.id,
            Subscription.status != SubscriptionStatus.CANCELLED,
        )
    )
    if sub.bundle_id is None and partner is None:
        return ""
    return "融合套餐中的号码不能单独过户：请先办理套餐变更，解除融合后再过户"


def _card_limit(
    session: Session, numbers: NumberService, customer_id: uuid.UUID, now: datetime
) -> TransferCondition:
    """The new owner's checks of a new number (age, card limit): the number counts for them."""
    try:
        eligibility = numbers.eligibility_in(session, customer_id, now)
    except HallError as exc:  # an enterprise customer: refused with the reason
        return TransferCondition("办理资格", False, exc.message)
    if not eligibility.allowed:
        return TransferCondition("办理资格", False, "；".join(eligibility.reasons))
    if eligibility.needs_guardian:
        return TransferCondition("办理资格", False, "未满 16 周岁不能作为过户的新机主")
    note = "（过户由值班主管审批）" if eligibility.needs_supervisor else ""
    return TransferCondition("办理资格", True, "证件名下号码未超过上限" + note)


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


class OwnershipTransferKind(OrderKind[_Context, _Moved]):
    order_type = OrderType.TRANSFER_OWNERSHIP
    action = "order.transfer_ownership"

    def __init__(self, numbers: NumberService, req: TransferRequest) -> None:
        self._numbers = numbers
        self._req = req

    def take(self, session: Session, actor: Actor, now: datetime, offline: bool) -> Taken[_Context]:
        req = self._req
        a = _assess(session, self._numbers, req.subscription_id, req.to_customer_id, now, lock=True)
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
        return _Moved(approval_id, approver, context.check)

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
        if c.terms_to_resign:  # in full in the terms below; here what they are
            rows.append(
                ("重新签署", "、".join(_short(t) for t in c.terms_to_resign) + "（见条款第 4 条）")
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
            return _assess(s, self._numbers, subscription_id, to_customer_id, self._clock()).check

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
