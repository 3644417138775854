"""套餐变更 and 增值业务 on an existing number, each an order on the one order pipeline.

A plan change (``OrderType.PLAN_CHANGE``) takes effect at once or on the first of next month
(hall_app/domain/plan_change.py has the rules); a pending next-month change is replaced by a
newer one. Leaving a lock-in early is a CHARGE line (the contract phone's clawback or the
downgrade penalty, invoiced under the current plan's VAT category) paid on the shared payment
page; every other change has no fee and no payment. Subscribing to a value-added service
(``ADD_VALUE_ADDED``) adds a ``SubscriptionAddon`` from today, its monthly fee billed by the
bills run (nothing is charged now); unsubscribing (``REMOVE_VALUE_ADDED``) ends it on the last
day of this month. Subscribing again to one ending this month keeps it (no second row).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.engine import Database
from hall_app.db.models import (
    Customer,
    HandsetCommitment,
    Order,
    Product,
    Subscription,
    SubscriptionAddon,
    VatCategory,
)
from hall_app.domain.enums import (
    ContractStatus,
    OrderType,
    ProductKind,
    SubscriptionKind,
    SubscriptionStatus,
)
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.payments import PaymentInput, SettledPayment
from hall_app.domain.permissions import Permission
from hall_app.domain.plan_change import (
    DIRECTION_LABELS,
    EFFECT_LABELS,
    IMMEDIATE,
    Commitment,
    Effect,
    last_of_month,
    penalty_reason,
    plan_change_terms,
    plan_effect,
    vas_terms,
)
from hall_app.domain.pricing import Line, LineKind, Pricing, VatClass, _invoice_items
from hall_app.services.actor import Actor
from hall_app.services.handsets import HandsetService, check_signature, commitment_clawback
from hall_app.services.invoicing import issue_invoice
from hall_app.services.pipeline import (
    LineView,
    OrderKind,
    OrderPipeline,
    Priced,
    Taken,
    Visit,
    line_views,
    terms_clauses,
)
from hall_app.services.subscriptions import (
    audit_state,
    require_status,
    shown_number,
    status_text,
    subscription_of,
)

PLAN_FIELD = "套餐"
PENALTY_FIELD = "违约金"
VAS_FIELD = "增值业务"
PLAN_KINDS = {
    SubscriptionKind.MOBILE: ProductKind.MOBILE_PLAN,
    SubscriptionKind.BROADBAND: ProductKind.BROADBAND_PLAN,
    SubscriptionKind.LANDLINE: ProductKind.LANDLINE_PLAN,
}


@dataclass(frozen=True)
class PlanOption:
    product_id: uuid.UUID
    code: str
    name: str
    monthly_fen: int
    direction: str  # upgrade / downgrade / same
    effect: str  # immediate / next_month
    effective_on: date
    penalty_fen: int  # paid now to leave a lock-in (the customer must agree)
    clawback_fen: int  # the part of it that is a contract phone's clawback
    allowed: bool
    reason: str  # why not, or what it costs; "" when nothing to say

    @property
    def label(self) -> str:
        return f"{DIRECTION_LABELS[self.direction]}·{EFFECT_LABELS[self.effect]}"


@dataclass(frozen=True)
class CurrentPlan:
    subscription_id: uuid.UUID
    number: str  # masked
    status: str
    product_id: uuid.UUID
    name: str
    monthly_fen: int
    lock_in_until: date | None
    pending_name: str  # a change waiting for next month ("" when none)
    pending_from: date | None


@dataclass(frozen=True)
class PlanOptions:
    current: CurrentPlan
    plans: tuple[PlanOption, ...]
    refusal: str = ""  # why the number's state refuses any change ("" when it may change)


@dataclass(frozen=True)
class ChangeQuote:
    option: PlanOption
    lines: tuple[LineView, ...]
    total_fen: int
    terms_text: str


@dataclass(frozen=True)
class PlanChangeRequest:
    subscription_id: uuid.UUID
    product_id: uuid.UUID
    payments: tuple[PaymentInput, ...] = ()
    pay_penalty: bool = False
    signature_png: bytes | None = None
    terms_text: str = ""
    ticket_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ChangeDone:
    order_id: uuid.UUID
    order_no: str
    effective_on: date
    total_fen: int
    payments: tuple[SettledPayment, ...]
    invoice_no: str | None
    till_reopened: bool


@dataclass(frozen=True)
class VasView:
    product_id: uuid.UUID
    code: str
    name: str
    monthly_fen: int
    active: bool
    active_from: date | None
    active_to: date | None  # the last day of one unsubscribed (None: running on)


@dataclass(frozen=True)
class VasRequest:
    subscription_id: uuid.UUID
    product_id: uuid.UUID
    signature_png: bytes | None = None
    terms_text: str = ""
    ticket_id: uuid.UUID | None = None


# -- deciding a plan change (the quote, the options and the order share it) -------------------


@dataclass(frozen=True)
class _PlanTaken:
    sub: Subscription
    before: dict[str, object]
    current: Product
    target: Product
    fx: Effect
    commitment_id: uuid.UUID | None
    vat: VatClass | None
    terms: str
    at: datetime


def _commitment(
    session: Session, sub_id: uuid.UUID, today: date
) -> tuple[uuid.UUID, Commitment] | None:
    view = commitment_clawback(session, sub_id, today)
    if view is None:
        return None
    row = session.get_one(HandsetCommitment, view.commitment_id)
    return view.commitment_id, Commitment(view.handset_name, row.min_plan_fen, view.amount_fen)


def _effect(
    session: Session, sub: Subscription, target: Product, today: date, rules: BusinessRules
) -> tuple[Effect, uuid.UUID | None, Commitment | None]:
    found = _commitment(session, sub.id, today)
    running = found[1] if found else None
    fx = plan_effect(
        sub.product.price_fen,
        target.price_fen,
        target.upgrade_effect,
        today,
        lock_in_until=sub.lock_in_until,
        commitment=running,
        downgrade_penalty_fen=rules.downgrade_penalty_fen,
    )
    return fx, (found[0] if found and fx.clawback else None), running


def _lock_running(lock_in_until: date | None, today: date) -> bool:
    return lock_in_until is not None and lock_in_until >= today


def status_refusal(sub: Subscription, what: str) -> str:
    """The refusal ``require_status`` gives ``what`` on this number ("" when it is 正常)."""
    try:
        require_status(sub, (SubscriptionStatus.ACTIVE,), what)
    except ValidationError as exc:
        return exc.text
    return ""


def _refusal(sub: Subscription, target: Product) -> str:
    """Why this plan cannot be chosen at all ("" when it can)."""
    if target.kind is not PLAN_KINDS[sub.kind]:
        return f"“{target.name}”不是{sub.kind.label}的套餐"
    if not target.active:
        return f"“{target.name}”已停售"
    if target.id == sub.product_id:
        return "当前套餐，无需变更"
    if target.id == sub.next_product_id:
        return f"已预约自 {sub.next_product_from} 起变更为该套餐"
    return ""


def _option(
    session: Session, sub: Subscription, target: Product, today: date, rules: BusinessRules
) -> PlanOption:
    fx, _cid, commitment = _effect(session, sub, target, today, rules)
    refusal = _refusal(sub, target)
    return PlanOption(
        target.id,
        target.code,
        target.name,
        target.price_fen,
        fx.direction,
        fx.effect,
        fx.effective_on,
        fx.penalty_fen,
        fx.penalty_fen if fx.clawback else 0,
        not refusal,
        refusal or penalty_reason(fx, sub.lock_in_until, commitment),
    )


def _decide(
    session: Session,
    subscription_id: uuid.UUID,
    product_id: uuid.UUID,
    pay_penalty: bool,
    now: datetime,
    rules: BusinessRules,
    *,
    lock: bool,
) -> _PlanTaken:
    today = business_date(now)
    sub = subscription_of(session, subscription_id, lock=lock)
    require_status(sub, (SubscriptionStatus.ACTIVE,), "套餐变更")
    target = session.get(Product, product_id)
    if target is None:
        raise NotFound("没有这个套餐", PLAN_FIELD)
    refusal = _refusal(sub, target)
    if refusal:
        raise ValidationError(refusal, PLAN_FIELD)
    fx, cid, commitment = _effect(session, sub, target, today, rules)
    if fx.penalty_fen and not pay_penalty:
        raise ValidationError(penalty_reason(fx, sub.lock_in_until, commitment), PENALTY_FIELD)
    vat = None
    if fx.penalty_fen:
        row = session.get_one(VatCategory, sub.product.vat_category_id)
        vat = VatClass(row.id, row.invoice_label, Decimal(row.rate))
    terms = plan_change_terms(
        terms_clauses("plan_change"),
        number=shown_number(sub),
        old=(sub.product.name, sub.product.price_fen),
        new=(target.name, target.price_fen),
        fx=fx,
        lock_in_until=sub.lock_in_until,
        commitment=commitment,
    )
    return _PlanTaken(sub, audit_state(sub), sub.product, target, fx, cid, vat, terms, now)


def _plan_pricing(t: _PlanTaken) -> Priced:
    lines: list[Line] = []
    if t.fx.penalty_fen:
        what = "合约购机优惠退还" if t.fx.clawback else "降档违约金"
        lines.append(
            Line(
                LineKind.CHARGE,
                f"{what}（{t.current.name}→{t.target.name}）",
                t.fx.penalty_fen,
                True,
                t.current.id,
                t.vat,
            )
        )
    return Priced(Pricing(tuple(lines), _invoice_items(lines), 0, 0, None), t.terms)


class _PlanChange(OrderKind[_PlanTaken, Effect]):
    order_type = OrderType.PLAN_CHANGE
    action = "order.plan_change"
    signed = True

    def __init__(self, req: PlanChangeRequest, rules: BusinessRules) -> None:
        self._req = req
        self._rules = rules

    def take(
        self, session: Session, actor: Actor, now: datetime, offline: bool
    ) -> Taken[_PlanTaken]:
        r = self._req
        t = _decide(
            session, r.subscription_id, r.product_id, r.pay_penalty, now, self._rules, lock=True
        )
        return Taken(session.get_one(Customer, t.sub.customer_id), t)

    def lines(self, context: _PlanTaken, today: date) -> Priced:
        return _plan_pricing(context)

    def fulfil(
        self,
        session: Session,
        actor: Actor,
        order: Order,
        context: _PlanTaken,
        pricing: Pricing,
    ) -> Effect:
        sub, fx, now = context.sub, context.fx, context.at
        if fx.effect == IMMEDIATE:
            sub.product_id = context.target.id
            sub.next_product_id, sub.next_product_from = None, None
        else:
            sub.next_product_id, sub.next_product_from = context.target.id, fx.effective_on
        if fx.penalty_fen:
            sub.lock_in_until = None  # paid to leave it
        if context.commitment_id is not None:
            c = session.get_one(HandsetCommitment, context.commitment_id)
            c.status, c.ended_at, c.clawback_fen = ContractStatus.TERMINATED, now, fx.penalty_fen
        sub.updated_at = now
        session.flush()
        return fx

    def audit_after(self, context: _PlanTaken) -> dict[str, object]:
        return {
            "subscription_id": str(context.sub.id),
            "direction": context.fx.direction,
            "effective_on": context.fx.effective_on.isoformat(),
            "penalty_fen": context.fx.penalty_fen,
            "clawback": context.fx.clawback,
            "before": context.before,
            "after": audit_state(context.sub),
        }

    def document_details(
        self, context: _PlanTaken, fulfilled: Effect
    ) -> tuple[tuple[str, str], ...]:
        return (
            ("业务号码", shown_number(context.sub)),
            ("原套餐", f"{context.current.name}"),
            ("新套餐", f"{context.target.name}"),
            (
                "变更类型",
                f"{DIRECTION_LABELS[fulfilled.direction]}，{EFFECT_LABELS[fulfilled.effect]}",
            ),
            ("生效日期", fulfilled.effective_on.isoformat()),
        )


# -- value-added services ----------------------------------------------------------------------


@dataclass(frozen=True)
class _VasTaken:
    sub: Subscription
    product: Product
    addon: SubscriptionAddon | None  # the row changed (None: a new one is added)
    terms: str
    today: date
    at: datetime


def _vas_rows(session: Session, sub_id: uuid.UUID, today: date) -> list[SubscriptionAddon]:
    """The subscription's addons running today or later."""
    return list(
        session.scalars(
            select(SubscriptionAddon).where(
                SubscriptionAddon.subscription_id == sub_id,
                (SubscriptionAddon.active_to.is_(None)) | (SubscriptionAddon.active_to >= today),
            )
        ).all()
    )


