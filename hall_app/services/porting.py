"""携号转网资格查询 and 授权码: whether a mobile number may port out (the five conditions of
domain-rules.md, hall_app.domain.porting), and, when every one passes, the authorisation code.

The code is an order (``OrderType.PORT_AUTH``, no fee) on the one pipeline, signed by the
owner on the customer screen: inside it the conditions are checked again on the locked
subscription, a ``PortAuthCode`` row is written (a random code valid
``rules.port_code_valid_hours``) and the code with its expiry is kept in the order's document
details, so the acceptance form (业务受理单) prints it. While a code of the number is still
valid a second one is refused, naming the order that issued it (its form can be reprinted).
The code is never written to the audit log.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date, fmt_local
from hall_app.config import BusinessRules
from hall_app.db.engine import Database
from hall_app.db.models import (
    Bill,
    Customer,
    Device,
    Order,
    PortAuthCode,
    Product,
    Subscription,
)
from hall_app.domain.enums import (
    BillStatus,
    OrderType,
    SubscriptionKind,
    SubscriptionStatus,
)
from hall_app.domain.errors import ValidationError
from hall_app.domain.handsets import clawback
from hall_app.domain.money import format_yuan
from hall_app.domain.permissions import Permission
from hall_app.domain.porting import (
    Agreement,
    PortCondition,
    PortFacts,
    UnpaidBill,
    new_port_code,
    port_conditions,
)
from hall_app.domain.pricing import Pricing
from hall_app.services.actor import Actor
from hall_app.services.handsets import check_signature, running_commitment
from hall_app.services.invoicing import issue_invoice
from hall_app.services.pipeline import (
    OrderKind,
    OrderPipeline,
    Priced,
    Taken,
    Visit,
    require_signed,
    terms_clauses,
)
from hall_app.services.subscriptions import (
    NUMBER_FIELD,
    bound_instalments,
    shown_number,
    status_text,
    subscription_of,
)

PORT_FIELD = "携号转网"
CODE_FIELD = "授权码"
OPEN_BILLS = (BillStatus.UNPAID, BillStatus.PARTLY_PAID)


@dataclass(frozen=True)
class ValidCode:
    """A code of the number still valid: the order that issued it and until when."""

    code: str
    expires_at: datetime
    order_no: str
    order_id: uuid.UUID | None


@dataclass(frozen=True)
class PortCheck:
    subscription_id: uuid.UUID
    number_masked: str
    conditions: tuple[PortCondition, ...]
    allowed: bool
    terms: str  # what the owner signs for a code ("" when not allowed)
    valid_code: ValidCode | None = None  # one issued before and still valid


@dataclass(frozen=True)
class PortCodeRequest:
    subscription_id: uuid.UUID
    ticket_id: uuid.UUID | None = None
    signature_png: bytes | None = None
    terms_text: str = ""


@dataclass(frozen=True)
class PortCodeDone:
    order_id: uuid.UUID
    order_no: str
    code: str
    expires_at: datetime
    number_masked: str


def port_terms(number_masked: str, rules: BusinessRules) -> str:
    """The numbered terms of a code: the quote (``check_porting``) and the order both use it."""
    c = terms_clauses("porting")
    clauses = (
        c["request"].format(number=number_masked, days=rules.port_min_tenure_days),
        c["code"].format(hours=rules.port_code_valid_hours),
        c["after"],
        c["pledge"],
    )
    return "\n".join(f"{i}. {text}" for i, text in enumerate(clauses, start=1))


def _mobile(session: Session, subscription_id: uuid.UUID, *, lock: bool = False) -> Subscription:
    sub = subscription_of(session, subscription_id, lock=lock)
    if sub.kind is not SubscriptionKind.MOBILE:
        raise ValidationError(
            f"携号转网只适用于移动号码，{sub.service_number} 不是移动号码", NUMBER_FIELD
        )
    return sub


def _facts(session: Session, sub: Subscription, today: date) -> PortFacts:
    customer = session.get_one(Customer, sub.customer_id)
    bills = session.execute(
        select(Bill.period, Bill.amount_fen - Bill.paid_fen)
        .where(Bill.subscription_id == sub.id, Bill.status.in_(OPEN_BILLS))
        .order_by(Bill.period)
    ).all()
    return PortFacts(
        real_name_on=(
            business_date(customer.real_name_verified_at)
            if customer.real_name_verified_at is not None
            else None
        ),
        active=sub.status is SubscriptionStatus.ACTIVE,
        status_text=status_text(sub),
        unpaid=tuple(UnpaidBill(p, owed) for p, owed in bills if owed > 0),
        agreements=_agreements(session, sub, today),
        activated_on=business_date(sub.activated_at) if sub.activated_at else None,
    )


def _agreements(session: Session, sub: Subscription, today: date) -> tuple[Agreement, ...]:
    """The number's unexpired minimum-term agreements: its lock-in (a pretty number's or a
    plan's 在网期限), a running contract phone, an installment contract for a handset bound to
    it (through the device or the sale order) with instalments unpaid."""
    out = []
    if sub.lock_in_until is not None and sub.lock_in_until >= today:
        out.append(Agreement("在网约定期", sub.lock_in_until))
    commitment = running_commitment(session, sub.id, today)
    if commitment is not None:
        device = session.get_one(Device, commitment.device_id)
        name = session.get_one(Product, device.product_id).name
        owed = clawback(commitment.subsidy_fen, commitment.months, commitment.starts_on, today)
        out.append(
            Agreement(
                f"合约机“{name}”合约期",
                commitment.ends_on,
                f"提前解约须退还购机优惠 {format_yuan(owed.amount_fen)}",
            )
        )
    for c in bound_instalments(session, sub.id):
        if not c.unpaid:
            continue
        out.append(
            Agreement(
                f"分期合同 {c.order_no} 尚有 {c.unpaid} 期未还"
                f"（{format_yuan(c.unpaid_fen)}），还款期",
                c.last_due,
                "可提前结清",
            )
        )
    return tuple(out)


def _valid_code(session: Session, subscription_id: uuid.UUID, now: datetime) -> ValidCode | None:
    row = session.execute(
        select(PortAuthCode, Order.order_no)
        .outerjoin(Order, Order.id == PortAuthCode.order_id)
        .where(
            PortAuthCode.subscription_id == subscription_id,
            PortAuthCode.revoked.is_(False),
            PortAuthCode.expires_at > now,
        )
        .order_by(PortAuthCode.expires_at.desc())
    ).first()
    if row is None:
        return None
    code, order_no = row
    return ValidCode(code.code, code.expires_at, order_no or "", code.order_id)


def _refusal(conditions: tuple[PortCondition, ...]) -> ValidationError:
    failed = "；".join(f"{c.name}：{c.reason}" for c in conditions if not c.passed)
    return ValidationError(f"不符合携号转网条件，不能生成授权码。{failed}", PORT_FIELD)


def _already_issued(number: str, valid: ValidCode) -> ValidationError:
    return ValidationError(
        f"号码 {number} 已有有效的授权码（受理单 {valid.order_no}，有效至 "
        f"{fmt_local(valid.expires_at)}），有效期内不重复生成；可重打该单的业务受理单",
        CODE_FIELD,
    )


# -- the order kind ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Eligible:
    subscription_id: uuid.UUID
    customer_id: uuid.UUID
    number_masked: str
    terms: str
    at: datetime


@dataclass(frozen=True)
class _Issued:
    code_id: uuid.UUID
    code: str
    expires_at: datetime


class PortAuthorisation(OrderKind[_Eligible, _Issued]):
    """携号转网授权: no fee, no lines; the code and its expiry on the acceptance form."""

    order_type = OrderType.PORT_AUTH
    action = "order.port_auth"

    def __init__(self, subscription_id: uuid.UUID, rules: BusinessRules) -> None:
        self._subscription_id = subscription_id
        self._rules = rules

    def take(
        self, session: Session, actor: Actor, now: datetime, offline: bool
    ) -> Taken[_Eligible]:
        # Two windows asking for the same number at once get one code. The first statement
        # writes (on the number's valid codes, changing nothing): on SQLite it takes the
        # database's write lock before anything is read, so the second window waits and then
        # finds the first one's code; on PostgreSQL the subscription's row lock below does.
        session.execute(
            update(PortAuthCode)
            .where(
                PortAuthCode.subscription_id == self._subscription_id,
                PortAuthCode.revoked.is_(False),
                PortAuthCode.expires_at > now,
            )
            .values(revoked=False)
            .execution_options(synchronize_session=False)
        )
        sub = _mobile(session, self._subscription_id, lock=True)
        number = shown_number(sub)
        conditions = port_conditions(
            _facts(session, sub, business_date(now)),
            business_date(now),
            self._rules.port_min_tenure_days,
        )
        if not all(c.passed for c in conditions):
            raise _refusal(conditions)
        valid = _valid_code(session, sub.id, now)
        if valid is not None:
            raise _already_issued(number, valid)
        customer = session.get_one(Customer, sub.customer_id)
        return Taken(
            customer,
            _Eligible(sub.id, sub.customer_id, number, port_terms(number, self._rules), now),
        )

    def lines(self, context: _Eligible, today: date) -> Priced:
        return Priced(Pricing((), (), 0, 0, None), context.terms)

    def fulfil(
        self, session: Session, actor: Actor, order: Order, context: _Eligible, pricing: Pricing
    ) -> _Issued:
        order.subscription_id = context.subscription_id
        expires = context.at + timedelta(hours=self._rules.port_code_valid_hours)
        row = PortAuthCode(
            subscription_id=context.subscription_id,
            customer_id=context.customer_id,
            order_id=order.id,
            staff_id=actor.staff_id,
            code=new_port_code(),
            issued_at=context.at,
            expires_at=expires,
            revoked=False,
        )
        session.add(row)
        session.flush()
        return _Issued(row.id, row.code, expires)

    def audit_after(self, context: _Eligible) -> dict[str, object]:
        # The code itself is a credential of the customer's: never in the audit log.
        return {
            "number": context.number_masked,
            "subscription_id": str(context.subscription_id),
            "valid_hours": self._rules.port_code_valid_hours,
        }

    def document_details(
        self, context: _Eligible, fulfilled: _Issued
    ) -> tuple[tuple[str, str], ...]:
        # The number itself is printed already (业务号码: the order's subscription).
        return (
            ("资格查询", "已实名、状态正常、无欠费、无未到期协议、在网时长，五项均符合"),
            ("携号转网授权码", fulfilled.code),
            ("授权码有效期至", fmt_local(fulfilled.expires_at)),
        )


# -- the service -------------------------------------------------------------------------------


class PortingService:
    def __init__(
        self, db: Database, rules: BusinessRules, clock: Clock, *, shared_segments: bool = True
    ) -> None:
        """No central claim: the code belongs to the number, and the locked subscription in the
        counter's database decides between two windows (the row is pushed by the sync)."""
        self._db = db
        self._rules = rules
        self._clock = clock
        self._pipeline = OrderPipeline(
            db, clock, None, lambda *step: issue_invoice(*step, shared=shared_segments)
        )

    def check_porting(self, actor: Actor, subscription_id: uuid.UUID) -> PortCheck:
        """携号转网资格查询: each of the five conditions with its reason; the terms of a code
        when all pass, and a code still valid from an earlier request."""
        actor.require(Permission.CUSTOMER_VIEW)
        now = self._clock()
        today = business_date(now)
        with self._db.read() as s:
            sub = _mobile(s, subscription_id)
            number = shown_number(sub)
            conditions = port_conditions(
                _facts(s, sub, today), today, self._rules.port_min_tenure_days
            )
            allowed = all(c.passed for c in conditions)
            return PortCheck(
                subscription_id=sub.id,
                number_masked=number,
                conditions=conditions,
                allowed=allowed,
                terms=port_terms(number, self._rules) if allowed else "",
                valid_code=_valid_code(s, sub.id, now),
            )

    def issue_port_code(self, actor: Actor, req: PortCodeRequest) -> PortCodeDone:
        """生成授权码: refused unless every condition passes, and while a code of the number is
        still valid. Only for the owner in person: the terms signed on the customer screen."""
        actor.require(Permission.ORDER_CREATE)
        require_signed(req.terms_text, req.signature_png)
        check_signature(req.signature_png)
        with self._db.read() as s:
            customer_id = _mobile(s, req.subscription_id).customer_id
        done = self._pipeline.run(
            actor,
            PortAuthorisation(req.subscription_id, self._rules),
            Visit(customer_id, (), req.ticket_id, req.signature_png, req.terms_text),
        )
        issued = done.fulfilled
        with self._db.read() as s:
            number = shown_number(subscription_of(s, req.subscription_id))
        return PortCodeDone(done.order_id, done.order_no, issued.code, issued.expires_at, number)
