"""预存话费: a top-up to any of our numbers, by anyone (the customer need not be the owner: the
owner's name is shown masked for confirmation).

A top-up is an order (``OrderType.TOP_UP``) on the one order pipeline whose customer is the
number's owner: one PREPAYMENT line, receipt only (domain-rules.md: the VAT invoice follows
consumption), the money in the clerk's till. In the same transaction the number's paid-in
balance rises by the amount and its bonus balance by the top-up offer's bonus (充100送20: used,
never refunded), by one relative UPDATE, so two windows topping up the same number at once
both count. A number suspended for arrears stays suspended: only paying the bills resumes it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.central import CentralLink
from hall_app.db.crypto import open_value
from hall_app.db.engine import Database
from hall_app.db.models import Customer, Order, Subscription
from hall_app.db.models import TopUpOffer as OfferRow
from hall_app.domain.enums import (
    BalanceMovementKind,
    OrderType,
    SubscriptionKind,
    SubscriptionStatus,
    SuspendReason,
)
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.masking import mask_name, mask_phone
from hall_app.domain.money import format_yuan
from hall_app.domain.payments import PaymentInput, SettledPayment
from hall_app.domain.permissions import Permission
from hall_app.domain.pricing import Line, LineKind, Pricing
from hall_app.domain.telecom import Operator, parse_mobile_number
from hall_app.domain.top_up import (
    NUMBER_FIELD,
    TopUpOffer,
    best_offer,
    check_top_up_amount,
    parse_top_up_number,
)
from hall_app.services.actor import Actor
from hall_app.services.balances import record_movement
from hall_app.services.central_numbers import bring_here
from hall_app.services.invoicing import issue_invoice
from hall_app.services.numbers import landline_display
from hall_app.services.pipeline import (
    LineView,
    OrderKind,
    OrderPipeline,
    Priced,
    Taken,
    Visit,
    line_views,
)
from hall_app.services.subscriptions import shown_number, status_text

ARREARS_NOTE = "该号码欠费停机：充值不会复机，缴清欠费（缴费 Ctrl+J）后自动复机"
TOPPABLE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)


@dataclass(frozen=True)
class TopUpTarget:
    subscription_id: uuid.UUID
    customer_id: uuid.UUID
    number: str  # as the clerk typed it (digits only): it is their input, not shown data
    owner_masked: str  # 张*
    kind: SubscriptionKind
    status_text: str  # 正常 / 停机（欠费停机）…
    balance_fen: int
    bonus_fen: int
    arrears_suspended: bool = False  # a top-up does not resume it (bills do)

    @property
    def note(self) -> str:
        return ARREARS_NOTE if self.arrears_suspended else ""


@dataclass(frozen=True)
class TopUpOfferView:
    code: str
    name: str
    min_amount_fen: int
    bonus_fen: int


@dataclass(frozen=True)
class TopUpQuote:
    amount_fen: int
    bonus_fen: int
    offer_name: str | None
    lines: tuple[LineView, ...]


@dataclass(frozen=True)
class TopUpRequest:
    number: str  # as typed ("" with ``subscription_id``)
    amount_fen: int
    payments: tuple[PaymentInput, ...]
    ticket_id: uuid.UUID | None = None
    # The number chosen on the open record (its digits may be masked to the clerk): used
    # instead of ``number`` when given.
    subscription_id: uuid.UUID | None = None


@dataclass(frozen=True)
class TopUpDone:
    order_id: uuid.UUID
    order_no: str
    number_masked: str
    amount_fen: int
    bonus_fen: int
    balance_fen: int  # after the top-up
    bonus_balance_fen: int
    payments: tuple[SettledPayment, ...]
    till_reopened: bool
    offer_name: str | None = None
    arrears_suspended: bool = False


# -- the order kind ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    subscription_id: uuid.UUID
    digits: str  # the number as stored (audited masked)
    number_shown: str  # masked mobile / a landline as written
    amount_fen: int
    offer: TopUpOffer | None
    balance_before: int
    bonus_before: int
    arrears_suspended: bool

    @property
    def bonus_fen(self) -> int:
        return self.offer.bonus_fen if self.offer else 0


@dataclass(frozen=True)
class _Credited:
    target: _Target
    balance_fen: int  # after
    bonus_balance_fen: int  # after


def top_up_pricing(number_shown: str, amount_fen: int) -> Pricing:
    """The one line of a top-up, shown, quoted and charged alike: receipt only."""
    line = Line(LineKind.PREPAYMENT, f"预存话费（{number_shown}）", amount_fen, False)
    return Pricing((line,), (), 0, 0, None)


class TopUp(OrderKind[_Target, _Credited]):
    order_type = OrderType.TOP_UP
    action = "order.top_up"

    def __init__(self, rules: BusinessRules, req: TopUpRequest) -> None:
        self._rules = rules
        self._req = req
        self._amount_fen = req.amount_fen

    def take(self, session: Session, actor: Actor, now: datetime, offline: bool) -> Taken[_Target]:
        sub = _target(session, self._rules, self._req.number, self._req.subscription_id)
        today = business_date(now)
        offer = best_offer(_offers(session), self._amount_fen, today)
        customer = session.get_one(Customer, sub.customer_id)
        return Taken(
            customer,
            _Target(
                sub.id,
                sub.service_number,
                _shown(sub),
                self._amount_fen,
                offer,
                sub.balance_fen,
                sub.bonus_fen,
                _arrears(sub),
            ),
        )

    def lines(self, context: _Target, today: date) -> Priced:
        return Priced(top_up_pricing(context.number_shown, context.amount_fen), "")

    def fulfil(
        self, session: Session, actor: Actor, order: Order, context: _Target, pricing: Pricing
    ) -> _Credited:
        order.subscription_id = context.subscription_id
        # Relative, and only while the number may still take money: a number cancelled at
        # another window meanwhile refuses the whole order.
        row = session.execute(
            update(Subscription)
            .where(
                Subscription.id == context.subscription_id,
                Subscription.status.in_([s.value for s in TOPPABLE]),
            )
            .values(
                balance_fen=Subscription.balance_fen + context.amount_fen,
                bonus_fen=Subscription.bonus_fen + context.bonus_fen,
                updated_at=order.completed_at,
            )
            .returning(Subscription.balance_fen, Subscription.bonus_fen)
            .execution_options(synchronize_session=False)
        ).one_or_none()
        if row is None:
            raise ValidationError("号码状态已变化，不能充值，本次未收费", NUMBER_FIELD)
        record_movement(
            session,
            context.subscription_id,
            BalanceMovementKind.TOP_UP,
            context.amount_fen,
            context.bonus_fen,
            at=order.completed_at or order.created_at,
            order_id=order.id,
        )
        return _Credited(context, row[0], row[1])

    def audit_after(self, context: _Target) -> dict[str, object]:
        return {
            "subscription_id": str(context.subscription_id),
            "number": mask_phone(context.digits),
            "amount_fen": context.amount_fen,
            "bonus_fen": context.bonus_fen,
            "offer": context.offer.code if context.offer else None,
            "balance_before_fen": context.balance_before,
            "bonus_before_fen": context.bonus_before,
            "balance_after_fen": context.balance_before + context.amount_fen,
            "bonus_after_fen": context.bonus_before + context.bonus_fen,
        }

    def document_details(
        self, context: _Target, fulfilled: _Credited
    ) -> tuple[tuple[str, str], ...]:
        # 业务号码 (the order's subscription) is printed already.
        rows = [("充值金额", format_yuan(context.amount_fen))]
        if context.offer is not None:
            rows.append(
                (
                    "赠送金额",
                    f"{format_yuan(context.bonus_fen)}（{context.offer.name}，赠款不退）",
                )
            )
        rows.append(("充值后余额", format_yuan(fulfilled.balance_fen)))
        if fulfilled.bonus_balance_fen:
            rows.append(("赠款余额", format_yuan(fulfilled.bonus_balance_fen)))
        if context.arrears_suspended:
            rows.append(("说明", "欠费停机号码，充值不复机，缴清欠费后复机"))
        return tuple(rows)


# -- lookups -----------------------------------------------------------------------------------


def _target(
    session: Session, rules: BusinessRules, typed: str, subscription_id: uuid.UUID | None
) -> Subscription:
    """The number typed, or the one chosen on the record by its id, refused alike."""
    if subscription_id is None:
        return _find(session, rules, typed)
    sub = session.get(Subscription, subscription_id)
    if sub is None:
        raise NotFound("没有这个号码，请核对后重新输入", NUMBER_FIELD)
    _require_live(sub)
    return sub


def _find(session: Session, rules: BusinessRules, typed: str) -> Subscription:
    """The subscription of a typed number, refused in Chinese (field 充值号码): a malformed
    number, another operator's, unknown, cancelled (已拆机) or not yet opened."""
    number = parse_top_up_number(typed)
    kind = SubscriptionKind.MOBILE if number.mobile else SubscriptionKind.LANDLINE
    # A number given up and later opened again has several rows: the live one first.
    sub = session.scalars(
        select(Subscription)
        .where(
            Subscription.service_number == number.digits,
            Subscription.kind == kind,
        )
        .order_by(
            case((Subscription.status == SubscriptionStatus.CANCELLED.value, 1), else_=0),
            Subscription.activated_at.desc(),
        )
        .limit(1)
    ).first()
    if sub is None:
        if number.mobile:
            ours = Operator(rules.operator)
            segment = parse_mobile_number(number.digits).prefix_operator
            if segment is not ours:
                raise NotFound(
                    f"{number.digits[:3]} 号段属于{segment.label}，不是{ours.label}号码，"
                    "不能在本厅充值",
                    NUMBER_FIELD,
                )
        raise NotFound("没有这个号码，请核对后重新输入", NUMBER_FIELD)
    _require_live(sub)
    return sub


