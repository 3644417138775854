"""Opening a new mobile number (开户), completed in one transaction.

Everything the order touches changes together or not at all: the reserved number becomes
assigned, the SIM leaves stock, the subscription and its add-ons are created, and the order,
its lines, the payments, the invoice (with the next gap-free number of the hall's segment)
and the audit entries are written. Any failure rolls all of it back; the number stays reserved
for this counter and the SIM stays in stock.
"""

from __future__ import annotations

import logging
import tomllib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Table, func, or_, select, update
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.central import (
    LEASE_MARGIN,
    CentralLink,
    Claim,
    Offline,
    fetch_with_parents,
    free_to,
    leased_here,
    leased_to,
    mirror,
)
from hall_app.db.engine import Database
from hall_app.db.models import (
    Approval,
    Counter,
    Customer,
    Hall,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Payment,
    PhoneNumber,
    PrettyTier,
    Product,
    Promotion,
    QueueTicket,
    SimCard,
    Subscription,
    SubscriptionAddon,
    VatCategory,
)
from hall_app.db.text_limits import check_text
from hall_app.domain.eligibility import Eligibility
from hall_app.domain.enums import (
    ApprovalState,
    FaceCheckMethod,
    InvoiceKind,
    InvoiceStatus,
    NumberStatus,
    OrderState,
    OrderType,
    ProductKind,
    SimStatus,
    SubscriptionKind,
    SubscriptionStatus,
)
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.masking import mask_id_number
from hall_app.domain.payments import PaymentInput, SettledPayment, settle
from hall_app.domain.permissions import Permission
from hall_app.domain.pricing import (
    AppliedPromotion,
    Item,
    LineKind,
    Pricing,
    Tier,
    VatClass,
    price_open_mobile,
    promotion_last_day,
)
from hall_app.domain.resident_id import parse_resident_id
from hall_app.domain.telecom import parse_iccid
from hall_app.domain.terms import open_mobile_terms
from hall_app.resources import read_text
from hall_app.services import audit
from hall_app.services.actor import Actor
from hall_app.services.cash import open_session_for_payment
from hall_app.services.catalog import offer_of
from hall_app.services.invoicing import next_invoice_number
from hall_app.services.numbers import NumberService

log = logging.getLogger("hall.orders")
NUMBERS: Table = PhoneNumber.__table__  # type: ignore[assignment]
SIMS: Table = SimCard.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class SimView:
    iccid: str
    imsi: str


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
    signature_png: bytes | None = None
    terms_text: str = ""


@dataclass(frozen=True)
class LineView:
    description: str
    amount_fen: int  # negative for a promotion's discount
    invoiceable: bool
    vat_rate: Decimal | None
    discount: bool = False


@dataclass(frozen=True)
class OpenedNumber:
    order_id: uuid.UUID
    order_no: str
    subscription_id: uuid.UUID
    number: str
    total_fen: int
    lines: tuple[LineView, ...]
    payments: tuple[SettledPayment, ...]
    invoice_no: str | None
    invoice_total_fen: int
    invoice_tax_fen: int
    completed_at: datetime
    till_reopened: bool = False  # the day was closed (日结): a new till, no float, took this


@dataclass(frozen=True)
class OpenContext:
    """What the first wizard page shows: who is opening, and whether they may."""

    customer_id: uuid.UUID
    name: str
    id_masked: str
    age: int
    eligibility: Eligibility
    guardian_id: uuid.UUID | None
    guardian_name: str | None


@dataclass(frozen=True)
class Quote:
    """The price of an order before it is taken, with the terms the customer will sign."""

    lines: tuple[LineView, ...]
    total_fen: int
    invoice_amount_fen: int  # invoiceable lines without tax
    tax_fen: int
    lock_in_months: int
    min_monthly_fen: int
    terms: str
    promotion: AppliedPromotion | None = None


