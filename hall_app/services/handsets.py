"""Selling a handset (购机) on the order pipeline: outright (裸机购买), on contract (合约购机,
a subsidy for a minimum plan over months, bound to one of the customer's mobile numbers) and
in installments (分期购机, after a credit assessment, a down payment now and a signed schedule).

The unit is claimed by IMEI at the central database (offline: only one leased to this
counter), then, in the order's one transaction, taken locally, the customer and the offer
re-checked (for installments: an adult with today's approved credit assessment for this very
monthly amount), priced (``domain.handsets.price_handset``) and fulfilled: the unit sold to the
customer with its warranty from the sale day, and the commitment or the installment contract
with its instalments. Any failure leaves the unit in stock and nothing saved.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from PIL import Image
from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.central import CentralLink, DeviceClaim, Offline, free_to, leased_here
from hall_app.db.engine import Database
from hall_app.db.models import (
    CreditAssessment,
    Customer,
    Device,
    HandsetCommitment,
    HandsetOffer,
    InstallmentContract,
    Instalment,
    Order,
    Product,
    Staff,
    Subscription,
    VatCategory,
)
from hall_app.domain import handsets as handset_rules
from hall_app.domain.approvals import INSTALLMENT_CREDIT
from hall_app.domain.enums import (
    ContractStatus,
    CreditOutcome,
    DeviceStatus,
    OfferKind,
    OrderType,
    ProductKind,
    SaleMode,
    SubscriptionKind,
    SubscriptionStatus,
)
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.handsets import (
    DOWN_PAYMENT_FIELD,
    CreditFacts,
    CreditResult,
    RuleOutcome,
    RuleResult,
    ScheduledInstalment,
    check_down_payment,
    clawback,
    commitment_end,
    price_handset,
    schedule,
)
from hall_app.domain.handsets import assess_credit as assess
from hall_app.domain.masking import mask_phone
from hall_app.domain.money import format_yuan
from hall_app.domain.payments import PaymentInput, SettledPayment, settle
from hall_app.domain.permissions import Permission
from hall_app.domain.pricing import Item, Pricing, VatClass
from hall_app.domain.telecom import IMEI_FIELD, parse_imei
from hall_app.domain.terms import HandsetTermsContract, HandsetTermsInstallment, handset_terms
from hall_app.services import audit
from hall_app.services.actor import Actor
from hall_app.services.approvals import record_inline, redeem
from hall_app.services.invoicing import issue_invoice
from hall_app.services.pipeline import (
    Completed,
    LineView,
    OrderKind,
    OrderPipeline,
    Priced,
    Taken,
    Visit,
    line_views,
    take_here,
    terms_clauses,
)
from hall_app.services.ports import CentralClaims, MirrorRows

DEVICES: Table = Device.__table__  # type: ignore[assignment]
SELLABLE = (DeviceStatus.IN_STOCK, DeviceStatus.RETURNED)
OFFER_FIELD = handset_rules.OFFER_FIELD  # "购机方案"
MODEL_FIELD = handset_rules.MODEL_FIELD  # "机型"
NUMBER_FIELD = "合约号码"
CREDIT_FIELD = "信用评估"
CONFIRM_FIELD = "客户确认"
SIGNATURE_FIELD = "客户签名"
CUSTOMER_LOCATION = "客户"  # where a unit sold is
OFFLINE_NOTE = "（离线时只能销售本窗口租用的手机）"


# ---------------------------------------------------------------------------------------------
# What screens see and send


@dataclass(frozen=True)
class OfferView:
    id: uuid.UUID
    code: str
    name: str
    kind: OfferKind
    months: int
    subsidy_fen: int
    min_plan_fen: int
    fee_fen: int
    monthly_rate: Decimal
    min_down_payment_pct: int
    payoff_fee_fen: int


@dataclass(frozen=True)
class HandsetModelView:
    product_id: uuid.UUID
    code: str
    name: str
    brand: str
    model: str
    colour: str
    storage: str
    price_fen: int
    in_stock: int
    offers: tuple[OfferView, ...]


@dataclass(frozen=True)
class DeviceView:
    device_id: uuid.UUID
    imei: str
    product_id: uuid.UUID
    name: str
    status: DeviceStatus
    location: str


@dataclass(frozen=True)
class PlanChoice:
    subscription_id: uuid.UUID
    number_masked: str
    plan_name: str
    plan_fen: int
    allowed: bool
    reason: str


@dataclass(frozen=True)
class CreditView:
    """A credit assessment as the clerk sees it. ``outcome`` stays ``supervisor`` once a
    supervisor approved it; ``approved_by`` then names them (and the sale may go ahead)."""

    assessment_id: uuid.UUID
    outcome: CreditOutcome
    rules: tuple[RuleResult, ...]
    reasons: str
    monthly_fen: int
    approved_by: str | None

    @property
    def cleared(self) -> bool:
        """May an installment sale rely on it?"""
        return self.outcome is CreditOutcome.APPROVED or (
            self.outcome is CreditOutcome.SUPERVISOR and self.approved_by is not None
        )


@dataclass(frozen=True)
class HandsetSaleRequest:
    customer_id: uuid.UUID
    product_id: uuid.UUID
    imei: str
    mode: SaleMode
    payments: tuple[PaymentInput, ...]
    offer_id: uuid.UUID | None = None
    subscription_id: uuid.UUID | None = None  # contract: the mobile number bound
    down_payment_fen: int = 0  # installment
    credit_assessment_id: uuid.UUID | None = None  # installment
    ticket_id: uuid.UUID | None = None
    signature_png: bytes | None = None
    terms_text: str = ""


@dataclass(frozen=True)
class HandsetQuote:
    lines: tuple[LineView, ...]
    total_fen: int  # paid now: the price, less a subsidy, or the down payment
    invoice_total_fen: int
    terms: str
    schedule: tuple[ScheduledInstalment, ...]
    fee_fen: int
    financed_fen: int
    warranty_from: date


@dataclass(frozen=True)
class HandsetSold:
    order_id: uuid.UUID
    order_no: str
    imei: str
    total_fen: int
    payments: tuple[SettledPayment, ...]
    invoice_no: str | None
    completed_at: datetime
    till_reopened: bool
    contract_id: uuid.UUID | None
    commitment_id: uuid.UUID | None


@dataclass(frozen=True)
class ClawbackView:
    commitment_id: uuid.UUID
    subscription_id: uuid.UUID
    imei: str
    handset_name: str
    months: int
    months_left: int
    ends_on: date
    amount_fen: int


# ---------------------------------------------------------------------------------------------
# Pure helpers


def monthly_of(rows: Sequence[ScheduledInstalment]) -> int:
    """The monthly amount a credit assessment is made for: the largest instalment (the last
    one, which takes the rounding remainder)."""
    return max(r.amount_fen for r in rows)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _offer_view(o: HandsetOffer) -> OfferView:
    return OfferView(
        o.id,
        o.code,
        o.name,
        o.kind,
        o.months,
        o.subsidy_fen,
        o.min_plan_fen,
        o.fee_fen,
        Decimal(o.monthly_rate or 0),
        o.min_down_payment_pct,
        o.payoff_fee_fen,
    )


def _offers_on(today: date) -> Any:
    return (
        HandsetOffer.active,
        HandsetOffer.valid_from <= today,
        (HandsetOffer.valid_to.is_(None)) | (HandsetOffer.valid_to >= today),
    )


def _item(session: Session, product: Product) -> Item:
    vat = session.get_one(VatCategory, product.vat_category_id)
    return Item(
        product.id, product.name, product.price_fen, VatClass(vat.id, vat.invoice_label, vat.rate)
    )


def _rules_json(rules: Sequence[RuleResult]) -> str:
    return json.dumps(
        [
            {"code": r.code, "label": r.label, "outcome": r.outcome.value, "reason": r.reason}
            for r in rules
        ],
        ensure_ascii=False,
    )


def _rules_of(text: str) -> tuple[RuleResult, ...]:
    return tuple(
        RuleResult(r["code"], r["label"], RuleOutcome(r["outcome"]), r["reason"])
        for r in json.loads(text or "[]")
    )


def _credit_view(session: Session, a: CreditAssessment) -> CreditView:
    rules = _rules_of(a.rules_json)
    approver = session.get(Staff, a.approver_id) if a.approver_id else None
    return CreditView(
        a.id,
        a.outcome,
        rules,
        CreditResult(a.outcome, rules).reasons,
        a.monthly_fen,
        approver.full_name if approver else None,
    )


def referred_now(now: CreditResult, a: CreditAssessment) -> list[RuleResult]:
    """The rules that ask a supervisor today and that the assessment's supervisor did not
    decide: every referral when nobody approved it, else those whose reason (the facts it
    states) differs from what was approved."""
    approved = (
        {(r.code, r.reason) for r in _rules_of(a.rules_json) if r.outcome is RuleOutcome.REFER}
        if a.outcome is CreditOutcome.SUPERVISOR and a.approver_id is not None
        else set()
    )
    return [
        r
        for r in now.rules
        if r.outcome is RuleOutcome.REFER and (r.code, r.reason) not in approved
    ]


def check_signature(png: bytes | None) -> None:
    """A signature, when there is one, is a PNG image the documents can print."""
    if not png:
        return
    try:
        with Image.open(io.BytesIO(png)) as image:
            kind = image.format
            image.verify()
    except Exception:  # PIL raises many kinds on bad bytes; each means no image
        kind = None
    if kind != "PNG":
        raise ValidationError("客户签名不是有效的签名图片，请客户在客户屏重新签字", SIGNATURE_FIELD)


def handset_product(session: Session, product_id: uuid.UUID) -> Product:
    product = session.get(Product, product_id)
    if product is None or product.kind is not ProductKind.HANDSET or not product.active:
        raise ValidationError("所选机型不存在或已停售，请重新选择", MODEL_FIELD)
    return product


def running_commitment(
    session: Session, subscription_id: uuid.UUID, today: date
) -> HandsetCommitment | None:
    return session.scalars(
        select(HandsetCommitment)
        .where(
            HandsetCommitment.subscription_id == subscription_id,
            HandsetCommitment.status == ContractStatus.ACTIVE,
            HandsetCommitment.ends_on >= today,
        )
        .order_by(HandsetCommitment.ends_on.desc())
    ).first()


def commitment_clawback(
    session: Session, subscription_id: uuid.UUID, on_date: date
) -> ClawbackView | None:
    """``HandsetService.contract_clawback`` inside a transaction already open (an order's)."""
    c = running_commitment(session, subscription_id, on_date)
    if c is None:
        return None
    device = session.get_one(Device, c.device_id)
    name = session.get_one(Product, device.product_id).name
    owed = clawback(c.subsidy_fen, c.months, c.starts_on, on_date)
    return ClawbackView(
        c.id,
        subscription_id,
        device.imei,
        name,
        c.months,
        owed.months_left,
        c.ends_on,
        owed.amount_fen,
    )


def device_refusal(
    imei: str, found: Device | None, product: Product, other: Product | None
) -> ValidationError | None:
    """Why this unit can not be sold as ``product`` (None: it can), leases aside."""
    if found is None:
        return ValidationError(f"库存中没有 IMEI {imei} 的手机，请核对串号", IMEI_FIELD)
    if found.product_id != product.id:
        name = other.name if other is not None else "其他机型"
        return ValidationError(
            f"IMEI {imei} 是“{name}”，不是所选的“{product.name}”，请核对手机或重新选择机型",
            IMEI_FIELD,
        )
    if found.status not in SELLABLE:
        return ValidationError(f"IMEI {imei} 的手机{found.status.label}，不能销售", IMEI_FIELD)
    return None


def _why_not(session: Session, imei: str, product_id: uuid.UUID) -> ValidationError | None:
    """Why the unit could not be taken here, as ``check_device`` says it (None: it is
    sellable, so what refused it was the lease)."""
    found = session.scalars(select(Device).where(Device.imei == imei)).one_or_none()
    product = session.get(Product, product_id)
    if product is None:
        return ValidationError("所选机型不存在或已停售，请重新选择", MODEL_FIELD)
    other = session.get(Product, found.product_id) if found is not None else None
    return device_refusal(imei, found, product, other)


# ---------------------------------------------------------------------------------------------
# The catalog rows of a sale, read the same way for the quote and for the order


@dataclass(frozen=True)
class HandsetCatalog:
    product: Product
    item: Item
    mode: SaleMode
    offer: HandsetOffer | None
    subscription: Subscription | None  # contract
    plan: Product | None  # the subscription's plan
    instalments: tuple[ScheduledInstalment, ...]  # installment
    down_payment_fen: int

    @property
    def financed_fen(self) -> int:
        return sum(i.principal_fen for i in self.instalments)

    @property
    def fee_fen(self) -> int:
        return sum(i.fee_fen for i in self.instalments)

    def price(self, imei: str) -> Pricing:
        o = self.offer
        return price_handset(
            self.item,
            imei,
            self.mode,
            offer_name=o.name if o else "",
            subsidy_fen=o.subsidy_fen if o and self.mode is SaleMode.CONTRACT else 0,
            commitment_months=o.months if o and self.mode is SaleMode.CONTRACT else 0,
            min_plan_fen=o.min_plan_fen if o and self.mode is SaleMode.CONTRACT else 0,
            instalments=self.instalments,
        )

    def terms(self, imei: str, today: date, return_days: int) -> str:
        o = self.offer
        contract = installment = None
        if self.mode is SaleMode.CONTRACT:
            assert o is not None and self.subscription is not None and self.plan is not None
            contract = HandsetTermsContract(
                o.name,
                o.subsidy_fen,
                o.months,
                self.subscription.service_number,
                self.plan.name,
                self.plan.price_fen,
                o.min_plan_fen,
                today,
                commitment_end(today, o.months),
            )
        elif self.mode is SaleMode.INSTALLMENT:
            assert o is not None
            installment = HandsetTermsInstallment(
                o.name,
                self.down_payment_fen,
                self.instalments,
                Decimal(o.monthly_rate or 0),
                o.payoff_fee_fen,
            )
        return handset_terms(
            self.product.name,
            imei,
            self.product.price_fen,
            today,
            terms_clauses("handset"),
            contract=contract,
            installment=installment,
            return_days=return_days,
        )


def offer_for(
    session: Session, offer_id: uuid.UUID | None, product: Product, kind: OfferKind, today: date
) -> HandsetOffer:
    offer = session.get(HandsetOffer, offer_id) if offer_id is not None else None
    if offer is None:
        raise ValidationError(f"请选择{kind.label}方案", OFFER_FIELD)
    if (
        not offer.active
        or offer.valid_from > today
        or (offer.valid_to is not None and offer.valid_to < today)
    ):
        raise ValidationError(f"方案“{offer.name}”已停办，请重新选择", OFFER_FIELD)
    if offer.product_id != product.id:
        raise ValidationError(f"方案“{offer.name}”不适用于“{product.name}”", OFFER_FIELD)
    if offer.kind is not kind:
        raise ValidationError(f"方案“{offer.name}”不是{kind.label}方案", OFFER_FIELD)
    return offer


def contract_subscription(
    session: Session,
    customer_id: uuid.UUID,
    subscription_id: uuid.UUID | None,
    offer: HandsetOffer,
    today: date,
) -> tuple[Subscription, Product]:
    """The customer's own active mobile number a contract phone is bound to, its plan at least
    the offer's minimum, and no other contract phone running on it."""
    sub = session.get(Subscription, subscription_id) if subscription_id is not None else None
    if (
        sub is None
        or sub.customer_id != customer_id
        or sub.kind is not SubscriptionKind.MOBILE
        or sub.status is not SubscriptionStatus.ACTIVE
    ):
        raise ValidationError("合约购机须绑定客户本人一个正常使用的移动号码", NUMBER_FIELD)
    plan = session.get_one(Product, sub.product_id)
    reason = plan_refusal(session, sub, plan, offer, today)
    if reason:
        raise ValidationError(reason, NUMBER_FIELD)
    return sub, plan


def plan_refusal(
    session: Session, sub: Subscription, plan: Product, offer: HandsetOffer, today: date
) -> str:
    """Why this number can not take this contract offer ("" : it can)."""
    masked = mask_phone(sub.service_number)
    if plan.price_fen < offer.min_plan_fen:
        return (
            f"号码 {masked} 的套餐“{plan.name}”月费 {format_yuan(plan.price_fen)}，"
            f"低于合约要求的 {format_yuan(offer.min_plan_fen)}，请先变更套餐"
        )
    running = running_commitment(session, sub.id, today)
    if running is not None:
        return f"号码 {masked} 已有合约机在约（至 {running.ends_on:%Y-%m-%d}），不能再办合约购机"
    return ""


def handset_catalog(
    session: Session, req: HandsetSaleRequest, today: date, *, product: Product | None = None
) -> HandsetCatalog:
    product = product or handset_product(session, req.product_id)
    item = _item(session, product)
    if req.mode is SaleMode.OUTRIGHT:
        if req.offer_id is not None:
            raise ValidationError("裸机购买不使用合约或分期方案", OFFER_FIELD)
        return HandsetCatalog(product, item, req.mode, None, None, None, (), 0)
    if req.mode is SaleMode.CONTRACT:
        offer = offer_for(session, req.offer_id, product, OfferKind.CONTRACT, today)
        sub, plan = contract_subscription(
            session, req.customer_id, req.subscription_id, offer, today
        )
        return HandsetCatalog(product, item, req.mode, offer, sub, plan, (), 0)
    offer = offer_for(session, req.offer_id, product, OfferKind.INSTALLMENT, today)
    rows = installment_schedule(offer, product.price_fen, req.down_payment_fen, today)
    return HandsetCatalog(product, item, req.mode, offer, None, None, rows, req.down_payment_fen)


def installment_schedule(
    offer: HandsetOffer, price_fen: int, down_payment_fen: int, today: date
) -> tuple[ScheduledInstalment, ...]:
    if down_payment_fen < 0:
        raise ValidationError("首付金额不能为负数", DOWN_PAYMENT_FIELD)
    check_down_payment(price_fen, down_payment_fen, offer.min_down_payment_pct, months=offer.months)
    return schedule(
        price_fen - down_payment_fen,
        offer.months,
        today,
        fee_fen=offer.fee_fen,
        monthly_rate=Decimal(offer.monthly_rate or 0),
    )


def credit_facts(
    session: Session, customer: Customer, monthly_fen: int, today: date
) -> CreditFacts:
    """What the assessment looks at: age on ``today``, real-name tenure with us, arrears on
    active subscriptions (numbers masked), running installment contracts, instalments overdue
    now and ever paid late, and the running contracts' monthly amounts."""
    since = customer.real_name_verified_at or customer.created_at
    arrears = tuple(
        (mask_phone(number), -balance)
        for number, balance in session.execute(
            select(Subscription.service_number, Subscription.balance_fen)
            .where(
                Subscription.customer_id == customer.id,
                Subscription.status.in_([SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED]),
                Subscription.balance_fen < 0,
            )
            .order_by(Subscription.service_number)
        )
    )
    contracts = (
        select(InstallmentContract.id)
        .where(InstallmentContract.customer_id == customer.id)
        .scalar_subquery()
    )
    running = list(
        session.scalars(
            select(InstallmentContract.id).where(
                InstallmentContract.customer_id == customer.id,
                InstallmentContract.status == ContractStatus.ACTIVE.value,
            )
        )
    )
    overdue_now = session.scalar(
        select(func.count())
        .select_from(Instalment)
        .where(
            Instalment.contract_id.in_(running),
            Instalment.paid_at.is_(None),
            Instalment.due_date < today,
        )
    )
    paid = session.execute(
        select(Instalment.due_date, Instalment.paid_at).where(
            Instalment.contract_id.in_(contracts), Instalment.paid_at.is_not(None)
        )
    ).all()
    paid_late = sum(1 for due, at in paid if at is not None and business_date(at) > due)
    existing = 0
    for contract_id in running:
        next_due = session.scalar(
            select(Instalment.amount_fen)
            .where(Instalment.contract_id == contract_id, Instalment.paid_at.is_(None))
            .order_by(Instalment.seq)
            .limit(1)
        )
        existing += next_due or 0
    return CreditFacts(
        age=age_on(customer.birth_date, today) if customer.birth_date else None,
        tenure_days=max((today - business_date(since)).days, 0),
        arrears=arrears,
        active_contracts=len(running),
        overdue_now=int(overdue_now or 0),
        paid_late=paid_late,
        existing_monthly_fen=existing,
        monthly_fen=monthly_fen,
    )


# ---------------------------------------------------------------------------------------------
# The order type


@dataclass(frozen=True)
class SaleTaken:
    catalog: HandsetCatalog
    device_id: uuid.UUID
    assessment: CreditAssessment | None


@dataclass(frozen=True)
class SaleFulfilled:
    contract_id: uuid.UUID | None
    commitment_id: uuid.UUID | None


class HandsetSale(OrderKind[SaleTaken, SaleFulfilled]):
    order_type = OrderType.HANDSET_SALE
    action = "order.handset_sale"

    def __init__(self, req: HandsetSaleRequest, imei: str, rules: BusinessRules) -> None:
        self._req = req
        self._imei = imei
        self._rules = rules
        self._was = DeviceStatus.IN_STOCK

    def claims(self, central: CentralClaims, counter_id: uuid.UUID, now: datetime) -> MirrorRows:
        rows = central.claim_device(self._imei, counter_id, now)
        for table, row in rows:
            if table.name == "devices" and row.get("imei") == self._imei:
                self._was = DeviceStatus(row["status"])
        return rows

    def claimed(self, counter_id: uuid.UUID, stamp: datetime, now: datetime) -> DeviceClaim:
        return DeviceClaim(self._imei, counter_id, stamp, self._was.value)

    def take(
        self, session: Session, actor: Actor, now: datetime, offline: bool
    ) -> Taken[SaleTaken]:
        req, today = self._req, business_date(now)
        # The first write: the unit, sold to this counter (offline only one leased here).
        try:
            device_id = take_here(
                session,
                update(Device)
                .where(
                    Device.imei == self._imei,
                    Device.product_id == req.product_id,
                    Device.status.in_(SELLABLE),
                )
                .values(
                    status=DeviceStatus.SOLD, taken_by_counter_id=actor.counter_id, updated_at=now
                )
                .returning(Device.id),
                DEVICES,
                actor,
                now,
                offline,
                (f"IMEI {self._imei} 的手机不在库存或已售出", OFFLINE_NOTE, IMEI_FIELD),
            ).id
        except ValidationError as refused:
            raise _why_not(session, self._imei, req.product_id) or refused from None
        locked = session.execute(
            select(Customer.id).where(Customer.id == req.customer_id).with_for_update()
        ).scalar_one_or_none()
        if locked is None:
            raise NotFound("该客户不存在", "客户")
        customer = session.get_one(Customer, req.customer_id)
        catalog = handset_catalog(session, req, today)
        assessment = None
        if req.mode is SaleMode.INSTALLMENT:
            assessment = self._check_credit(session, customer, catalog, today)
        return Taken(customer, SaleTaken(catalog, device_id, assessment))

    def _check_credit(
        self, session: Session, customer: Customer, catalog: HandsetCatalog, today: date
    ) -> CreditAssessment:
        """An installment sale only for an adult, on this customer's credit assessment made
        today for this handset and this monthly amount, approved (or approved by a
        supervisor), and not used by another order."""
        least = self._rules.min_age_installments
        if customer.birth_date is None or age_on(customer.birth_date, today) < least:
            raise ValidationError(f"未满 {least} 周岁的客户不能办理分期购机", "客户年龄")
        req = self._req
        a = (
            session.get(CreditAssessment, req.credit_assessment_id)
            if req.credit_assessment_id is not None
            else None
        )
        if a is None or a.customer_id != customer.id:
            raise ValidationError("分期购机须先为该客户做信用评估", CREDIT_FIELD)
        if business_date(a.assessed_at) != today:
            raise ValidationError("信用评估不是今天做的，请重新评估", CREDIT_FIELD)
        if a.outcome is CreditOutcome.REFUSED:
            raise ValidationError("信用评估未通过，不能办理分期购机", CREDIT_FIELD)
        if a.outcome is CreditOutcome.SUPERVISOR and a.approver_id is None:
            raise ValidationError("信用评估须主管审批后才能办理分期购机", CREDIT_FIELD)
        if a.product_id != catalog.product.id or a.monthly_fen != monthly_of(catalog.instalments):
            raise ValidationError(
                "机型、首付或分期期数在信用评估后有变更，请重新评估", CREDIT_FIELD
            )
        if a.order_id is not None:
            raise ValidationError("该信用评估已用于另一笔订单，请重新评估", CREDIT_FIELD)
        # Today's facts, read under the customer's lock (taken above): the rules again, as
        # they stand now. Sales made since the assessment (on other assessments of the same
        # day) count; this sale is not written yet, so nothing but itself is left out.
        now = assess(credit_facts(session, customer, a.monthly_fen, today), self._rules.credit())
        if now.outcome is CreditOutcome.REFUSED:
            raise ValidationError(
                f"客户信用情况在评估后有变化，不能办理分期购机：{now.reasons}", CREDIT_FIELD
            )
        referred = referred_now(now, a)
        if referred:
            raise ValidationError(
                "客户信用情况在评估后有变化，须重新评估并经主管审批："
                + "；".join(r.reason for r in referred),
                CREDIT_FIELD,
            )
        return a

    def lines(self, context: SaleTaken, today: date) -> Priced:
        cat = context.catalog
        return Priced(
            cat.price(self._imei),
            cat.terms(self._imei, today, self._rules.handset_return_days),
        )

    def fulfil(
        self, session: Session, actor: Actor, order: Order, context: SaleTaken, pricing: Pricing
    ) -> SaleFulfilled:
        req, cat, now = self._req, context.catalog, order.completed_at
        assert now is not None
        today = business_date(now)
        sub = cat.subscription
        session.execute(
            update(Device)
            .where(Device.id == context.device_id)
            .values(
                order_id=order.id,
                customer_id=req.customer_id,
                subscription_id=sub.id if sub is not None else None,
                sold_at=now,
                warranty_from=today,
                location=CUSTOMER_LOCATION,
                updated_at=now,
            )
        )
        contract_id = commitment_id = None
        offer = cat.offer
        if cat.mode is SaleMode.CONTRACT:
            assert offer is not None and sub is not None
            order.subscription_id = sub.id
            commitment = HandsetCommitment(
                order_id=order.id,
                customer_id=req.customer_id,
                subscription_id=sub.id,
                device_id=context.device_id,
                offer_id=offer.id,
                subsidy_fen=offer.subsidy_fen,
                months=offer.months,
                min_plan_fen=offer.min_plan_fen,
                starts_on=today,
                ends_on=commitment_end(today, offer.months),
                status=ContractStatus.ACTIVE,
            )
            session.add(commitment)
            session.flush()
            commitment_id = commitment.id
        elif cat.mode is SaleMode.INSTALLMENT:
            assert offer is not None and context.assessment is not None
            a = context.assessment
            linked = session.execute(
                update(CreditAssessment)
                .where(CreditAssessment.id == a.id, CreditAssessment.order_id.is_(None))
                .values(order_id=order.id, updated_at=now)
            )
            if linked.rowcount != 1:  # type: ignore[attr-defined]
                raise ValidationError("该信用评估已用于另一笔订单，请重新评估", CREDIT_FIELD)
            contract = InstallmentContract(
                order_id=order.id,
                customer_id=req.customer_id,
                device_id=context.device_id,
                price_fen=cat.product.price_fen,
                down_payment_fen=cat.down_payment_fen,
                financed_fen=cat.financed_fen,
                fee_fen=cat.fee_fen,
                months=len(cat.instalments),
                credit_approved=True,
                credit_reasons=CreditResult(a.outcome, _rules_of(a.rules_json)).reasons,
                status=ContractStatus.ACTIVE.value,
                offer_id=offer.id,
                credit_assessment_id=a.id,
                monthly_rate=Decimal(offer.monthly_rate) if offer.monthly_rate else None,
                payoff_fee_fen=offer.payoff_fee_fen,
                signed_at=now,
            )
            session.add(contract)
            session.flush()
            # One multi-row INSERT of the schedule.
            session.execute(
                insert(Instalment),
                [
                    {
                        "id": uuid.uuid4(),
                        "contract_id": contract.id,
                        "seq": i.seq,
                        "due_date": i.due_date,
                        "amount_fen": i.amount_fen,
                        "principal_fen": i.principal_fen,
                        "fee_fen": i.fee_fen,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in cat.instalments
                ],
            )
            contract_id = contract.id
        return SaleFulfilled(contract_id, commitment_id)

    def audit_after(self, context: SaleTaken) -> dict[str, object]:
        cat = context.catalog
        return {
            "imei": self._imei,
            "mode": cat.mode.value,
            "offer": cat.offer.code if cat.offer else None,
            "subscription": mask_phone(cat.subscription.service_number)
            if cat.subscription
            else None,
            "down_payment_fen": cat.down_payment_fen if cat.instalments else None,
            "months": len(cat.instalments) or None,
            "credit_assessment": str(context.assessment.id) if context.assessment else None,
        }


# ---------------------------------------------------------------------------------------------
# The service


class HandsetService:
    def __init__(
        self,
        db: Database,
        rules: BusinessRules,
        clock: Clock,
        *,
        shared_segments: bool = True,
        link: CentralLink | None = None,
        central: CentralClaims | None = None,
    ) -> None:
        """``central``: the central database's claims (a fake in unit tests); by default the
        adapter over ``link`` when one is configured."""
        from hall_app.db.central_claims import LinkedCentral

        self._db = db
        self._rules = rules
        self._clock = clock
        self._link = link if link is not None and link.configured else None
        if central is None and self._link is not None:
            central = LinkedCentral(self._link)
        self._central = central
        self._pipeline = OrderPipeline(
            db, clock, central, lambda *step: issue_invoice(*step, shared=shared_segments)
        )

    # -- reads ---------------------------------------------------------------------------

    def models(self, actor: Actor) -> list[HandsetModelView]:
        """Every handset on sale with its units in stock here and its offers valid today."""
        actor.require(Permission.ORDER_CREATE)
        today = business_date(self._clock())
        with self._db.read() as s:
            products = list(
                s.scalars(
                    select(Product)
                    .where(Product.kind == ProductKind.HANDSET, Product.active)
                    .order_by(Product.brand, Product.model, Product.name)
                )
            )
            counts: dict[uuid.UUID, int] = {
                product_id: n
                for product_id, n in s.execute(
                    select(Device.product_id, func.count())
                    .where(
                        Device.status.in_(SELLABLE),
                        (Device.hall_id == actor.hall_id) | Device.hall_id.is_(None),
                    )
                    .group_by(Device.product_id)
                )
            }
            offers: dict[uuid.UUID, list[OfferView]] = {}
            for o in s.scalars(
                select(HandsetOffer)
                .where(*_offers_on(today))
                .order_by(HandsetOffer.kind, HandsetOffer.months, HandsetOffer.code)
            ):
                offers.setdefault(o.product_id, []).append(_offer_view(o))
            return [
                HandsetModelView(
                    p.id,
                    p.code,
                    p.name,
                    p.brand or "",
                    p.model or "",
                    p.colour or "",
                    p.storage or "",
                    p.price_fen,
                    int(counts.get(p.id, 0)),
                    tuple(offers.get(p.id, ())),
                )
                for p in products
            ]

    def check_device(self, actor: Actor, scanned: str, product_id: uuid.UUID) -> DeviceView:
        """The unit scanned, if it can be sold as this model here: a valid IMEI, in stock (or
        back in stock after a return), of this model; online as the central database has it
        (not leased to another window), offline only one leased to this window."""
        actor.require(Permission.ORDER_CREATE)
        imei = parse_imei(scanned)
        with self._db.read() as s:
            product = handset_product(s, product_id)
            local = s.scalars(select(Device).where(Device.imei == imei)).one_or_none()
            central, offline = self._central_device(actor, imei)
            online = self._link is not None and actor.counter_id is not None and not offline
            if online and central is None and local is not None:
                # Online the sale claims the unit at the central database, which has no row
                # for it yet: a unit received here (终端入库) that no sync round has pushed.
                # The scan says what the sale would.
                raise ValidationError(
                    f"IMEI {imei} 的手机在本窗口刚入库，尚未同步到中心库存，"
                    "暂不能销售；请待下一轮同步完成后再扫描",
                    IMEI_FIELD,
                )
            found = central if central is not None else local
            other = s.get(Product, found.product_id) if found is not None else None
            refusal = device_refusal(imei, found, product, other)
            if refusal is not None:
                raise refusal
            assert found is not None
            if offline and not self._leased_here(s, actor, imei):
                raise ValidationError(f"IMEI {imei} 的手机未租用给本窗口{OFFLINE_NOTE}", IMEI_FIELD)
            return DeviceView(
                found.id, imei, product.id, product.name, found.status, found.location
            )

    def _central_device(self, actor: Actor, imei: str) -> tuple[Device | None, bool]:
        """The unit as the central database has it, refused when another window leases it;
        (None, True) with the link down, (None, False) with no central database."""
        if self._link is None or actor.counter_id is None:
            return None, False
        counter_id = actor.counter_id

        def read(central: Session) -> Device | None:
            row = central.execute(select(DEVICES).where(DEVICES.c.imei == imei)).mappings().first()
            if row is None:
                return None
            device = Device(**dict(row))
            # A unit sold or faulty is said so (whoever's lease it was on); only a sellable one
            # another window leases is refused as leased.
            if device.status in SELLABLE and not central.scalar(
                select(func.count()).where(DEVICES.c.id == device.id, free_to(DEVICES, counter_id))
            ):
                raise ValidationError(
                    f"IMEI {imei} 的手机由其他窗口离线租用中，不能在本窗口销售", IMEI_FIELD
                )
            return device

        try:
            return self._link.run(read), False
        except Offline:
            return None, True

    def _leased_here(self, session: Session, actor: Actor, imei: str) -> bool:
        if actor.counter_id is None:
            return False
        return (
            session.scalar(
                select(func.count()).where(
                    DEVICES.c.imei == imei,
                    leased_here(DEVICES, actor.counter_id, self._clock()),
                )
            )
            or 0
        ) > 0

    def plan_choices(
        self, actor: Actor, customer_id: uuid.UUID, offer_id: uuid.UUID
    ) -> list[PlanChoice]:
        """The customer's active mobile numbers for a contract offer: allowed when the plan's
        fee reaches the offer's minimum and no other contract phone runs on the number."""
        actor.require(Permission.ORDER_CREATE)
        today = business_date(self._clock())
        with self._db.read() as s:
            offer = s.get(HandsetOffer, offer_id)
            if offer is None or offer.kind is not OfferKind.CONTRACT:
                raise ValidationError("请选择合约方案", OFFER_FIELD)
            rows = s.execute(
                select(Subscription, Product)
                .join(Product, Product.id == Subscription.product_id)
                .where(
                    Subscription.customer_id == customer_id,
                    Subscription.kind == SubscriptionKind.MOBILE,
                    Subscription.status == SubscriptionStatus.ACTIVE,
                )
                .order_by(Subscription.service_number)
            ).all()
            out = []
            for sub, plan in rows:
                reason = plan_refusal(s, sub, plan, offer, today)
                out.append(
                    PlanChoice(
                        sub.id,
                        mask_phone(sub.service_number),
                        plan.name,
                        plan.price_fen,
                        not reason,
                        reason or f"套餐月费不低于 {format_yuan(offer.min_plan_fen)}，可办理",
                    )
                )
            return out

    def quote(self, actor: Actor, req: HandsetSaleRequest) -> HandsetQuote:
        """What the sale costs now, its schedule and the terms to sign, priced exactly as
        ``sell`` prices it (the same functions on the same rows)."""
        actor.require(Permission.ORDER_CREATE)
        imei = self.check_device(actor, req.imei, req.product_id).imei
        today = business_date(self._clock())
        with self._db.read() as s:
            if s.get(Customer, req.customer_id) is None:
                raise NotFound("该客户不存在", "客户")
            cat = handset_catalog(s, req, today)
            pricing = cat.price(imei)
            terms = cat.terms(imei, today, self._rules.handset_return_days)
        return HandsetQuote(
            lines=line_views(pricing),
            total_fen=pricing.total_fen,
            invoice_total_fen=pricing.invoice_total_fen,
            terms=terms,
            schedule=cat.instalments,
            fee_fen=cat.fee_fen,
            financed_fen=cat.financed_fen,
            warranty_from=today,
        )

    def contract_clawback(
        self, actor: Actor, subscription_id: uuid.UUID, on_date: date
    ) -> ClawbackView | None:
        """The running contract phone commitment of this number and what leaving it on
        ``on_date`` costs (the unearned subsidy); None when there is none running."""
        actor.require(Permission.CUSTOMER_VIEW)
        with self._db.read() as s:
            return commitment_clawback(s, subscription_id, on_date)

    # -- writes --------------------------------------------------------------------------

    def assess_credit(
        self,
        actor: Actor,
        customer_id: uuid.UUID,
        product_id: uuid.UUID,
        offer_id: uuid.UUID,
        down_payment_fen: int,
    ) -> CreditView:
        """The credit assessment before an installment sale, for the monthly amount this
        handset, offer and down payment make: each rule's outcome and reason, stored and
        audited."""
        actor.require(Permission.ORDER_CREATE)
        now = self._clock()
        today = business_date(now)
        with self._db.unit_of_work() as s:
            customer = s.get(Customer, customer_id)
            if customer is None:
                raise NotFound("该客户不存在", "客户")
            product = handset_product(s, product_id)
            offer = offer_for(s, offer_id, product, OfferKind.INSTALLMENT, today)
            rows = installment_schedule(offer, product.price_fen, down_payment_fen, today)
            monthly = monthly_of(rows)
            result = assess(credit_facts(s, customer, monthly, today), self._rules.credit())
            row = CreditAssessment(
                customer_id=customer.id,
                staff_id=actor.staff_id,
                assessed_at=now,
                product_id=product.id,
                monthly_fen=monthly,
                outcome=result.outcome,
                rules_json=_rules_json(result.rules),
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            audit.record(
                s,
                at=now,
                actor=actor,
                action="credit.assess",
                entity="credit_assessment",
                entity_id=row.id,
                after={
                    "customer_id": str(customer.id),
                    "product": product.code,
                    "offer": offer.code,
                    "down_payment_fen": down_payment_fen,
                    "monthly_fen": monthly,
                    "outcome": result.outcome.value,
                    "reasons": result.reasons,
                },
            )
            return CreditView(row.id, result.outcome, result.rules, result.reasons, monthly, None)

    def approve_credit(
        self,
        actor: Actor,
        assessment_id: uuid.UUID,
        supervisor: Actor | None = None,
        *,
        approval_id: uuid.UUID | None = None,
    ) -> CreditView:
        """A supervisor's approval of an assessment that needs one, made today: given at the
        counter (``supervisor`` from ``AuthService.authorize``) or remotely (``approval_id``,
        an approval of kind installment_credit for this assessment, redeemed here); never of
        one refused, nor by the clerk who asks."""
        actor.require(Permission.ORDER_CREATE)
        if (supervisor is None) == (approval_id is None):
            raise ValidationError("须值班主管现场授权或远程审批（二者选一）", "主管授权")
        if supervisor is not None:
            supervisor.require(Permission.APPROVE)
            if supervisor.staff_id == actor.staff_id:
                raise ValidationError("不能为自己受理的业务授权，请另一位值班主管授权", "主管授权")
        now = self._clock()
        with self._db.unit_of_work() as s:
            a = s.get(CreditAssessment, assessment_id)
            if a is None:
                raise NotFound("该信用评估不存在", CREDIT_FIELD)
            if a.outcome is CreditOutcome.REFUSED:
                raise ValidationError("信用评估未通过，主管不能审批放行", CREDIT_FIELD)
            if a.outcome is CreditOutcome.APPROVED:
                raise ValidationError("该信用评估已通过，无须主管审批", CREDIT_FIELD)
            if a.approver_id is not None:
                raise ValidationError("该信用评估已经主管审批", CREDIT_FIELD)
            if business_date(a.assessed_at) != business_date(now):
                raise ValidationError("信用评估不是今天做的，请重新评估", CREDIT_FIELD)
            subject = str(a.id)
            if approval_id is not None:
                approver_id = redeem(
                    s,
                    actor,
                    approval_id,
                    kind=INSTALLMENT_CREDIT.code,
                    subject_ref=subject,
                    now=now,
                )
            else:
                assert supervisor is not None
                approval_id = record_inline(
                    s,
                    actor,
                    supervisor,
                    kind=INSTALLMENT_CREDIT.code,
                    subject_ref=subject,
                    customer_id=a.customer_id,
                    order_id=None,
                    reason="分期信用评估须主管审批，主管现场授权",
                    now=now,
                    amount_fen=a.monthly_fen,
                )
                approver_id = supervisor.staff_id
            approver = s.get_one(Staff, approver_id)
            a.approver_id = approver.id
            a.approved_at = now
            a.updated_at = now
            audit.record(
                s,
                at=now,
                actor=actor,
                action="credit.approve",
                entity="credit_assessment",
                entity_id=a.id,
                before={"approver": None},
                after={
                    "approver": approver.username,
                    "outcome": a.outcome.value,
                    "approval_id": str(approval_id),
                },
            )
            s.flush()
            return _credit_view(s, a)

    def sell(self, actor: Actor, req: HandsetSaleRequest) -> HandsetSold:
        """The sale, in one transaction on the order pipeline."""
        actor.require(Permission.ORDER_CREATE)
        actor.require(Permission.PAYMENT_TAKE)
        imei = self._check_before_claiming(actor, req)
        done: Completed[SaleFulfilled] = self._pipeline.run(
            actor,
            HandsetSale(req, imei, self._rules),
            Visit(req.customer_id, req.payments, req.ticket_id, req.signature_png, req.terms_text),
        )
        return HandsetSold(
            order_id=done.order_id,
            order_no=done.order_no,
            imei=imei,
            total_fen=done.pricing.total_fen,
            payments=done.payments,
            invoice_no=done.invoice.invoice_no if done.invoice else None,
            completed_at=done.completed_at,
            till_reopened=done.till_reopened,
            contract_id=done.fulfilled.contract_id,
            commitment_id=done.fulfilled.commitment_id,
        )

    def _check_before_claiming(self, actor: Actor, req: HandsetSaleRequest) -> str:
        """What can be told before the unit is claimed at the central database: the unit, the
        offer, the signature (an installment contract is always signed), the terms signed
        against today's, the payment against the total. Returns the IMEI. With no central
        database there is no claim to spare: the order's own transaction checks all of it
        (the same messages) and the quote is not made twice."""
        imei = parse_imei(req.imei)
        if req.mode is SaleMode.INSTALLMENT and (
            not req.terms_text.strip() or not req.signature_png
        ):
            raise ValidationError("分期购机须客户在客户屏确认还款计划并签字", CONFIRM_FIELD)
        check_signature(req.signature_png)
        if self._central is None or actor.counter_id is None:
            return imei
        quote = self.quote(actor, req)
        if req.terms_text and req.terms_text != quote.terms:
            raise ValidationError(
                "业务内容与客户签字确认的不一致，请客户重新确认签名", CONFIRM_FIELD
            )
        settle(quote.total_fen, list(req.payments))
        return imei


__all__ = [
    "ClawbackView",
    "CreditView",
    "DeviceView",
    "HandsetModelView",
    "HandsetQuote",
    "HandsetSale",
    "HandsetSaleRequest",
    "HandsetService",
    "HandsetSold",
    "OfferView",
    "PlanChoice",
]
