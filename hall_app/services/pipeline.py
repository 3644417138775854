"""One order, whatever its business, completed by one pipeline in one transaction.

What every order shares is here: the claims on shared resources at the central database
(given back when the order fails), the visit (ticket) and customer, the lines priced with
their VAT categories, the check that the terms signed are the terms sold, the payments and
the clerk's till, the gap-free invoice (none where only a receipt is due), the order's rows
and its audit entry. An order type (``OrderKind``) supplies only its own steps: what it
claims, what it takes locally, its lines and terms, and what it fulfils.
"""

from __future__ import annotations

import json
import logging
import tomllib
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Row, Table, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningUpdate

from hall_app.clock import Clock, business_date
from hall_app.db.central import Offline, Undoable, leased_here, mirror
from hall_app.db.engine import Database
from hall_app.db.models import Counter, Customer, Order, OrderLine, Payment, QueueTicket
from hall_app.domain.enums import OrderState, OrderType
from hall_app.domain.errors import ValidationError
from hall_app.domain.payments import PaymentInput, SettledPayment, settle
from hall_app.domain.pricing import LineKind, Pricing
from hall_app.resources import read_text
from hall_app.services import audit, restore_mark
from hall_app.services.actor import Actor
from hall_app.services.cash import open_session_for_payment
from hall_app.services.invoicing import IssuedInvoice
from hall_app.services.ports import CentralClaims, MirrorRows

log = logging.getLogger("hall.orders")
ORDER_LETTERS = "SL"  # an order number: SL, the day, the window, its sequence
InvoiceStep = Callable[
    [Session, Actor, uuid.UUID, Customer, Pricing, datetime], IssuedInvoice | None
]
C = TypeVar("C")  # what an order type took locally, for its fulfilment
F = TypeVar("F")  # what its fulfilment made (a subscription …)


@dataclass(frozen=True)
class Visit:
    """The parts of a request every order has: who, at which ticket, paying how, signing
    what."""

    customer_id: uuid.UUID
    payments: tuple[PaymentInput, ...]
    ticket_id: uuid.UUID | None = None
    signature_png: bytes | None = None
    terms_text: str = ""  # the terms the customer signed; empty when none were shown


@dataclass(frozen=True)
class Taken(Generic[C]):
    customer: Customer
    context: C


@dataclass(frozen=True)
class Priced:
    pricing: Pricing
    terms: str


@dataclass(frozen=True)
class Completed(Generic[F]):
    order_id: uuid.UUID
    order_no: str
    fulfilled: F
    pricing: Pricing
    payments: tuple[SettledPayment, ...]
    invoice: IssuedInvoice | None
    completed_at: datetime
    till_reopened: bool


class OrderKind(ABC, Generic[C, F]):
    """One business's own steps. The pipeline calls them in this order, the local ones inside
    the order's transaction: ``claims`` (central, before), ``take``, ``lines``, ``fulfil``,
    ``audit_after``; ``claimed`` when the order failed after a central claim."""

    order_type: OrderType  # a class attribute, or set per order by the kind
    action: ClassVar[str]  # the audit action, e.g. ``order.open_mobile``
    # the customer must have signed the terms: refused without them (checked after ``take``,
    # so a change that cannot be done is refused for that first)
    signed: bool = False

    def claims(self, central: CentralClaims, counter_id: uuid.UUID, now: datetime) -> MirrorRows:
        """Claim the shared resources at the central database; rows to mirror locally.
        Raises ``Offline`` with the link down. Nothing to claim by default."""
        return []

    def claimed(self, counter_id: uuid.UUID, stamp: datetime, now: datetime) -> Undoable | None:
        """The claim made with ``stamp``, to give back (None: nothing was claimed)."""
        return None

    @abstractmethod
    def take(self, session: Session, actor: Actor, now: datetime, offline: bool) -> Taken[C]:
        """The first writes: take the order's resources locally (offline only those leased
        here), check the customer may have this order, and load its catalog rows."""

    @abstractmethod
    def lines(self, context: C, today: date) -> Priced:
        """The order's priced lines and the terms the customer signs."""

    @abstractmethod
    def fulfil(
        self, session: Session, actor: Actor, order: Order, context: C, pricing: Pricing
    ) -> F:
        """Make what was sold (after the order row, before the payments)."""

    def audit_after(self, context: C) -> dict[str, object]:
        """This business's fields of the order's audit entry."""
        return {}

    def document_details(self, context: C, fulfilled: F) -> tuple[tuple[str, str], ...]:
        """What the order's receipt and acceptance form print beside its lines, masked as a
        clerk may show them: (label, value) rows, kept on the order (``details_json``)."""
        return ()


