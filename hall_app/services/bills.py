"""Bills (账单) at the counter: a customer's unpaid bills with today's late fee, their history,
and paying them (缴费, ``hall_app.services.bill_payment`` has the rule and the order).

The central database is the store of record: the counter pays the bills it pulled. Online, a
payment first takes each chosen bill at the central database (``CentralClaims.claim_bills``:
one conditional UPDATE on what was found paid on it), so a bill paid at another window or hall
is refused there, then by the same UPDATE here; a failed order gives the claim back. The link
dropping during the claim refuses the payment with nothing saved (the clerk tries again: with
the link marked down, the payment is taken offline and pushed later, like any payment; the
central copy then counts the bill's settlements, ``hall_app.sync.bill_totals``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.central import CentralLink
from hall_app.db.central_claims import LinkedCentral
from hall_app.db.engine import Database
from hall_app.db.models import Bill, BillItem, Subscription
from hall_app.domain.billing import overdue_days
from hall_app.domain.enums import BillStatus, SubscriptionStatus, SuspendReason
from hall_app.domain.errors import ValidationError
from hall_app.domain.payments import SettledPayment
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor
from hall_app.services.bill_payment import BillPayment
from hall_app.services.bill_plan import (
    BillItemView,
    BillPaymentRequest,
    DueBill,
    Plan,
    SettledRow,
    due_bills,
    plan_payment,
    settled_rows,
)
from hall_app.services.invoicing import issue_invoice
from hall_app.services.pipeline import LineView, OrderPipeline, Visit, line_views
from hall_app.services.subscriptions import shown_number, status_text

__all__ = [
    "BillItemView",
    "BillPaymentDone",
    "BillPaymentQuote",
    "BillPaymentRequest",
    "BillService",
    "BillView",
    "NumberChoice",
    "SettledRow",
    "UnpaidBills",
]


@dataclass(frozen=True)
class BillView:
    id: uuid.UUID
    subscription_id: uuid.UUID
    number: str  # masked
    period: str
    due_date: date
    amount_fen: int
    paid_fen: int
    outstanding_fen: int
    status: BillStatus
    overdue_days: int  # 0 once paid
    late_fee_fen: int  # today's, on what is outstanding
    items: tuple[BillItemView, ...]

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0


@dataclass(frozen=True)
class NumberChoice:
    subscription_id: uuid.UUID
    number: str  # masked
    status_text: str


@dataclass(frozen=True)
class UnpaidBills:
    bills: tuple[BillView, ...]  # oldest first
    owed_fen: int
    late_fee_fen: int
    total_fen: int  # owed plus late fees
    arrears_suspended: tuple[str, ...]  # masked numbers suspended for arrears
    numbers: tuple[NumberChoice, ...]  # the customer's numbers a rest may go to (预存到)


@dataclass(frozen=True)
class BillPaymentQuote:
    lines: tuple[LineView, ...]
    total_fen: int
    owed_fen: int
    late_fee_fen: int
    waived_fen: int
    top_up_fen: int
    settles: tuple[SettledRow, ...]  # how it would settle each bill
    invoiced_fen: int  # what the invoice will say (0: receipt only)


@dataclass(frozen=True)
class BillPaymentDone:
    order_id: uuid.UUID
    order_no: str
    total_fen: int
    payments: tuple[SettledPayment, ...]
    settled: tuple[SettledRow, ...]
    late_fee_fen: int
    waived_fen: int
    topped_up_fen: int
    invoice_no: str | None
    resumed: tuple[str, ...]
    till_reopened: bool


class BillService:
    def __init__(
        self,
        db: Database,
        rules: BusinessRules,
        clock: Clock,
        *,
        shared_segments: bool = True,
        link: CentralLink | None = None,
    ) -> None:
        self._db = db
        self._rules = rules
        self._clock = clock
        # Online, each bill is taken at the central database first (a claim, given back when
        # the order fails), then by the same conditional UPDATE in this database.
        central = LinkedCentral(link) if link is not None and link.configured else None
        self._synced = central is not None
        self._pipeline = OrderPipeline(
            db, clock, central, lambda *step: issue_invoice(*step, shared=shared_segments)
        )

    # -- reads -------------------------------------------------------------------------------

    def unpaid_bills(self, actor: Actor, customer_id: uuid.UUID) -> UnpaidBills:
        """The customer's unpaid and partly paid bills, oldest first, with today's late fee."""
        actor.require(Permission.CUSTOMER_VIEW)
        today = business_date(self._clock())
        with self._db.read() as s:
            due = due_bills(s, self._rules, customer_id, today, priced=False)
            views = tuple(_due_view(b) for b in due)
            subs = s.scalars(
                select(Subscription)
                .where(
                    Subscription.customer_id == customer_id,
                    Subscription.status.in_(
                        (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)
                    ),
                )
                .order_by(Subscription.service_number)
            ).all()
            numbers = tuple(NumberChoice(x.id, shown_number(x), status_text(x)) for x in subs)
            suspended = tuple(
                shown_number(x)
                for x in subs
                if x.status is SubscriptionStatus.SUSPENDED
                and x.suspend_reason is SuspendReason.ARREARS
            )
        owed = sum(b.outstanding_fen for b in views)
        fees = sum(b.late_fee_fen for b in views)
        return UnpaidBills(views, owed, fees, owed + fees, suspended, numbers)

    def bill_history(
        self, actor: Actor, customer_id: uuid.UUID, limit: int = 36
    ) -> tuple[BillView, ...]:
        """The customer's bills, newest period first (the record's 账单 tab)."""
        actor.require(Permission.CUSTOMER_VIEW)
        today = business_date(self._clock())
        unpaid = {b.id: b for b in self.unpaid_bills(actor, customer_id).bills}
        with self._db.read() as s:
            rows = s.execute(
                select(Bill, Subscription)
                .join(Subscription, Subscription.id == Bill.subscription_id)
                .where(Bill.customer_id == customer_id)
                .order_by(Bill.period.desc(), Subscription.service_number)
                .limit(limit)
            ).all()
            items = _items(s, [b.id for b, _ in rows])
            out = []
            for bill, sub in rows:
                if bill.id in unpaid:
                    out.append(unpaid[bill.id])
                    continue
                out.append(
                    BillView(
                        bill.id,
                        sub.id,
                        shown_number(sub),
                        bill.period,
                        bill.due_date,
                        bill.amount_fen,
                        bill.paid_fen,
                        max(0, bill.amount_fen - bill.paid_fen),
                        bill.status,
                        0
                        if bill.status in (BillStatus.PAID, BillStatus.WRITTEN_OFF)
                        else overdue_days(bill.due_date, today),
                        0,
                        items.get(bill.id, ()),
                    )
                )
        return tuple(out)

    def quote_bill_payment(self, actor: Actor, req: BillPaymentRequest) -> BillPaymentQuote:
        """What ``pay_bills`` would take for ``req`` now: its lines and how it settles."""
        actor.require(Permission.CUSTOMER_VIEW)
        with self._db.read() as s:
            plan = plan_payment(s, self._rules, req, self._clock())
        return _quote(plan)

    # -- writes ------------------------------------------------------------------------------

    def pay_bills(self, actor: Actor, req: BillPaymentRequest) -> BillPaymentDone:
        """缴费: settle the chosen (or the oldest) bills, their late fees first; the rest on a
        number's balance when one was chosen; a number suspended for arrears and now paid up
        resumed; an invoice per the counter's policy."""
        actor.require(Permission.ORDER_CREATE)
        actor.require(Permission.PAYMENT_TAKE)
        if req.waive_late_fee:
            if req.supervisor is None and req.approval_id is None:
                raise ValidationError(
                    "减免违约金须值班主管授权（现场授权或远程审批）", "违约金减免"
                )
            if req.supervisor is not None and not req.supervisor.can(Permission.APPROVE):
                raise ValidationError("授权人没有审批权限", "违约金减免")
        if self._synced and actor.counter_id is not None:
            # Synced: the bills as planned now are what is claimed at the central database.
            with self._db.read() as s:
                plan = plan_payment(s, self._rules, req, self._clock())
            seen = tuple((x.bill.id, x.bill.paid_fen) for x in plan.settles)
            kind = BillPayment(
                self._rules,
                replace(req, bill_ids=plan.bill_ids, seen_paid=req.seen_paid or seen),
                tuple(x.take() for x in plan.settles),
            )
        else:  # alone: the payment's own transaction plans it, reading the bills once
            kind = BillPayment(self._rules, req)
        done = self._pipeline.run(actor, kind, Visit(req.customer_id, req.payments, req.ticket_id))
        return BillPaymentDone(
            order_id=done.order_id,
            order_no=done.order_no,
            total_fen=done.pricing.total_fen,
            payments=done.payments,
            settled=done.fulfilled.rows,
            late_fee_fen=sum(r.late_fee_fen for r in done.fulfilled.rows),
            waived_fen=sum(r.waived_fen for r in done.fulfilled.rows),
            topped_up_fen=done.pricing.prepaid_fen,
            invoice_no=done.invoice.invoice_no if done.invoice else None,
            resumed=done.fulfilled.resumed,
            till_reopened=done.till_reopened,
        )


