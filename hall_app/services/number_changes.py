"""挂失 / 解挂 / 停机保号 / 复机 as order kinds: where the number goes, prepared alike for the
quote the customer signs and inside the order (hall_app.services.account_changes)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from hall_app.clock import business_date
from hall_app.config import BusinessRules
from hall_app.db.models import Bill, Customer, Order, Product, Subscription
from hall_app.db.text_limits import check_text
from hall_app.devices.id_reader import IdCardData
from hall_app.domain.enums import (
    OrderType,
    SubscriptionStatus,
    SuspendReason,
)
from hall_app.domain.errors import ValidationError
from hall_app.domain.masking import mask_name
from hall_app.domain.money import format_yuan
from hall_app.domain.pricing import Pricing
from hall_app.domain.resident_id import parse_resident_id
from hall_app.services.account_requests import (
    CARD_FIELD,
    UNPAID,
    Changed,
    LossRequest,
    NumberChange,
    ReinstateRequest,
    ResumeRequest,
    SuspendRequest,
    ZeroFeeChange,
)
from hall_app.services.actor import Actor
from hall_app.services.pipeline import (
    terms_clauses,
)
from hall_app.services.subscriptions import (
    NUMBER_FIELD,
    audit_state,
    require_status,
    revoke_port_codes,
    shown_number,
    status_text,
    subscription_of,
)

# -- the number changes --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Move:
    """A number change: where it goes, prepared alike for the quote and inside the order."""

    what: str
    order_type: OrderType
    sub: Subscription
    customer: Customer
    from_status: SubscriptionStatus
    from_reason: SuspendReason | None
    to_status: SubscriptionStatus
    to_reason: SuspendReason | None
    before: dict[str, object]
    rows: tuple[tuple[str, str], ...]
    terms: str
    now: datetime


def target_text(status: SubscriptionStatus, reason: SuspendReason | None) -> str:
    return f"{status.label}（{reason.label}）" if reason is not None else status.label


def _in_arrears(session: Session, rules: BusinessRules, sub_id: uuid.UUID, today: date) -> bool:
    """A bill of the number unpaid more than ``arrears_suspend_days`` after its due date."""
    limit = today - timedelta(days=rules.arrears_suspend_days)
    return bool(
        session.scalar(
            select(
                exists().where(
                    Bill.subscription_id == sub_id,
                    Bill.status.in_(UNPAID),
                    Bill.due_date < limit,
                )
            )
        )
    )


def _restored(
    session: Session, rules: BusinessRules, sub: Subscription, today: date
) -> tuple[SubscriptionStatus, SuspendReason | None]:
    if _in_arrears(session, rules, sub.id, today):
        return SubscriptionStatus.SUSPENDED, SuspendReason.ARREARS
    return SubscriptionStatus.ACTIVE, None


def owner_checked(
    customer: Customer, card: IdCardData | None, id_number: str, today: date, what: str = "解挂"
) -> str:
    """The owner's ID (the card read, else the number typed), checked: refused unless it is
    the customer's. Returns how it was seen. Shared by 解挂 and a 补卡 lifting a loss report."""
    typed = card.id_number if card is not None else id_number
    if not typed.strip():
        raise ValidationError(f"{what}须核验机主本人身份证：请读取身份证或输入证件号码", CARD_FIELD)
    try:
        number = parse_resident_id(typed, today=today).number
    except ValidationError as exc:
        raise ValidationError(f"证件号码{exc.message}", CARD_FIELD) from exc
    if number != customer.id_number or (card is not None and card.name != customer.name):
        raise ValidationError(f"证件与机主登记资料不符：{what}须机主本人的有效身份证件", CARD_FIELD)
    if card is not None and card.valid_to is not None and card.valid_to < today:
        raise ValidationError(f"身份证已于 {card.valid_to} 过期，请持有效证件办理", CARD_FIELD)
    return "读取身份证" if card is not None else "输入证件号码"