def _vas_decide(
    session: Session, req: VasRequest, subscribe: bool, now: datetime, *, lock: bool
) -> _VasTaken:
    today = business_date(now)
    sub = subscription_of(session, req.subscription_id, lock=lock)
    require_status(sub, (SubscriptionStatus.ACTIVE,), "增值业务")
    product = session.get(Product, req.product_id)
    if product is None or product.kind is not ProductKind.VALUE_ADDED:
        raise ValidationError("所选产品不是增值业务", VAS_FIELD)
    rows = [a for a in _vas_rows(session, sub.id, today) if a.product_id == product.id]
    running = next((a for a in rows if a.active_to is None), None)
    ending = next((a for a in rows if a.active_to is not None), None)
    if subscribe:
        if running is not None:
            raise ValidationError(f"号码已订购“{product.name}”，无需重复订购", VAS_FIELD)
        if not product.active:
            raise ValidationError(f"“{product.name}”已停售", VAS_FIELD)
        addon = ending
    else:
        if running is None:
            note = f"，已退订（{ending.active_to} 后失效）" if ending else ""
            raise ValidationError(f"号码未订购“{product.name}”{note}", VAS_FIELD)
        addon = running
    terms = vas_terms(
        terms_clauses("plan_change"),
        subscribe=subscribe,
        number=shown_number(sub),
        name=product.name,
        fee_fen=product.price_fen,
        on=today,
    )
    return _VasTaken(sub, product, addon, terms, today, now)