def _items(s: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[BillItemView, ...]]:
    if not ids:
        return {}
    out: dict[uuid.UUID, list[BillItemView]] = {}
    for item in s.scalars(
        select(BillItem).where(BillItem.bill_id.in_(ids)).order_by(BillItem.bill_id, BillItem.seq)
    ):
        out.setdefault(item.bill_id, []).append(
            BillItemView(item.kind, item.description, item.amount_fen)
        )
    return {k: tuple(v) for k, v in out.items()}


def _due_view(b: DueBill) -> BillView:
    return BillView(
        b.id,
        b.subscription_id,
        b.number,
        b.period,
        b.due_date,
        b.amount_fen,
        b.paid_fen,
        b.outstanding_fen,
        BillStatus.PARTLY_PAID if b.paid_fen else BillStatus.UNPAID,
        b.overdue_days,
        b.late_fee_fen,
        b.items,
    )


def _quote(plan: Plan) -> BillPaymentQuote:
    return BillPaymentQuote(
        lines=line_views(plan.pricing),
        total_fen=plan.pricing.total_fen,
        owed_fen=plan.owed_fen,
        late_fee_fen=plan.late_fee_fen,
        waived_fen=plan.waived_fen,
        top_up_fen=plan.top_up_fen,
        settles=settled_rows(plan),
        invoiced_fen=plan.pricing.invoice_total_fen,
    )