def _require_live(sub: Subscription) -> None:
    if sub.kind is SubscriptionKind.BROADBAND:
        raise ValidationError("宽带账号不能预存话费，请输入手机或固话号码", NUMBER_FIELD)
    if sub.status is SubscriptionStatus.CANCELLED:
        raise ValidationError("该号码已拆机，不能充值", NUMBER_FIELD)
    if sub.status is SubscriptionStatus.PENDING:
        raise ValidationError("该号码尚未开通（待开通），不能充值", NUMBER_FIELD)


def _shown(sub: Subscription) -> str:
    """A mobile number masked, a landline as written (0591-87654321)."""
    if sub.kind is SubscriptionKind.LANDLINE:
        return landline_display(sub.service_number)
    return shown_number(sub)


def _arrears(sub: Subscription) -> bool:
    return (
        sub.status is SubscriptionStatus.SUSPENDED and sub.suspend_reason is SuspendReason.ARREARS
    )


def _offers(session: Session) -> list[TopUpOffer]:
    return [
        TopUpOffer(
            o.code, o.name, o.min_amount_fen, o.bonus_fen, o.valid_from, o.valid_to, o.active
        )
        for o in session.scalars(select(OfferRow).where(OfferRow.active.is_(True)))
    ]


# -- the service -------------------------------------------------------------------------------