class OrderService:
    def __init__(
        self,
        db: Database,
        rules: BusinessRules,
        clock: Clock,
        numbers: NumberService,
        shared_segments: bool = True,
        link: CentralLink | None = None,
    ) -> None:
        self._link = link if link is not None and link.configured else None
        self._db = db
        self._rules = rules
        self._clock = clock
        self._numbers = numbers
        self._shared_segments = shared_segments  # False: only invoice blocks leased to us

    def prepare_open(self, actor: Actor, customer_id: uuid.UUID) -> OpenContext:
        """The customer as the wizard shows them (masked), and their eligibility."""
        actor.require(Permission.ORDER_CREATE)
        now = self._clock()
        with self._db.read() as session:
            eligibility = self._numbers.eligibility_in(session, customer_id, now)
            customer = session.get_one(Customer, customer_id)
            assert customer.id_number is not None  # eligibility_in refuses enterprises
            guardian = session.get(Customer, customer.guardian_id) if customer.guardian_id else None
            return OpenContext(
                customer_id=customer.id,
                name=customer.name,
                id_masked=mask_id_number(customer.id_number),
                age=parse_resident_id(customer.id_number, today=business_date(now)).age_on(
                    business_date(now)
                ),
                eligibility=eligibility,
                guardian_id=guardian.id if guardian else None,
                guardian_name=guardian.name if guardian else None,
            )

    def quote(
        self, actor: Actor, number: str, plan_code: str, addon_codes: tuple[str, ...] = ()
    ) -> Quote:
        """What the chosen number, plan and services cost today, priced exactly as
        ``open_mobile_number`` will price them (the same function, on the same date)."""
        actor.require(Permission.ORDER_CREATE)
        today = business_date(self._clock())
        with self._db.read() as session:
            tier = session.scalar(
                select(PrettyTier)
                .join(PhoneNumber, PhoneNumber.pretty_tier_id == PrettyTier.id)
                .where(PhoneNumber.number == number)
            )
            plan, addons, pricing = self._price(session, plan_code, addon_codes, tier, today)
            return Quote(
                lines=_line_views(pricing),
                total_fen=pricing.total_fen,
                invoice_amount_fen=pricing.invoice_amount_fen,
                tax_fen=pricing.tax_fen,
                lock_in_months=pricing.lock_in_months,
                min_monthly_fen=pricing.min_monthly_fen,
                terms=open_mobile_terms(
                    number,
                    plan.name,
                    plan.price_fen,
                    pricing,
                    [a.name for a in addons],
                    terms_clauses("open_mobile"),
                ),
                promotion=pricing.promotion,
            )

    def check_sim(self, actor: Actor, scanned: str) -> SimView:
        """A scanned ICCID: valid (Luhn), known to the stock, and not used."""
        actor.require(Permission.ORDER_CREATE)
        iccid = parse_iccid(scanned).value
        counter_id = actor.counter_id
        now = self._clock()
        if self._link is not None and counter_id is not None:  # the hall's stock is central
            try:
                return self._link.run(
                    lambda central: self._sim_in_stock(central, iccid, counter_id, now, True)
                )
            except Offline:
                pass
        with self._db.read() as session:
            return self._sim_in_stock(session, iccid, counter_id, now, False)

    def _sim_in_stock(
        self,
        session: Session,
        iccid: str,
        counter_id: uuid.UUID | None,
        now: datetime,
        central: bool,
    ) -> SimView:
        sim = session.scalars(select(SimCard).where(SimCard.iccid == iccid)).one_or_none()
        if sim is None:
            raise ValidationError(f"库存中没有 ICCID {iccid} 的卡，请核对或换一张", "ICCID")
        if sim.status is not SimStatus.IN_STOCK:
            raise ValidationError(f"这张卡{sim.status.label}，不能再用于开户", "ICCID")
        if self._link is not None and counter_id is not None:
            if central:  # leases run by the central clock there
                now = session.execute(select(func.now())).scalar_one()
            running = sim.lease_until is not None and sim.lease_until >= now
            if central and running and sim.lease_counter_id != counter_id:
                raise ValidationError("这张卡已租给其他窗口离线销售，请换一张", "ICCID")
            usable = sim.lease_until is not None and sim.lease_until >= now + LEASE_MARGIN
            if not central and not (usable and sim.lease_counter_id == counter_id):
                raise ValidationError("离线时只能使用本窗口租用的卡，这张卡不在其中", "ICCID")
        return SimView(sim.iccid, sim.imsi)

    def open_mobile_number(self, actor: Actor, req: OpenMobileRequest) -> OpenedNumber:
        actor.require(Permission.ORDER_CREATE)
        actor.require(Permission.PAYMENT_TAKE)
        if not req.face_checked_by.strip():
            raise ValidationError("请登记人像比对的设备编号或核验人", "人像比对")
        check_text(Customer.face_check_by, req.face_checked_by.strip())  # as at registration
        iccid = parse_iccid(req.iccid).value
        claimed, maybe, sim_rows = self._claim_central(actor, req.number, iccid)
        offline = self._link is not None and claimed is None
        try:
            if sim_rows:
                with self._db.unit_of_work() as session:
                    mirror(session, sim_rows, only_missing=True)
            return self._db.write_numbered(
                lambda session: self._open(session, actor, req, iccid, offline)
            )
        except BaseException:
            if claimed is not None:
                self._unclaim_central(actor, req.number, iccid, claimed)
            elif maybe is not None:
                # The link dropped during the claim: it may have been made. Undo it too.
                self._unclaim_central(actor, req.number, iccid, maybe)
            raise

    def _claim_central(
        self, actor: Actor, number: str, iccid: str
    ) -> tuple[datetime | None, datetime | None, list[tuple[Table, dict[str, Any]]]]:
        """Online: the number and the SIM become this counter's at the central database
        before the order is written, so no other counter can sell them meanwhile. Returns the
        claim's stamp, or None when offline (the order then sells only from this counter's
        leases); second, the stamp of a claim that may have been made before the link dropped;
        third, the SIM as it was, with what it refers to, for a counter that lacks it."""
        counter_id = actor.counter_id
        if self._link is None or counter_id is None:
            return None, None, []
        now = self._clock()

        def claim(central: Session) -> list[tuple[Table, dict[str, Any]]]:
            # The SIM as it is before the claim, for a counter that never had it (stock
            # delivered centrally since its last lease): the order below takes it locally.
            before = central.execute(select(SIMS).where(SIMS.c.iccid == iccid)).mappings().first()
            got = central.execute(
                update(PhoneNumber)
                .where(
                    PhoneNumber.number == number,
                    or_(
                        (PhoneNumber.status == NumberStatus.RESERVED)
                        & (PhoneNumber.reserved_by_counter_id == counter_id),
                        # reserved here while offline: the lease kept it for this counter
                        (PhoneNumber.status == NumberStatus.AVAILABLE)
                        & leased_to(NUMBERS, counter_id),
                    ),
                )
                .values(
                    status=NumberStatus.ASSIGNED,
                    reserved_until=None,
                    reserved_by_counter_id=counter_id,
                    updated_at=now,
                )
                .returning(PhoneNumber.id)
            ).scalar_one_or_none()
            if got is None:
                raise ValidationError(
                    f"{number} 在中心已不再为本窗口预占（已过期被其他窗口选用），请重新选号",
                    "号码",
                )
            sim = central.execute(
                update(SimCard)
                .where(
                    SimCard.iccid == iccid,
                    SimCard.status == SimStatus.IN_STOCK,
                    free_to(SIMS, counter_id),
                )
                .values(status=SimStatus.ASSIGNED, taken_by_counter_id=counter_id, updated_at=now)
                .returning(SimCard.id)
            ).scalar_one_or_none()
            if sim is None or before is None:
                raise ValidationError(f"ICCID {iccid} 已被其他窗口使用或租用，请换一张", "ICCID")
            return fetch_with_parents(central, SIMS, dict(before))

        attempted = self._link.online
        try:
            sim_rows = self._link.run(claim)
        except Offline:
            return None, now if attempted else None, []
        return now, None, sim_rows

    def _unclaim_central(self, actor: Actor, number: str, iccid: str, now: datetime) -> None:
        """The order failed after the central claim (or a claim whose answer was lost): give
        both back, now or, with the link down, at the next sync round (kept durably)."""
        assert self._link is not None and actor.counter_id is not None
        until = self._clock() + timedelta(minutes=self._rules.number_reservation_minutes)
        claim = Claim(number, iccid, actor.counter_id, now, until)
        try:
            self._link.run(claim.undo)
        except Offline:
            with self._db.unit_of_work() as session:
                claim.keep(session)
            log.warning("order failed with the link down: the claim is undone next round")

    def _check_eligible(
        self, session: Session, actor: Actor, req: OpenMobileRequest, now: datetime
    ) -> bool:
        """Lock the customer's row, then count their numbers: a second counter opening a
        number for the same person waits here, and then sees this one (the card limit can not
        be passed twice). The row is locked, not written, so the order does not make this
        counter's copy of the customer look newer than an edit made elsewhere. Returns
        whether a supervisor's approval is part of the order."""
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
        if eligibility.needs_supervisor and (
            req.supervisor is None or not req.supervisor.can(Permission.APPROVE)
        ):
            raise ValidationError(eligibility.reasons[-1], "主管授权")
        if (
            eligibility.needs_supervisor
            and req.supervisor is not None
            and req.supervisor.staff_id == actor.staff_id
        ):
            raise ValidationError("不能为自己受理的业务授权，请另一位值班主管授权", "主管授权")
        return eligibility.needs_supervisor

    # -- the transaction ------------------------------------------------------------------------
    def _open(
        self,
        session: Session,
        actor: Actor,
        req: OpenMobileRequest,
        iccid: str,
        offline: bool = False,
    ) -> OpenedNumber:
        now = self._clock()
        # The first write: on SQLite it takes the database's write lock before anything is
        # read, so the counts below see every order committed before this one.
        assign = (
            update(PhoneNumber)
            .where(
                PhoneNumber.number == req.number,
                PhoneNumber.status == NumberStatus.RESERVED,
                PhoneNumber.reserved_by_counter_id == actor.counter_id,
                PhoneNumber.reserved_until >= now,
            )
            .values(status=NumberStatus.ASSIGNED, reserved_until=None, updated_at=now)
            .returning(PhoneNumber.id, PhoneNumber.pretty_tier_id)
        )
        if offline and actor.counter_id is not None:  # only a number leased to this counter
            assign = assign.where(leased_here(NUMBERS, actor.counter_id, now))
        number_row = session.execute(assign).one_or_none()
        if number_row is None:
            raise ValidationError(
                f"{req.number} 的预占已过期或不属于本窗口，请重新选号"
                + ("（离线时只能使用本窗口租用的号码）" if offline else ""),
                "号码",
            )
        approved = self._check_eligible(session, actor, req, now)
        customer = session.get(Customer, req.customer_id)
        if customer is None:
            raise NotFound("该客户不存在", "客户")
        take = (
            update(SimCard)
            .where(SimCard.iccid == iccid, SimCard.status == SimStatus.IN_STOCK)
            .values(status=SimStatus.ASSIGNED, taken_by_counter_id=actor.counter_id, updated_at=now)
            .returning(SimCard.id)
        )
        if offline and actor.counter_id is not None:  # only a SIM leased to this counter
            take = take.where(leased_here(SIMS, actor.counter_id, now))
        sim = session.execute(take).scalar_one_or_none()
        if sim is None:
            raise ValidationError(
                f"ICCID {iccid} 不在库存或已被使用"
                + ("（离线时只能使用本窗口租用的卡）" if offline else ""),
                "ICCID",
            )
        tier = (
            session.get(PrettyTier, number_row.pretty_tier_id)
            if number_row.pretty_tier_id
            else None
        )
        today = business_date(now)
        plan, addons, pricing = self._price(session, req.plan_code, req.addon_codes, tier, today)
        lock_months = pricing.lock_in_months
        terms = open_mobile_terms(
            req.number,
            plan.name,
            plan.price_fen,
            pricing,
            [a.name for a in addons],
            terms_clauses("open_mobile"),
        )
        if req.terms_text and req.terms_text != terms:
            # What the customer signed must be what is sold: prices, a promotion or the choice
            # changed. Said before the payment check, which would only name the amount.
            raise ValidationError("业务内容与客户签字确认的不一致，请客户重新确认签名", "客户确认")
        settled = settle(pricing.total_fen, list(req.payments))

        order_id = uuid.uuid4()
        order = Order(
            id=order_id,
            order_no=self._order_no(session, actor, now),
            order_type=OrderType.OPEN_MOBILE,
            state=OrderState.COMPLETED,
            hall_id=actor.hall_id,
            counter_id=actor.counter_id,
            staff_id=actor.staff_id,
            customer_id=customer.id,
            ticket_id=req.ticket_id,
            total_fen=pricing.total_fen,
            terms_text=terms,
            signature_png=req.signature_png,
            submitted_at=now,
            completed_at=now,
        )
        session.add(order)
        session.flush()
        for line in pricing.lines:
            session.add(
                OrderLine(
                    order_id=order_id,
                    product_id=line.product_id,
                    description=line.description,
                    quantity=1,
                    unit_price_fen=line.amount_fen,
                    amount_fen=line.amount_fen,
                    vat_category_id=line.vat.id if line.vat else None,
                    vat_rate=line.vat.rate if line.vat else None,
                    invoiceable=line.invoiceable,
                    promotion_id=line.promotion_id,
                )
            )
        promotion = pricing.promotion
        subscription = Subscription(
            customer_id=customer.id,
            kind=SubscriptionKind.MOBILE,
            service_number=req.number,
            product_id=plan.id,
            sim_id=sim,
            status=SubscriptionStatus.ACTIVE,
            address=customer.address,
            hall_id=actor.hall_id,
            activated_at=now,
            lock_in_until=(business_date(now) + timedelta(days=30 * lock_months))
            if lock_months
            else None,
            balance_fen=pricing.prepaid_fen,
            promotion_id=promotion.id if promotion else None,
            promotion_until=promotion_last_day(today, promotion.months) if promotion else None,
        )
        session.add(subscription)
        session.flush()
        order.subscription_id = subscription.id
        for addon in addons:
            session.add(
                SubscriptionAddon(
                    subscription_id=subscription.id,
                    product_id=addon.id,
                    active_from=business_date(now),
                )
            )
        till_for = open_session_for_payment(session, actor, now) if settled else None
        till = till_for.id if till_for else None
        for p in settled:
            session.add(
                Payment(
                    order_id=order_id,
                    cash_session_id=till,
                    customer_id=customer.id,
                    staff_id=actor.staff_id,
                    method=p.method,
                    amount_fen=p.amount_fen,
                    tendered_fen=p.tendered_fen,
                    change_fen=p.change_fen,
                    reference=p.reference or None,
                    paid_at=now,
                )
            )
        invoice_no, inv_total, inv_tax = self._invoice(
            session, actor, order_id, customer, pricing, now
        )
        if req.ticket_id is not None:
            session.execute(
                update(QueueTicket)
                .where(QueueTicket.id == req.ticket_id)
                .values(customer_id=customer.id, updated_at=now)
            )
        if approved and req.supervisor is not None:
            session.add(
                Approval(
                    kind="second_number_30d",
                    order_id=order_id,
                    customer_id=customer.id,
                    requested_by_id=actor.staff_id,
                    approver_id=req.supervisor.staff_id,
                    state=ApprovalState.APPROVED,
                    reason="30 天内再次开户，主管现场授权",
                    decided_at=now,
                )
            )
        # The face check of this visit belongs to the order (the customer row keeps the one
        # made at registration).
        order.notes = f"人像比对：{req.face_check.label}（{req.face_checked_by.strip()}）"
        audit.record(
            session,
            at=now,
            actor=actor,
            action="order.open_mobile",
            entity="order",
            entity_id=order_id,
            after={
                "order_no": order.order_no,
                "total_fen": pricing.total_fen,
                "invoice_no": invoice_no,
                "promotion": promotion.code if promotion else None,
                "face_check": req.face_check.value,
                "face_checked_by": req.face_checked_by.strip(),
                "approved_by": req.supervisor.username if approved and req.supervisor else None,
            },
        )
        return OpenedNumber(
            order_id=order_id,
            order_no=order.order_no,
            subscription_id=subscription.id,
            number=req.number,
            total_fen=pricing.total_fen,
            lines=_line_views(pricing),
            payments=tuple(settled),
            invoice_no=invoice_no,
            invoice_total_fen=inv_total,
            invoice_tax_fen=inv_tax,
            completed_at=now,
            till_reopened=till_for is not None and till_for.reopened_after_close,
        )

    @staticmethod
    def _product(session: Session, code: str, kind: ProductKind) -> Product:
        product = session.scalars(
            select(Product).where(Product.code == code, Product.kind == kind, Product.active)
        ).one_or_none()
        if product is None:
            raise ValidationError(f"没有在售的{kind.label}“{code}”", "套餐")
        return product

    @classmethod
    def _price(
        cls,
        session: Session,
        plan_code: str,
        addon_codes: tuple[str, ...],
        tier: PrettyTier | None,
        on: date,
    ) -> tuple[Product, list[Product], Pricing]:
        """The catalog rows of the order, priced by the one pricing function for the date."""
        plan = cls._product(session, plan_code, ProductKind.MOBILE_PLAN)
        addons = [cls._product(session, c, ProductKind.VALUE_ADDED) for c in addon_codes]
        offers = [
            offer_of(p)
            for p in session.scalars(select(Promotion).where(Promotion.product_id == plan.id))
        ]
        pricing = price_open_mobile(
            _item(session, plan),
            [_item(session, a) for a in addons],
            Tier(tier.name, tier.prepayment_fen, tier.min_monthly_fen, tier.lock_in_months)
            if tier is not None
            else None,
            offers,
            on,
        )
        return plan, addons, pricing

    @staticmethod
    def _order_no(session: Session, actor: Actor, now: datetime) -> str:
        """SL, the business day, the window's code, then a sequence of that window's day:
        counters number their own orders, so two of them working off line never clash."""
        day = business_date(now)
        counter = session.get_one(Counter, actor.require_counter("受理"))
        prefix = f"SL{day:%Y%m%d}{counter.code}"
        last = session.scalar(
            select(func.max(Order.order_no)).where(
                Order.hall_id == actor.hall_id,
                Order.counter_id == counter.id,
                Order.order_no.startswith(prefix),
                func.length(Order.order_no) == len(prefix) + 4,
            )
        )
        seq = int(last[len(prefix) :]) + 1 if last else 1
        return f"{prefix}{seq:04d}"

    def _invoice(
        self,
        session: Session,
        actor: Actor,
        order_id: uuid.UUID,
        customer: Customer,
        pricing: Pricing,
        now: datetime,
    ) -> tuple[str | None, int, int]:
        if not pricing.invoice_items:
            return None, 0, 0
        invoice_no, segment_id = next_invoice_number(session, actor, now, self._shared_segments)
        hall = session.get_one(Hall, actor.hall_id)
        invoice = Invoice(
            invoice_no=invoice_no,
            kind=InvoiceKind.BLUE,
            status=InvoiceStatus.ISSUED,
            order_id=order_id,
            customer_id=customer.id,
            segment_id=segment_id,
            issued_at=now,
            buyer_name=customer.name,
            buyer_tax_id=customer.uscc or "",
            seller_name=hall.seller_name,
            seller_tax_id=hall.seller_tax_id,
            total_fen=pricing.invoice_total_fen,
            amount_fen=pricing.invoice_amount_fen,
            tax_fen=pricing.tax_fen,
            issuer_id=actor.staff_id,
        )
        session.add(invoice)
        session.flush()
        for item in pricing.invoice_items:
            session.add(
                InvoiceLine(
                    invoice_id=invoice.id,
                    item_name=item.label,
                    quantity=1,
                    unit_price_fen=item.amount_fen,
                    amount_fen=item.amount_fen,
                    rate=item.rate,
                    tax_fen=item.tax_fen,
                )
            )
        return invoice_no, invoice.total_fen, invoice.tax_fen


def _item(session: Session, product: Product) -> Item:
    vat = session.get_one(VatCategory, product.vat_category_id)
    return Item(
        product.id,
        product.name,
        product.price_fen,
        VatClass(vat.id, vat.invoice_label, Decimal(vat.rate)),
        product.lock_in_months,
    )


def _line_views(pricing: Pricing) -> tuple[LineView, ...]:
    return tuple(
        LineView(
            line.description,
            line.amount_fen,
            line.invoiceable,
            line.vat.rate if line.vat else None,
            line.kind is LineKind.DISCOUNT,
        )
        for line in pricing.lines
    )


@cache
def terms_clauses(name: str) -> dict[str, str]:
    """The fixed clauses of one kind of terms, from resources/terms/<name>.toml."""
    return tomllib.loads(read_text("terms", f"{name}.toml"))
