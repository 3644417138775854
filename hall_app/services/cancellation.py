"""销户: cancelling a mobile number for good.

``check_cancellation`` lists the conditions, each passed or not with its reason; the number
may be cancelled only when all pass:

- 账单: no unpaid bill on the number (the amount outstanding is named; pay it first: 缴费);
- 合约期: no plan lock-in running (``lock_in_until``);
- 合约机: no running contract-phone commitment (the clawback leaving today costs is quoted);
- 分期: no running installment contract for a handset bound to this number;
- 工单: no open install work order on it or on a fusion broadband bundled with it;
- 争议: no balance in dispute: an open complaint (ServiceTicket kind complaint, status open
  or in progress) on the number whose category contains "争议" (e.g. 话费争议).

``cancel`` is one order (``OrderType.CANCEL``, zero sale) on the one pipeline: the refundable
balance (``balance_fen``) is paid back as a negative payment in the clerk's till (cash by
default; a card or transfer names its reference) with the order's refund line, so the receipt
is a 退款小票; the bonus balance (``bonus_fen``) is forfeited, never refunded; the subscription
becomes CANCELLED (``cancelled_at``), its active add-ons end today, its SIM is DEACTIVATED and
the number goes to QUARANTINED until now + ``rules.number_quarantine_days`` (the pool offers
it again only after that). The number's row is synced: the central pool gets the quarantine
with the counter's next push.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.engine import Database
from hall_app.db.models import (
    Customer,
    Order,
    OrderLine,
    Payment,
    PhoneNumber,
    SimCard,
    Subscription,
    SubscriptionAddon,
)
from hall_app.domain.enums import (
    BalanceMovementKind,
    NumberStatus,
    OrderType,
    PaymentMethod,
    SimStatus,
    SubscriptionKind,
    SubscriptionStatus,
)
from hall_app.domain.errors import ValidationError
from hall_app.domain.money import format_yuan
from hall_app.domain.permissions import Permission
from hall_app.domain.pricing import Pricing, price_fee
from hall_app.services.actor import Actor
from hall_app.services.balances import record_movement
from hall_app.services.cancel_checks import CancelCondition, conditions
from hall_app.services.cash import open_session_for_payment
from hall_app.services.handsets import HandsetService, check_signature
from hall_app.services.invoicing import issue_invoice
from hall_app.services.pipeline import OrderKind, OrderPipeline, Priced, Taken, Visit, terms_clauses
from hall_app.services.subscriptions import (
    NUMBER_FIELD,
    audit_state,
    require_status,
    revoke_port_codes,
    shown_number,
    subscription_of,
)

WHAT = "销户"
REFUND_LINE = "退还账户预存余额"
CANCELLABLE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)


@dataclass(frozen=True)
class CancelCheck:
    number_masked: str
    checks: tuple[CancelCondition, ...]
    refund_fen: int  # the refundable balance, paid back
    bonus_forfeit_fen: int  # the bonus balance, forfeited
    clawback_fen: int  # what leaving a running contract phone today would cost
    allowed: bool
    quarantine_days: int
    terms: str  # what the owner signs (for the refund by cash)

    def refusal(self) -> str:
        return "；".join(c.reason for c in self.checks if not c.passed)


@dataclass(frozen=True)
class CancelRequest:
    subscription_id: uuid.UUID
    refund_method: PaymentMethod = PaymentMethod.CASH
    refund_reference: str = ""  # a card or transfer refund's trade number
    signature_png: bytes | None = None
    terms_text: str = ""
    ticket_id: uuid.UUID | None = None


@dataclass(frozen=True)
class CancelDone:
    order_id: uuid.UUID
    order_no: str
    refund_fen: int
    number_masked: str
    quarantined_until: datetime
    bonus_forfeit_fen: int = 0
    till_reopened: bool = False


def cancel_terms(
    number_masked: str, refund_fen: int, bonus_fen: int, method: PaymentMethod, days: int
) -> str:
    c = terms_clauses("sim_cancel")
    parts = [
        c["cancel"].format(number=number_masked, days=days),
        c["cancel_refund"].format(
            refund=format_yuan(refund_fen), method=method.label, bonus=format_yuan(bonus_fen)
        ),
        c["cancel_addons"],
    ]
    return "\n".join(f"{i}. {p}" for i, p in enumerate(parts, 1))


@dataclass(frozen=True)
class _Cancel:
    sub: Subscription
    number_masked: str
    refund_fen: int
    bonus_fen: int
    quarantined_until: datetime
    at: datetime
    before: dict[str, object]
    after: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class _Cancelled:
    refund_fen: int
    till_reopened: bool
    number_masked: str
    quarantined_until: datetime
    bonus_fen: int


def _cancellable(session: Session, subscription_id: uuid.UUID, lock: bool) -> Subscription:
    sub = subscription_of(session, subscription_id, lock=lock)
    if sub.kind is not SubscriptionKind.MOBILE:
        raise ValidationError("这里只办理移动号码销户；宽带、固话请办理拆机", NUMBER_FIELD)
    require_status(sub, CANCELLABLE, WHAT)
    return sub


class Cancellation(OrderKind[_Cancel, _Cancelled]):
    order_type = OrderType.CANCEL
    action = "order.cancel"
    signed = True

    def __init__(self, req: CancelRequest, rules: BusinessRules) -> None:
        self._req = req
        self._rules = rules

    def take(self, session: Session, actor: Actor, now: datetime, offline: bool) -> Taken[_Cancel]:
        sub = _cancellable(session, self._req.subscription_id, True)
        checks, _ = conditions(session, sub, business_date(now))
        failed = [c.reason for c in checks if not c.passed]
        if failed:
            raise ValidationError("不能销户：" + "；".join(failed), NUMBER_FIELD)
        customer = session.get_one(Customer, sub.customer_id)
        until = now + timedelta(days=self._rules.number_quarantine_days)
        return Taken(
            customer,
            _Cancel(
                sub,
                shown_number(sub),
                max(sub.balance_fen, 0),
                max(sub.bonus_fen, 0),
                until,
                now,
                audit_state(sub),
            ),
        )

    def lines(self, context: _Cancel, today: date) -> Priced:
        terms = cancel_terms(
            context.number_masked,
            context.refund_fen,
            context.bonus_fen,
            self._req.refund_method,
            self._rules.number_quarantine_days,
        )
        return Priced(price_fee("", 0, None, None), terms)  # nothing sold; the refund is paid out

    def fulfil(
        self, session: Session, actor: Actor, order: Order, context: _Cancel, pricing: Pricing
    ) -> _Cancelled:
        sub, now, refund = context.sub, context.at, context.refund_fen
        today = business_date(now)
        order.subscription_id = sub.id
        sub.status, sub.cancelled_at = SubscriptionStatus.CANCELLED, now
        sub.suspend_reason, sub.suspended_at = None, None
        record_movement(
            session,
            sub.id,
            BalanceMovementKind.CANCELLATION,
            -sub.balance_fen,
            -sub.bonus_fen,
            at=now,
            order_id=order.id,
        )
        sub.balance_fen, sub.bonus_fen = 0, 0
        sub.next_product_id, sub.next_product_from = None, None
        sub.updated_at = now
        session.execute(
            update(SubscriptionAddon)
            .where(
                SubscriptionAddon.subscription_id == sub.id,
                or_(SubscriptionAddon.active_to.is_(None), SubscriptionAddon.active_to > today),
            )
            .values(active_to=today, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        revoke_port_codes(session, actor, sub.id, now, "销户")
        if sub.sim_id is not None:
            session.execute(
                update(SimCard)
                .where(SimCard.id == sub.sim_id)
                .values(status=SimStatus.DEACTIVATED, updated_at=now)
            )
        pooled = session.execute(
            update(PhoneNumber)
            .where(PhoneNumber.number == sub.service_number)
            .values(
                status=NumberStatus.QUARANTINED,
                quarantined_until=context.quarantined_until,
                reserved_until=None,
                reserved_by_counter_id=None,
                updated_at=now,
            )
            .returning(PhoneNumber.id)
        ).all()
        if not pooled:  # a number older than the pool: it enters it, quarantined
            session.add(
                PhoneNumber(
                    number=sub.service_number,
                    status=NumberStatus.QUARANTINED,
                    hall_id=sub.hall_id,
                    quarantined_until=context.quarantined_until,
                )
            )
        reopened = False
        if refund:
            session.add(
                OrderLine(
                    order_id=order.id,
                    description=REFUND_LINE,
                    quantity=1,
                    unit_price_fen=-refund,
                    amount_fen=-refund,
                    invoiceable=False,  # a prepayment was never invoiced
                )
            )
            till = open_session_for_payment(session, actor, now)
            reopened = till.reopened_after_close
            session.add(
                Payment(
                    order_id=order.id,
                    cash_session_id=till.id,
                    customer_id=sub.customer_id,
                    staff_id=actor.staff_id,
                    method=self._req.refund_method,
                    amount_fen=-refund,
                    tendered_fen=None,
                    change_fen=0,
                    reference=self._req.refund_reference.strip() or None,
                    paid_at=now,
                )
            )
            order.total_fen = -refund
        session.flush()
        context.after.update(audit_state(sub))
        return _Cancelled(
            refund, reopened, context.number_masked, context.quarantined_until, context.bonus_fen
        )

    def audit_after(self, context: _Cancel) -> dict[str, object]:
        return {
            "subscription_id": str(context.sub.id),
            "refund_fen": context.refund_fen,
            "refund_method": self._req.refund_method.value,
            "bonus_forfeit_fen": context.bonus_fen,
            "quarantined_until": context.quarantined_until.isoformat(),
            "before": context.before,
            "after": context.after,
        }

    def document_details(
        self, context: _Cancel, fulfilled: _Cancelled
    ) -> tuple[tuple[str, str], ...]:
        bonus = (("赠送金额作废", format_yuan(context.bonus_fen)),) if context.bonus_fen else ()
        return (  # the number itself is the document's 业务号码
            ("退还余额", f"{format_yuan(context.refund_fen)}（{self._req.refund_method.label}）"),
            *bonus,
            ("号码冷冻至", f"{context.quarantined_until:%Y-%m-%d}"),
        )


class CancellationService:
    def __init__(
        self,
        db: Database,
        rules: BusinessRules,
        clock: Clock,
        handsets: HandsetService,
        *,
        shared_segments: bool = True,
    ) -> None:
        """No central claim: the number is this customer's; its quarantine is pushed."""
        self._db = db
        self._rules = rules
        self._clock = clock
        self._handsets = handsets
        self._pipeline = OrderPipeline(
            db, clock, None, lambda *step: issue_invoice(*step, shared=shared_segments)
        )

    def check_cancellation(
        self,
        actor: Actor,
        subscription_id: uuid.UUID,
        refund_method: PaymentMethod = PaymentMethod.CASH,
    ) -> CancelCheck:
        actor.require(Permission.ORDER_CREATE)
        today = business_date(self._clock())
        with self._db.read() as s:
            sub = _cancellable(s, subscription_id, False)
            checks, _ = conditions(s, sub, today)
            number, refund, bonus = shown_number(sub), max(sub.balance_fen, 0), sub.bonus_fen
        # The clawback as the handset desk quotes it (the same rule, the same date).
        view = self._handsets.contract_clawback(actor, subscription_id, today)
        days = self._rules.number_quarantine_days
        return CancelCheck(
            number_masked=number,
            checks=checks,
            refund_fen=refund,
            bonus_forfeit_fen=max(bonus, 0),
            clawback_fen=view.amount_fen if view else 0,
            allowed=all(c.passed for c in checks),
            quarantine_days=days,
            terms=cancel_terms(number, refund, max(bonus, 0), refund_method, days),
        )

    def cancel(self, actor: Actor, req: CancelRequest) -> CancelDone:
        actor.require(Permission.ORDER_CREATE)
        actor.require(Permission.PAYMENT_TAKE)  # the refund leaves the clerk's till
        check_signature(req.signature_png)
        if req.refund_method is not PaymentMethod.CASH:
            reference = req.refund_reference.strip()
            if len(reference) < 6 or not reference.isalnum():
                raise ValidationError(
                    f"{req.refund_method.label}退款须录入交易参考号（至少 6 位字母或数字）",
                    "交易参考号",
                )
        with self._db.read() as s:
            customer_id = subscription_of(s, req.subscription_id).customer_id
        visit = Visit(customer_id, (), req.ticket_id, req.signature_png, req.terms_text)
        kind = Cancellation(req, self._rules)
        done = self._pipeline.run(actor, kind, visit)
        f = done.fulfilled
        return CancelDone(
            order_id=done.order_id,
            order_no=done.order_no,
            refund_fen=f.refund_fen,
            number_masked=f.number_masked,
            quarantined_until=f.quarantined_until,
            bonus_forfeit_fen=f.bonus_fen,
            till_reopened=f.till_reopened,
        )