class TopUpService:
    def __init__(
        self,
        db: Database,
        rules: BusinessRules,
        clock: Clock,
        *,
        shared_segments: bool = True,
        link: CentralLink | None = None,
    ) -> None:
        """No central claim: the balance is the subscription's, raised by a relative UPDATE in
        the counter's database and recorded as a balance movement that the sync round adds to
        the central balance. A number this counter does not hold (opened at another window or
        hall) is looked up at the central database over ``link`` when online and mirrored here
        with its owner; offline it is unknown here."""
        self._link = link
        self._db = db
        self._rules = rules
        self._clock = clock
        self._pipeline = OrderPipeline(
            db, clock, None, lambda *step: issue_invoice(*step, shared=shared_segments)
        )

    def find_number(self, actor: Actor, number: str) -> TopUpTarget:
        """The number to top up, with its owner masked for the payer to confirm."""
        return self._target(actor, number, None)

    def target(self, actor: Actor, subscription_id: uuid.UUID) -> TopUpTarget:
        """The number chosen on the open record, as ``find_number`` shows it (``number`` is
        then empty: the record may show it masked)."""
        return self._target(actor, "", subscription_id)

    def _target(self, actor: Actor, number: str, subscription_id: uuid.UUID | None) -> TopUpTarget:
        actor.require(Permission.ORDER_CREATE)
        self._bring_here(number, subscription_id)
        with self._db.read() as s:
            sub = _target(s, self._rules, number, subscription_id)
            stored = s.scalar(select(Customer.name).where(Customer.id == sub.customer_id))
            owner = open_value(stored, "customers", "name", sub.customer_id)  # sealed
            return TopUpTarget(
                subscription_id=sub.id,
                customer_id=sub.customer_id,
                number=parse_top_up_number(number).digits if subscription_id is None else "",
                owner_masked=mask_name(owner or ""),
                kind=sub.kind,
                status_text=status_text(sub),
                balance_fen=sub.balance_fen,
                bonus_fen=sub.bonus_fen,
                arrears_suspended=_arrears(sub),
            )

    def offers(self, actor: Actor, on: date | None = None) -> tuple[TopUpOfferView, ...]:
        """The top-up offers valid on ``on`` (today), smallest minimum first."""
        actor.require(Permission.ORDER_CREATE)
        day = on or business_date(self._clock())
        with self._db.read() as s:
            valid = [o for o in _offers(s) if o.valid_on(day)]
        return tuple(
            TopUpOfferView(o.code, o.name, o.min_amount_fen, o.bonus_fen)
            for o in sorted(valid, key=lambda o: (o.min_amount_fen, o.code))
        )

    def quote_top_up(
        self,
        actor: Actor,
        number: str,
        amount_fen: int,
        *,
        subscription_id: uuid.UUID | None = None,
    ) -> TopUpQuote:
        """What a top-up of ``amount_fen`` to ``number`` would be: the line, the bonus and the
        offer giving it (the same rules the top-up applies)."""
        actor.require(Permission.ORDER_CREATE)
        check_top_up_amount(amount_fen, self._rules.top_up_min_fen, self._rules.top_up_max_fen)
        self._bring_here(number, subscription_id)
        with self._db.read() as s:
            sub = _target(s, self._rules, number, subscription_id)
            offer = best_offer(_offers(s), amount_fen, business_date(self._clock()))
            shown = _shown(sub)
        return TopUpQuote(
            amount_fen=amount_fen,
            bonus_fen=offer.bonus_fen if offer else 0,
            offer_name=offer.name if offer else None,
            lines=line_views(top_up_pricing(shown, amount_fen)),
        )

    def top_up(self, actor: Actor, req: TopUpRequest) -> TopUpDone:
        """充值: the amount on the number's balance at once, the offer's bonus on its bonus
        balance; a receipt, no invoice."""
        actor.require(Permission.ORDER_CREATE)
        actor.require(Permission.PAYMENT_TAKE)
        check_top_up_amount(req.amount_fen, self._rules.top_up_min_fen, self._rules.top_up_max_fen)
        self._bring_here(req.number, req.subscription_id)
        with self._db.read() as s:
            owner = _target(s, self._rules, req.number, req.subscription_id).customer_id
        kind = TopUp(self._rules, req)
        done = self._pipeline.run(actor, kind, Visit(owner, req.payments, req.ticket_id))
        credited = done.fulfilled
        target = credited.target
        return TopUpDone(
            order_id=done.order_id,
            order_no=done.order_no,
            number_masked=target.number_shown,
            amount_fen=target.amount_fen,
            bonus_fen=target.bonus_fen,
            balance_fen=credited.balance_fen,
            bonus_balance_fen=credited.bonus_balance_fen,
            payments=done.payments,
            till_reopened=done.till_reopened,
            offer_name=target.offer.name if target.offer else None,
            arrears_suspended=target.arrears_suspended,
        )

    def _bring_here(self, typed: str, subscription_id: uuid.UUID | None) -> None:
        """A typed number this counter does not hold: online, looked up at the central
        database and mirrored here; else the local lookup refuses it as before."""
        if subscription_id is not None or self._link is None or not self._link.online:
            return
        with self._db.read() as s:
            try:
                _find(s, self._rules, typed)
                return
            except NotFound:
                pass
        bring_here(self._db, self._link, lambda central: _find(central, self._rules, typed))