def prepare_move(
    session: Session, rules: BusinessRules, req: NumberChange, now: datetime, *, final: bool
) -> _Move:
    """``final``: inside the order (a 解挂 then needs the owner's ID; a quote checks it when
    given)."""
    today = business_date(now)
    sub = subscription_of(session, req.subscription_id)
    customer = session.get_one(Customer, sub.customer_id)
    clauses = terms_clauses("account_changes")
    number = shown_number(sub)
    values: dict[str, str] = {"number": number, "day": f"{today:%Y-%m-%d}"}
    rows: list[tuple[str, str]] = []
    reason = sub.suspend_reason if sub.status is SubscriptionStatus.SUSPENDED else None
    if isinstance(req, LossRequest):
        what, order_type = "挂失", OrderType.LOSS_REPORT
        require_status(
            sub,
            (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED),
            what,
            reasons=(SuspendReason.ARREARS,),
        )
        check_text(Customer.name, req.reported_by.strip())
        who = req.reported_by.strip()
        rows.append(("挂失人", f"代办人 {mask_name(who)}" if who else "机主本人"))
        to: tuple[SubscriptionStatus, SuspendReason | None] = (
            SubscriptionStatus.SUSPENDED,
            SuspendReason.LOST,
        )
        key = "loss"
    elif isinstance(req, ReinstateRequest):
        what, order_type = "解挂", OrderType.REINSTATE
        require_status(sub, (SubscriptionStatus.SUSPENDED,), what, reasons=(SuspendReason.LOST,))
        if final or req.id_card_read is not None or req.id_number.strip():
            rows.append(
                ("机主证件核验", owner_checked(customer, req.id_card_read, req.id_number, today))
            )
        to = _restored(session, rules, sub, today)
        key = "reinstate_arrears" if to[1] is SuspendReason.ARREARS else "reinstate"
    elif isinstance(req, SuspendRequest) and not isinstance(req, ResumeRequest):
        what, order_type = "停机保号", OrderType.SUSPEND
        require_status(sub, (SubscriptionStatus.ACTIVE,), what)
        values["fee"] = format_yuan(rules.keep_number_fee_fen) + "/月"
        rows.append(("停机保号费", values["fee"] + "（计入账单）"))
        to, key = (SubscriptionStatus.SUSPENDED, SuspendReason.VOLUNTARY), "suspend"
    else:
        what, order_type = "复机", OrderType.RESUME
        if sub.status is SubscriptionStatus.SUSPENDED and reason is SuspendReason.ARREARS:
            raise ValidationError(
                f"号码 {number} 为欠费停机：缴清欠费后自动复机，请办理缴费（Ctrl+J）", NUMBER_FIELD
            )
        if sub.status is SubscriptionStatus.SUSPENDED and reason is SuspendReason.LOST:
            raise ValidationError(f"号码 {number} 为挂失停机：请办理解挂", NUMBER_FIELD)
        require_status(
            sub, (SubscriptionStatus.SUSPENDED,), what, reasons=(SuspendReason.VOLUNTARY,)
        )
        to = _restored(session, rules, sub, today)
        values["plan"] = session.get_one(Product, sub.product_id).name
        key = "resume_arrears" if to[1] is SuspendReason.ARREARS else "resume"
    after = target_text(*to)
    rows[:0] = [("业务号码", number), ("原状态", status_text(sub)), ("办理后状态", after)]
    values["status"] = after
    return _Move(
        what=what,
        order_type=order_type,
        sub=sub,
        customer=customer,
        from_status=sub.status,
        from_reason=reason,
        to_status=to[0],
        to_reason=to[1],
        before=audit_state(sub),
        rows=tuple(rows),
        terms=clauses[key].format(**values),
        now=now,
    )


class NumberChangeKind(ZeroFeeChange[_Move]):
    action = "order.account_change"

    def __init__(self, rules: BusinessRules, req: NumberChange) -> None:
        self._rules = rules
        self._req = req
        self.order_type = OrderType.LOSS_REPORT  # set per change in take
        # 挂失 alone may be taken unsigned: immediate, the owner may not be at the counter
        self.signed = not isinstance(req, LossRequest)

    def prepare(self, session: Session, now: datetime) -> _Move:
        move = prepare_move(session, self._rules, self._req, now, final=True)
        self.order_type = move.order_type
        return move

    def fulfil(
        self, session: Session, actor: Actor, order: Order, context: _Move, pricing: Pricing
    ) -> Changed:
        now = context.now
        reason = Subscription.suspend_reason
        moved = session.execute(
            update(Subscription)
            .where(
                Subscription.id == context.sub.id,
                Subscription.status == context.from_status,
                reason.is_(None) if context.from_reason is None else reason == context.from_reason,
            )
            .values(
                status=context.to_status,
                suspend_reason=context.to_reason,
                suspended_at=now if context.to_reason is not None else None,
                updated_at=now,
            )
            .returning(Subscription.id)
            .execution_options(synchronize_session=False)
        ).all()
        if len(moved) != 1:  # another window changed the number meanwhile
            raise ValidationError("号码状态已由其他窗口变更，请刷新客户资料后重试", NUMBER_FIELD)
        if context.to_reason is SuspendReason.LOST:  # the card may be in a stranger's hands
            revoke_port_codes(session, actor, context.sub.id, now, "挂失")
        order.subscription_id = context.sub.id
        session.refresh(context.sub)
        sub = context.sub
        return Changed(context.what, shown_number(sub), status_text(sub), context.rows)

    def audit_after(self, context: _Move) -> dict[str, object]:
        return {
            "change": context.what,
            "before": context.before,
            "after": audit_state(context.sub),
            "signed": bool(self._req.signature_png),
        }

    def document_details(self, context: _Move, fulfilled: Changed) -> tuple[tuple[str, str], ...]:
        # the form prints the business (受理业务) and the number (业务号码) of the order itself
        rows = tuple(row for row in context.rows if row[0] != "业务号码")
        if not self._req.signature_png:  # only a 挂失 is taken unsigned
            rows += (("客户签字", "未签字（挂失即时办理，机主可不在场）"),)
        return rows
