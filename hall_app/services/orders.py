"""The counter's orders: the mobile-number wizard's questions (who, what it costs, is this
SIM usable) and ``open_mobile_number``, the first order type on the order pipeline
(hall_app/services/pipeline.py; its own steps are in hall_app/services/open_mobile.py).
Everything an order touches changes together in one transaction, or not at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.central import CentralLink
from hall_app.db.central_claims import LinkedCentral
from hall_app.db.engine import Database
from hall_app.db.models import Customer, PhoneNumber, PrettyTier
from hall_app.db.text_limits import check_text
from hall_app.domain.eligibility import Eligibility
from hall_app.domain.errors import ValidationError
from hall_app.domain.masking import mask_id_number
from hall_app.domain.payments import SettledPayment
from hall_app.domain.permissions import Permission
from hall_app.domain.pricing import AppliedPromotion
from hall_app.domain.resident_id import parse_resident_id
from hall_app.domain.telecom import parse_iccid
from hall_app.services.actor import Actor
from hall_app.services.invoicing import IssuedInvoice, issue_invoice
from hall_app.services.numbers import NumberService
from hall_app.services.open_mobile import OpenMobile, OpenMobileRequest, mobile_catalog
from hall_app.services.pipeline import LineView, OrderPipeline, line_views, terms_clauses
from hall_app.services.ports import CentralClaims
from hall_app.services.sim_stock import SimView, check_scanned_sim

# Imported from here by the wizard and the tests.
__all__ = ["LineView", "OpenMobileRequest", "OrderService", "SimView", "terms_clauses"]


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
        central: CentralClaims | None = None,
    ) -> None:
        """``central``: the central database's claims (a fake in unit tests); by default the
        adapter over ``link`` when one is configured."""
        self._link = link if link is not None and link.configured else None
        self._db = db
        self._rules = rules
        self._clock = clock
        self._numbers = numbers
        if central is None and self._link is not None:
            central = LinkedCentral(self._link)
        self._shared_segments = shared_segments  # False: only invoice blocks leased to us
        # The invoice step is looked up at each order, so a test can break it mid-order.
        self._pipeline = OrderPipeline(db, clock, central, lambda *step: self._invoice(*step))

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
            catalog = mobile_catalog(session, plan_code, addon_codes)
            pricing = catalog.price(tier, today)
            return Quote(
                lines=line_views(pricing),
                total_fen=pricing.total_fen,
                invoice_amount_fen=pricing.invoice_amount_fen,
                tax_fen=pricing.tax_fen,
                lock_in_months=pricing.lock_in_months,
                min_monthly_fen=pricing.min_monthly_fen,
                terms=catalog.terms(number, pricing),
                promotion=pricing.promotion,
            )

    def check_sim(self, actor: Actor, scanned: str) -> SimView:
        """A scanned ICCID: valid (Luhn), known to the stock, and not used."""
        actor.require(Permission.ORDER_CREATE)
        return check_scanned_sim(
            self._db, self._link, actor.counter_id, self._clock(), scanned, "开户"
        )

    def _invoice(self, *step: Any) -> IssuedInvoice | None:
        """The pipeline's invoice step (``InvoiceStep``) with this counter's segment policy."""
        return issue_invoice(*step, shared=self._shared_segments)

    def open_mobile_number(self, actor: Actor, req: OpenMobileRequest) -> OpenedNumber:
        actor.require(Permission.ORDER_CREATE)
        actor.require(Permission.PAYMENT_TAKE)
        if not req.face_checked_by.strip():
            raise ValidationError("请登记人像比对的设备编号或核验人", "人像比对")
        check_text(Customer.face_check_by, req.face_checked_by.strip())  # as at registration
        kind = OpenMobile(req, parse_iccid(req.iccid).value, self._rules, self._numbers)
        done = self._pipeline.run(actor, kind, req.visit())
        return OpenedNumber(
            order_id=done.order_id,
            order_no=done.order_no,
            subscription_id=done.fulfilled.id,
            number=req.number,
            total_fen=done.pricing.total_fen,
            lines=line_views(done.pricing),
            payments=done.payments,
            invoice_no=done.invoice.invoice_no if done.invoice else None,
            invoice_total_fen=done.invoice.total_fen if done.invoice else 0,
            invoice_tax_fen=done.invoice.tax_fen if done.invoice else 0,
            completed_at=done.completed_at,
            till_reopened=done.till_reopened,
        )