class _Vas(OrderKind[_VasTaken, SubscriptionAddon]):
    def __init__(self, req: VasRequest, subscribe: bool) -> None:
        self._req = req
        self._subscribe = subscribe
        self.order_type = OrderType.ADD_VALUE_ADDED if subscribe else OrderType.REMOVE_VALUE_ADDED

    action = "order.value_added"
    signed = True

    def take(
        self, session: Session, actor: Actor, now: datetime, offline: bool
    ) -> Taken[_VasTaken]:
        t = _vas_decide(session, self._req, self._subscribe, now, lock=True)
        return Taken(session.get_one(Customer, t.sub.customer_id), t)

    def lines(self, context: _VasTaken, today: date) -> Priced:
        return Priced(Pricing((), (), 0, 0, None), context.terms)

    def fulfil(
        self, session: Session, actor: Actor, order: Order, context: _VasTaken, pricing: Pricing
    ) -> SubscriptionAddon:
        addon = context.addon
        if addon is None:
            addon = SubscriptionAddon(
                subscription_id=context.sub.id,
                product_id=context.product.id,
                active_from=context.today,
                active_to=None,
            )
            session.add(addon)
        else:
            addon.active_to = None if self._subscribe else last_of_month(context.today)
            addon.updated_at = context.at
        session.flush()
        return addon

    def audit_after(self, context: _VasTaken) -> dict[str, object]:
        return {
            "subscription_id": str(context.sub.id),
            "number": shown_number(context.sub),
            "product": context.product.code,
            "subscribe": self._subscribe,
        }

    def document_details(
        self, context: _VasTaken, fulfilled: SubscriptionAddon
    ) -> tuple[tuple[str, str], ...]:
        until = fulfilled.active_to.isoformat() if fulfilled.active_to else "长期"
        return (
            ("业务号码", shown_number(context.sub)),
            ("增值业务", context.product.name),
            ("办理", "订购" if self._subscribe else "退订"),
            ("有效期", f"{fulfilled.active_from.isoformat()} 至 {until}"),
        )


