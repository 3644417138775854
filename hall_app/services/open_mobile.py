"""Opening a new mobile number (开户): the order type's own steps on the order pipeline.

It claims the reserved number and the SIM at the central database, takes both locally (offline
only from this counter's leases), checks the customer's eligibility, prices the plan, services
and pretty-number tier, and fulfils the order with the subscription and its add-ons. The
pipeline does the rest, in the same transaction: any failure leaves the number reserved for
this counter and the SIM in stock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Table, select, update
from sqlalchemy.orm import Session

from hall_app.clock import business_date
from hall_app.config import BusinessRules
from hall_app.db.central import Claim
from hall_app.db.models import (
    Approval,
    Customer,
    Order,
    PhoneNumber,
    PrettyTier,
    Product,
    Promotion,
    SimCard,
    Staff,
    Subscription,
    SubscriptionAddon,
    VatCategory,
)
from hall_app.domain.approvals import SECOND_NUMBER_30D
from hall_app.domain.enums import (
    BalanceMovementKind,
    FaceCheckMethod,
    NumberStatus,
    OrderType,
    ProductKind,
    SimStatus,
    SubscriptionKind,
    SubscriptionStatus,
)
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.payments import PaymentInput
from hall_app.domain.permissions import Permission
from hall_app.domain.pricing import (
    Item,
    Offer,
    Pricing,
    Tier,
    VatClass,
    price_open_mobile,
    promotion_last_day,
)
from hall_app.domain.terms import open_mobile_terms
from hall_app.services.actor import Actor
from hall_app.services.approvals import record_inline, redeem
from hall_app.services.balances import record_movement
from hall_app.services.catalog import offer_of
from hall_app.services.numbers import NumberService
from hall_app.services.pipeline import OrderKind, Priced, Taken, Visit, take_here, terms_clauses
from hall_app.services.ports import CentralClaims, MirrorRows

NUMBERS: Table = PhoneNumber.__table__  # type: ignore[assignment]
SIMS: Table = SimCard.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class OpenMobileRequest:
    customer_id: uuid.UUID
    number: str
    plan_code: str
    iccid: str
    payments: tuple[PaymentInput, ...]
    face_check: FaceCheckMethod
    face_checked_by: str  # the device id, or the clerk's name for a manual check
    addon_codes: tuple[str, ...] = ()
    ticket_id: uuid.UUID | None = None
    guardian_id: uuid.UUID | None = None
    supervisor: Actor | None = None  # from AuthService.authorize, when the rules require it
    # … or a remote approval (审批) the clerk asked for: kind second_number_30d, subject the
    # customer's id (``second_number_subject``), redeemed in the order's transaction.
    approval_id: uuid.UUID | None = None
    signature_png: bytes | None = None
    terms_text: str = ""

    def visit(self) -> Visit:
        return Visit(
            self.customer_id, self.payments, self.ticket_id, self.signature_png, self.terms_text
        )


@dataclass(frozen=True)
class MobileCatalog:
    """The catalog rows of a mobile order, as the pricing function takes them."""

    plan: Product
    addons: list[Product]
    plan_item: Item
    addon_items: list[Item]
    offers: list[Offer]

    def price(self, tier: PrettyTier | None, on: date) -> Pricing:
        return price_open_mobile(
            self.plan_item,
            self.addon_items,
            Tier(tier.name, tier.prepayment_fen, tier.min_monthly_fen, tier.lock_in_months)
            if tier is not None
            else None,
            self.offers,
            on,
        )

    def terms(self, number: str, pricing: Pricing) -> str:
        return open_mobile_terms(
            number,
            self.plan.name,
            self.plan.price_fen,
            pricing,
            [a.name for a in self.addons],
            terms_clauses("open_mobile"),
        )


def mobile_catalog(session: Session, plan_code: str, addon_codes: tuple[str, ...]) -> MobileCatalog:
    plan = _product(session, plan_code, ProductKind.MOBILE_PLAN)
    addons = [_product(session, c, ProductKind.VALUE_ADDED) for c in addon_codes]
    offers = [
        offer_of(p)
        for p in session.scalars(select(Promotion).where(Promotion.product_id == plan.id))
    ]
    return MobileCatalog(
        plan, addons, _item(session, plan), [_item(session, a) for a in addons], offers
    )


@dataclass(frozen=True)
class MobileTaken:
    sim_id: uuid.UUID
    tier: PrettyTier | None
    catalog: MobileCatalog
    approved: bool  # a supervisor's approval is part of the order
    approval_id: uuid.UUID | None = None  # a remote approval redeemed by this order
    approver: str | None = None  # who approved (their username), for the audit


class OpenMobile(OrderKind[MobileTaken, Subscription]):
    order_type = OrderType.OPEN_MOBILE
    action = "order.open_mobile"

    def __init__(
        self, req: OpenMobileRequest, iccid: str, rules: BusinessRules, numbers: NumberService
    ) -> None:
        self._req = req
        self._iccid = iccid
        self._rules = rules
        self._numbers = numbers

    def claims(self, central: CentralClaims, counter_id: uuid.UUID, now: datetime) -> MirrorRows:
        return central.claim_number_and_sim(self._req.number, self._iccid, counter_id, now)

    def claimed(self, counter_id: uuid.UUID, stamp: datetime, now: datetime) -> Claim:
        until = now + timedelta(minutes=self._rules.number_reservation_minutes)
        return Claim(self._req.number, self._iccid, counter_id, stamp, until)

    def take(
        self, session: Session, actor: Actor, now: datetime, offline: bool
    ) -> Taken[MobileTaken]:
        req = self._req
        # The first write: on SQLite it takes the database's write lock before anything is
        # read, so the counts below see every order committed before this one.
        number_row = self._assign_number(session, actor, now, offline)
        approved, approval_id, approver = self._check_eligible(session, actor, now)
        customer = session.get(Customer, req.customer_id)
        if customer is None:
            raise NotFound("该客户不存在", "客户")
        sim = take_here(
            session,
            update(SimCard)
            .where(SimCard.iccid == self._iccid, SimCard.status == SimStatus.IN_STOCK)
            .values(status=SimStatus.ASSIGNED, taken_by_counter_id=actor.counter_id, updated_at=now)
            .returning(SimCard.id),
            SIMS,
            actor,
            now,
            offline,
            (
                f"ICCID {self._iccid} 不在库存或已被使用",
                "（离线时只能使用本窗口租用的卡）",
                "ICCID",
            ),
        ).id
        tier = (
            session.get(PrettyTier, number_row.pretty_tier_id)
            if number_row.pretty_tier_id
            else None
        )
        catalog = mobile_catalog(session, req.plan_code, req.addon_codes)
        return Taken(customer, MobileTaken(sim, tier, catalog, approved, approval_id, approver))

    def lines(self, context: MobileTaken, today: date) -> Priced:
        pricing = context.catalog.price(context.tier, today)
        return Priced(pricing, context.catalog.terms(self._req.number, pricing))

    def fulfil(
        self, session: Session, actor: Actor, order: Order, context: MobileTaken, pricing: Pricing
    ) -> Subscription:
        req, now = self._req, order.completed_at
        assert now is not None
        today = business_date(now)
        lock_months = pricing.lock_in_months
        promotion = pricing.promotion
        customer = session.get_one(Customer, req.customer_id)
        subscription = Subscription(
            customer_id=customer.id,
            kind=SubscriptionKind.MOBILE,
            service_number=req.number,
            product_id=context.catalog.plan.id,
            sim_id=context.sim_id,
            status=SubscriptionStatus.ACTIVE,
            address=customer.address,
            hall_id=actor.hall_id,
            activated_at=now,
            lock_in_until=(today + timedelta(days=30 * lock_months)) if lock_months else None,
            balance_fen=pricing.prepaid_fen,
            promotion_id=promotion.id if promotion else None,
            promotion_until=promotion_last_day(today, promotion.months) if promotion else None,
        )
        session.add(subscription)
        session.flush()
        order.subscription_id = subscription.id
        record_movement(
            session,
            subscription.id,
            BalanceMovementKind.OPENING,
            pricing.prepaid_fen,
            at=now,
            order_id=order.id,
        )
        for addon in context.catalog.addons:
            session.add(
                SubscriptionAddon(
                    subscription_id=subscription.id, product_id=addon.id, active_from=today
                )
            )
        if context.approval_id is not None:  # the remote approval now names its order
            session.get_one(Approval, context.approval_id).order_id = order.id
        elif context.approved and req.supervisor is not None:
            record_inline(
                session,
                actor,
                req.supervisor,
                kind=SECOND_NUMBER_30D.code,
                subject_ref=second_number_subject(customer.id),
                customer_id=customer.id,
                order_id=order.id,
                reason="30 天内再次开户，主管现场授权",
                now=now,
            )
        # The face check of this visit belongs to the order (the customer row keeps the one
        # made at registration).
        order.notes = f"人像比对：{req.face_check.label}（{req.face_checked_by.strip()}）"
        return subscription

    def audit_after(self, context: MobileTaken) -> dict[str, object]:
        req = self._req
        return {
            "face_check": req.face_check.value,
            "face_checked_by": req.face_checked_by.strip(),
            "approved_by": context.approver if context.approved else None,
            "approval_id": str(context.approval_id) if context.approval_id else None,
        }

    def _assign_number(
        self, session: Session, actor: Actor, now: datetime, offline: bool
    ) -> Row[*tuple[Any, ...]]:
        return take_here(
            session,
            update(PhoneNumber)
            .where(
                PhoneNumber.number == self._req.number,
                PhoneNumber.status == NumberStatus.RESERVED,
                PhoneNumber.reserved_by_counter_id == actor.counter_id,
                PhoneNumber.reserved_until >= now,
            )
            .values(status=NumberStatus.ASSIGNED, reserved_until=None, updated_at=now)
            .returning(PhoneNumber.id, PhoneNumber.pretty_tier_id),
            NUMBERS,
            actor,
            now,
            offline,
            (
                f"{self._req.number} 的预占已过期或不属于本窗口，请重新选号",
                "（离线时只能使用本窗口租用的号码）",
                "号码",
            ),
        )

    def _check_eligible(
        self, session: Session, actor: Actor, now: datetime
    ) -> tuple[bool, uuid.UUID | None, str | None]:
        """Lock the customer's row, then count their numbers: a second counter opening a
        number for the same person waits here, and then sees this one (the card limit can not
        be passed twice). The row is locked, not written, so the order does not make this
        counter's copy of the customer look newer than an edit made elsewhere. Returns
        whether a supervisor's approval is part of the order, the remote approval redeemed
        (if that is how it was given) and the approver's username."""
        req = self._req
        locked = session.execute(
            select(Customer.id).where(Customer.id == req.customer_id).with_for_update()
        ).scalar_one_or_none()
        if locked is None:
            raise NotFound("该客户不存在", "客户")
        eligibility = self._numbers.eligibility_in(session, req.customer_id, now)
        if not eligibility.allowed:
            raise ValidationError("；".join(eligibility.reasons), "办理资格")
        if eligibility.needs_guardian:
            registered = session.scalar(
                select(Customer.guardian_id).where(Customer.id == req.customer_id)
            )
            if req.guardian_id is None or req.guardian_id != registered:
                raise ValidationError(
                    eligibility.reasons[0] + "（须为实名登记的监护人本人）", "监护人"
                )
        if not eligibility.needs_supervisor:
            return False, None, None
        if req.approval_id is not None:
            approver_id = redeem(
                session,
                actor,
                req.approval_id,
                kind=SECOND_NUMBER_30D.code,
                subject_ref=second_number_subject(req.customer_id),
                now=now,
            )
            return True, req.approval_id, session.get_one(Staff, approver_id).username
        if req.supervisor is None or not req.supervisor.can(Permission.APPROVE):
            raise ValidationError(eligibility.reasons[-1], "主管授权")
        if req.supervisor.staff_id == actor.staff_id:
            raise ValidationError("不能为自己受理的业务授权，请另一位值班主管授权", "主管授权")
        return True, None, req.supervisor.username


def second_number_subject(customer_id: uuid.UUID) -> str:
    """What a 30-day second-number approval approves: this customer's next number."""
    return str(customer_id)


def _product(session: Session, code: str, kind: ProductKind) -> Product:
    product = session.scalars(
        select(Product).where(Product.code == code, Product.kind == kind, Product.active)
    ).one_or_none()
    if product is None:
        raise ValidationError(f"没有在售的{kind.label}“{code}”", "套餐")
    return product


def _item(session: Session, product: Product) -> Item:
    vat = session.get_one(VatCategory, product.vat_category_id)
    return Item(
        product.id,
        product.name,
        product.price_fen,
        VatClass(vat.id, vat.invoice_label, Decimal(vat.rate)),
        product.lock_in_months,
    )