class OrderPipeline:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        central: CentralClaims | None,
        invoice: InvoiceStep,
    ) -> None:
        """``invoice``: ``issue_invoice`` with the counter's segment policy (shared=False: only
        the invoice blocks leased to it)."""
        self._db = db
        self._clock = clock
        self._central = central
        self._invoice = invoice

    def run(self, actor: Actor, kind: OrderKind[C, F], visit: Visit) -> Completed[F]:
        claimed, maybe, rows = self._claim(actor, kind)
        offline = self._central is not None and claimed is None
        try:
            if rows:
                with self._db.unit_of_work() as session:
                    mirror(session, rows, only_missing=True)
            return self._db.write_numbered(
                lambda session: self._complete(session, actor, kind, visit, offline)
            )
        except BaseException:
            # With a claim whose answer was lost (the link dropped during it), it may have
            # been made: undo it too.
            stamp = claimed if claimed is not None else maybe
            if stamp is not None:
                self._release(actor, kind, stamp)
            raise

    def _claim(
        self, actor: Actor, kind: OrderKind[C, F]
    ) -> tuple[datetime | None, datetime | None, MirrorRows]:
        """Online: the order's resources become this counter's at the central database before
        the order is written, so no other counter can sell them meanwhile. Returns the claim's
        stamp, or None when offline (the order then sells only from this counter's leases);
        second, the stamp of a claim that may have been made before the link dropped; third,
        rows to mirror."""
        counter_id = actor.counter_id
        if self._central is None or counter_id is None:
            return None, None, []
        now = self._clock()
        attempted = self._central.online
        try:
            rows = kind.claims(self._central, counter_id, now)
        except Offline:
            return None, now if attempted else None, []
        return now, None, rows

    def _release(self, actor: Actor, kind: OrderKind[C, F], stamp: datetime) -> None:
        """Give the claim back now or, with the link down, at the next sync round (kept
        durably in the counter's database)."""
        assert self._central is not None and actor.counter_id is not None
        claim = kind.claimed(actor.counter_id, stamp, self._clock())
        if claim is None:
            return
        try:
            self._central.release_claim(claim)
        except Offline:
            with self._db.unit_of_work() as session:
                claim.keep(session)
            log.warning("order failed with the link down: the claim is undone next round")

    def _complete(
        self,
        session: Session,
        actor: Actor,
        kind: OrderKind[C, F],
        visit: Visit,
        offline: bool,
    ) -> Completed[F]:
        now = self._clock()
        taken = kind.take(session, actor, now, offline)
        customer = taken.customer
        priced = kind.lines(taken.context, business_date(now))
        pricing = priced.pricing
        if kind.signed:
            require_signed(visit.terms_text, visit.signature_png)
        if visit.terms_text and visit.terms_text != priced.terms:
            # What the customer signed must be what is sold: prices, a promotion or the choice
            # changed. Said before the payment check, which would only name the amount.
            raise ValidationError("业务内容与客户签字确认的不一致，请客户重新确认签名", "客户确认")
        settled = settle(pricing.total_fen, list(visit.payments))
        order_id = uuid.uuid4()
        order = Order(
            id=order_id,
            order_no=order_no(session, actor, now),
            order_type=kind.order_type,
            state=OrderState.COMPLETED,
            hall_id=actor.hall_id,
            counter_id=actor.counter_id,
            staff_id=actor.staff_id,
            customer_id=customer.id,
            ticket_id=visit.ticket_id,
            total_fen=pricing.total_fen,
            terms_text=priced.terms,
            signature_png=visit.signature_png,
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
        fulfilled = kind.fulfil(session, actor, order, taken.context, pricing)
        details = kind.document_details(taken.context, fulfilled)
        if details:
            order.details_json = json.dumps([list(row) for row in details], ensure_ascii=False)
        till_for = open_session_for_payment(session, actor, now) if settled else None
        for p in settled:
            session.add(
                Payment(
                    order_id=order_id,
                    cash_session_id=till_for.id if till_for else None,
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
        invoice = self._invoice(session, actor, order_id, customer, pricing, now)
        if visit.ticket_id is not None:
            # The visitor is the ticket's customer: the first order names them. A later order
            # of the visit for someone else (a top-up to another's number) leaves it.
            session.execute(
                update(QueueTicket)
                .where(QueueTicket.id == visit.ticket_id, QueueTicket.customer_id.is_(None))
                .values(customer_id=customer.id, updated_at=now)
            )
        audit.record(
            session,
            at=now,
            actor=actor,
            action=kind.action,
            entity="order",
            entity_id=order_id,
            after={
                "order_no": order.order_no,
                "total_fen": pricing.total_fen,
                "invoice_no": invoice.invoice_no if invoice else None,
                "promotion": pricing.promotion.code if pricing.promotion else None,
                **kind.audit_after(taken.context),
            },
        )
        return Completed(
            order_id=order_id,
            order_no=order.order_no,
            fulfilled=fulfilled,
            pricing=pricing,
            payments=tuple(settled),
            invoice=invoice,
            completed_at=now,
            till_reopened=till_for is not None and till_for.reopened_after_close,
        )


def require_signed(terms: str, signature: bytes | None) -> None:
    """An order with terms is taken only once the customer has read and signed them."""
    if not terms.strip() or not signature:
        raise ValidationError("请客户在客户屏确认业务内容并签字", "客户确认")


def order_no(session: Session, actor: Actor, now: datetime) -> str:
    """SL, the business day, the window's code, then a sequence of that window's day:
    counters number their own orders, so two of them working off line never clash. Refused
    on a restored counter before its recovery pull (the central database may hold the next
    numbers already)."""
    restore_mark.require_recovered(session)
    day = business_date(now)
    counter = session.get_one(Counter, actor.require_counter("受理"))
    prefix = f"{ORDER_LETTERS}{day:%Y%m%d}{counter.code}"
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


@dataclass(frozen=True)
class LineView:
    description: str
    amount_fen: int  # negative for a promotion's discount
    invoiceable: bool
    vat_rate: Decimal | None
    discount: bool = False


def line_views(pricing: Pricing) -> tuple[LineView, ...]:
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


def take_here(
    session: Session,
    take: ReturningUpdate[*tuple[Any, ...]],
    table: Table,
    actor: Actor,
    now: datetime,
    offline: bool,
    refusal: tuple[str, str, str],  # the message, what offline adds to it, the field
) -> Row[*tuple[Any, ...]]:
    """One conditional UPDATE taking a resource locally; offline only one leased to this
    counter. Refused with a clerk's message when nothing matched."""
    if offline and actor.counter_id is not None:
        take = take.where(leased_here(table, actor.counter_id, now))
    row = session.execute(take).one_or_none()
    if row is None:
        message, offline_note, field = refusal
        raise ValidationError(message + (offline_note if offline else ""), field)
    return row