# -- the service -------------------------------------------------------------------------------


class PlanChangeService:
    def __init__(
        self,
        db: Database,
        rules: BusinessRules,
        clock: Clock,
        handsets: HandsetService,
        *,
        shared_segments: bool = True,
    ) -> None:
        """``handsets``: the contract phone's clawback (read inside the order's own
        transaction through the same function, ``handsets.commitment_clawback``)."""
        self._db = db
        self._rules = rules
        self._clock = clock
        self._handsets = handsets
        self._pipeline = OrderPipeline(
            db, clock, None, lambda *step: issue_invoice(*step, shared=shared_segments)
        )

    # -- plan change -----------------------------------------------------------------------

    def plan_options(self, actor: Actor, subscription_id: uuid.UUID) -> PlanOptions:
        """The plans the number may change to (same kind, on sale), cheapest first, each with
        its direction, effect date and what leaving a lock-in costs."""
        actor.require(Permission.CUSTOMER_VIEW)
        now = self._clock()
        today = business_date(now)
        with self._db.read() as s:
            sub = subscription_of(s, subscription_id)
            products = s.scalars(
                select(Product)
                .where(Product.kind == PLAN_KINDS[sub.kind], Product.active.is_(True))
                .order_by(Product.price_fen, Product.code)
            ).all()
            pending = sub.next_product
            current = CurrentPlan(
                sub.id,
                shown_number(sub),
                status_text(sub),
                sub.product_id,
                sub.product.name,
                sub.product.price_fen,
                sub.lock_in_until if _lock_running(sub.lock_in_until, today) else None,
                pending.name if pending else "",
                sub.next_product_from,
            )
            plans = tuple(
                _option(s, sub, p, today, self._rules) for p in products if p.id != sub.product_id
            )
            refusal = status_refusal(sub, "套餐变更")
        return PlanOptions(current, plans, refusal)

    def quote_plan_change(
        self,
        actor: Actor,
        subscription_id: uuid.UUID,
        product_id: uuid.UUID,
        *,
        pay_penalty: bool = False,
    ) -> ChangeQuote:
        """What the change costs and the terms to sign; refused as ``change_plan`` would."""
        actor.require(Permission.CUSTOMER_VIEW)
        now = self._clock()
        with self._db.read() as s:
            t = _decide(s, subscription_id, product_id, pay_penalty, now, self._rules, lock=False)
            option = _option(s, t.sub, t.target, business_date(now), self._rules)
            priced = _plan_pricing(t)
        return ChangeQuote(
            option, line_views(priced.pricing), priced.pricing.total_fen, priced.terms
        )

    def change_plan(self, actor: Actor, req: PlanChangeRequest) -> ChangeDone:
        actor.require(Permission.ORDER_CREATE)
        if req.pay_penalty:
            actor.require(Permission.PAYMENT_TAKE)
        check_signature(req.signature_png)
        done = self._pipeline.run(
            actor,
            _PlanChange(req, self._rules),
            Visit(
                self._owner(req.subscription_id),
                req.payments,
                req.ticket_id,
                req.signature_png,
                req.terms_text,
            ),
        )
        return ChangeDone(
            done.order_id,
            done.order_no,
            done.fulfilled.effective_on,
            done.pricing.total_fen,
            done.payments,
            done.invoice.invoice_no if done.invoice else None,
            done.till_reopened,
        )

    # -- value-added services --------------------------------------------------------------

    def value_added(self, actor: Actor, subscription_id: uuid.UUID) -> tuple[VasView, ...]:
        """Every value-added service on sale, and any the number has, active or ending."""
        actor.require(Permission.CUSTOMER_VIEW)
        today = business_date(self._clock())
        with self._db.read() as s:
            sub = subscription_of(s, subscription_id)
            rows = {a.product_id: a for a in _vas_rows(s, sub.id, today)}
            products = s.scalars(
                select(Product)
                .where(
                    Product.kind == ProductKind.VALUE_ADDED,
                    Product.active.is_(True) | Product.id.in_(rows),
                )
                .order_by(Product.price_fen, Product.code)
            ).all()
            return tuple(
                VasView(
                    p.id,
                    p.code,
                    p.name,
                    p.price_fen,
                    p.id in rows and rows[p.id].active_to is None,
                    rows[p.id].active_from if p.id in rows else None,
                    rows[p.id].active_to if p.id in rows else None,
                )
                for p in products
            )

    def vas_refusal(self, actor: Actor, subscription_id: uuid.UUID) -> str:
        """Why the number's state refuses any 增值业务 order ("" when it may order)."""
        actor.require(Permission.CUSTOMER_VIEW)
        with self._db.read() as s:
            return status_refusal(subscription_of(s, subscription_id), "增值业务")

    def vas_terms(self, actor: Actor, req: VasRequest, *, subscribe: bool) -> str:
        """The terms the customer signs; refused as the order would be."""
        actor.require(Permission.CUSTOMER_VIEW)
        with self._db.read() as s:
            return _vas_decide(s, req, subscribe, self._clock(), lock=False).terms

    def subscribe_vas(self, actor: Actor, req: VasRequest) -> ChangeDone:
        return self._vas(actor, req, True)

    def unsubscribe_vas(self, actor: Actor, req: VasRequest) -> ChangeDone:
        return self._vas(actor, req, False)

    def _vas(self, actor: Actor, req: VasRequest, subscribe: bool) -> ChangeDone:
        actor.require(Permission.ORDER_CREATE)
        check_signature(req.signature_png)
        done = self._pipeline.run(
            actor,
            _Vas(req, subscribe),
            Visit(
                self._owner(req.subscription_id),
                (),
                req.ticket_id,
                req.signature_png,
                req.terms_text,
            ),
        )
        addon = done.fulfilled
        return ChangeDone(
            done.order_id,
            done.order_no,
            addon.active_from if subscribe else (addon.active_to or addon.active_from),
            0,
            done.payments,
            None,
            done.till_reopened,
        )

    def _owner(self, subscription_id: uuid.UUID) -> uuid.UUID:
        with self._db.read() as s:
            return subscription_of(s, subscription_id).customer_id
