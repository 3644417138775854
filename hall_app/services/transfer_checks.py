"""The checks of an ownership transfer (过户), shared by the quote the clerk's screen shows and
the order itself (hall_app.services.transfer), and the terms the new owner signs: the number's
state, a fusion bundle, the new owner's real name and card limit (a transfer counts as a new
number for them), the number's unpaid bills, and what the new owner re-signs (the
pretty-number tier, a running contract phone, the minimum term)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hall_app.clock import business_date
from hall_app.db.models import (
    Bill,
    Customer,
    HandsetCommitment,
    PhoneNumber,
    PrettyTier,
    Subscription,
)
from hall_app.domain.enums import (
    BillStatus,
    ContractStatus,
    SubscriptionKind,
    SubscriptionStatus,
    SuspendReason,
)
from hall_app.domain.errors import HallError
from hall_app.domain.handsets import clawback
from hall_app.domain.masking import mask_name
from hall_app.domain.money import format_yuan
from hall_app.services.numbers import NumberService
from hall_app.services.pipeline import terms_clauses
from hall_app.services.subscriptions import (
    bound_instalments,
    shown_number,
    status_text,
    subscription_of,
)

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


@dataclass(frozen=True)
class Assessed:
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


def short_term(resigned: str) -> str:
    """A re-signed term by its kind, for the form's one line (the terms hold it whole)."""
    for start, label in (("靓号", "靓号约定"), ("合约机", "合约机约定")):
        if resigned.startswith(start):
            return label
    return "最低在网期"


def _locked(sub: Subscription, today: date) -> bool:
    return sub.lock_in_until is not None and sub.lock_in_until >= today


def assess(
    session: Session,
    numbers: NumberService,
    subscription_id: uuid.UUID,
    to_customer_id: uuid.UUID,
    now: datetime,
    *,
    lock: bool = False,
) -> Assessed:
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
    checks.append(_instalments(session, sub))
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
    return Assessed(sub, old, new, check)


def _instalments(session: Session, sub: Subscription) -> TransferCondition:
    """A running installment contract of a handset bound to the number blocks the transfer
    (rule added after review 14): the credit contract is personal and stays with the buyer,
    yet its instalments are billed to the number and it holds the number's 销户 and 携号转网.
    The buyer pays it off first (提前结清), or keeps the number."""
    bound = bound_instalments(session, sub.id)
    if not bound:
        return TransferCondition("分期合同", True, "号码未绑定在途的购机分期合同")
    owed = "、".join(
        f"{c.order_no}（尚有 {c.unpaid} 期未还，{format_yuan(c.unpaid_fen)}）" for c in bound
    )
    return TransferCondition(
        "分期合同",
        False,
        f"号码绑定了在途的购机分期合同 {owed}：请原机主先办理提前结清"
        "（客户资料“分期/合约”页），或保留号码不过户",
    )


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
