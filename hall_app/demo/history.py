"""Past business days for reports: queue tickets served at the counters (the year's patterns:
``hall_app.demo.year``) with their evaluations, transfers and no-shows, their orders, payments,
invoices, receipts printed, the approvals asked for (inline and remote, in every state), the
tills closed with their blind counts, cash movements and Z reports and the hall's day closes
(``hall_app.demo.tills`` documents the Z report's ``content_json``), and fault and complaint
tickets.

Approvals name what they approve in ``subject_ref``: the customer's id (second_number_30d),
the credit assessment's id (installment_credit), the sale's order id (handset_return),
the blue invoice's number (red_letter), the till's id (cash_variance)."""

from __future__ import annotations

import json
import random
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from hall_app.clock import HALL_TZ, business_date, fmt_local
from hall_app.db.models import (
    Approval,
    CashMovement,
    CashSession,
    HallDayClose,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Payment,
    PrintRecord,
    QueueTicket,
    ServiceTicket,
    Subscription,
    ZReport,
)
from hall_app.demo.bulk import BulkWriter
from hall_app.demo.customers import SUBSCRIPTION_COLUMNS
from hall_app.demo.customers import Sample as SampleCustomer
from hall_app.demo.fixed import FixedLineBuilder, Placement
from hall_app.demo.handsets import HandsetBuilder, InvoiceItem, SaleLine
from hall_app.demo.installs import LINE_COLUMNS, ORDER_COLUMNS, PAYMENT_COLUMNS
from hall_app.demo.people import PeopleFactory
from hall_app.demo.reference import COUNTERS, Reference
from hall_app.demo.tills import FLOAT_FEN, TILL_METHODS, Till, blind_count, local_iso
from hall_app.demo.year import (
    Desk,
    SimTicket,
    arrival_offsets,
    lunch_of,
    rating_for,
    service_weights,
    simulate,
    tickets_on,
    works_on,
)
from hall_app.domain.enums import (
    ApprovalState,
    AreaType,
    CashMovementKind,
    CashSessionStatus,
    InvoiceKind,
    InvoiceStatus,
    OrderState,
    OrderType,
    PaymentMethod,
    ProductKind,
    Rating,
    Role,
    ServiceTicketKind,
    ServiceTicketStatus,
    SubscriptionKind,
    SubscriptionStatus,
    TicketStatus,
)
from hall_app.domain.masking import mask_name, mask_phone
from hall_app.domain.money import format_yuan, split_tax
from hall_app.domain.till import (
    MethodCheck,
    denomination_label,
    variance_fen,
    z_print_ref,
    z_ref,
)
from hall_app.services.tills import verdict

_Line = SaleLine  # vat_code None: not invoiceable (prepaid top-up)


ORDER_TYPES_BY_SERVICE = {
    "general": (
        OrderType.OPEN_MOBILE,
        OrderType.ADD_VALUE_ADDED,
        OrderType.CHANGE_CUSTOMER,
        OrderType.HANDSET_SALE,
        OrderType.OPEN_MOBILE,
        OrderType.TRANSFER_OWNERSHIP,
    ),
    "billing": (OrderType.BILL_PAYMENT, OrderType.BILL_PAYMENT, OrderType.TOP_UP),
    "fixed": (OrderType.BROADBAND_INSTALL, OrderType.LANDLINE_INSTALL, OrderType.RELOCATE),
    "vip": (
        OrderType.OPEN_MOBILE,
        OrderType.HANDSET_SALE,
        OrderType.BILL_PAYMENT,
        OrderType.BROADBAND_INSTALL,
    ),
}
FAULT_CATEGORIES = {  # a fault is about a subscription of its kind
    "宽带无法上网": SubscriptionKind.BROADBAND,
    "网速慢": SubscriptionKind.BROADBAND,
    "光猫故障": SubscriptionKind.BROADBAND,
    "固话无拨号音": SubscriptionKind.LANDLINE,
    "手机无信号": SubscriptionKind.MOBILE,
}
# Numbers opened during the history: their own phone namespace (customer chunk k uses
# namespace k, so this stays disjoint up to 99 chunks, about 2 million customers) and their
# own account series (customers' broadband accounts are 0591 + chunk + sequence; landlines
# here are 0591 + an 8-digit local number starting with 6, customers' start with 8).
HISTORY_PHONE_NAMESPACE = 99
PLAN_KINDS = {
    SubscriptionKind.MOBILE: ProductKind.MOBILE_PLAN,
    SubscriptionKind.BROADBAND: ProductKind.BROADBAND_PLAN,
    SubscriptionKind.LANDLINE: ProductKind.LANDLINE_PLAN,
}
COMPLAINT_CATEGORIES = ("资费争议", "服务态度", "装机超时", "话费异常", "营销短信骚扰")
# As BusinessRules' defaults (approval_expiry_minutes, cash_variance_tolerance_fen).
APPROVAL_EXPIRY_MINUTES = 30
CASH_TOLERANCE_FEN = 1000
APPROVE_REASONS = ("已核实客户资料，同意", "情况属实，同意办理", "同意")
REJECT_REASONS = ("客户资料不全，请补齐后再办", "不符合办理条件", "请客户本人到场办理")
RED_LETTER_REASONS = ("发票抬头有误，客户要求重开", "税号填写错误", "客户要求开具单位抬头")
SMALL_VARIANCES = (-10, -50, -100, -200, -500, 100, 500, -1000, 1000)
LARGE_VARIANCES = (-2000, -5000, -10000, 1500, 3000)
REPRINT_SHARE = 0.015
REPRINT_REASONS = ("客户要求补打", "打印不清晰", "打印机卡纸")
SMALL_REASONS = ("找零误差", "硬币点数误差", "")
LARGE_REASONS = ("收款时少收一张百元", "找零多找", "顾客多付未退，已登记待退", "点钞有误，复点一致")


def _cols(*names: str) -> tuple[str, ...]:
    return ("id", "created_at", "updated_at", *names)


SERVICE_TICKET_COLUMNS = _cols(
    "ticket_no",
    "kind",
    "customer_id",
    "subscription_id",
    "category",
    "description",
    "area",
    "status",
    "opened_at",
    "deadline_at",
    "resolved_at",
    "resolution",
    "staff_id",
    "hall_id",
)


@dataclass(frozen=True)
class _Gate:
    """How one approval went (its row's state and times)."""

    state: ApprovalState
    inline: bool
    approver: uuid.UUID | None
    requested: datetime
    decided: datetime | None
    used: datetime | None
    reason: str
    updated: datetime | None = None  # expired or withdrawn: when


@dataclass(frozen=True)
class InvoiceNumbering:
    """The segment the history's invoices are numbered from (the same one the counters go on
    with), so each invoice names its segment and its number is the segment's."""

    segment_id: uuid.UUID
    year2: str
    province_code: str
    channel: str


class HistoryBuilder:
    def __init__(
        self,
        conn: Connection,
        ref: Reference,
        rng: random.Random,
        uid: Callable[[], uuid.UUID],
        today: date,
        numbering: InvoiceNumbering,
        fixed: FixedLineBuilder,
        handsets: HandsetBuilder,
    ) -> None:
        self._ref = ref
        self._fixed = fixed
        # The card/QR references of the orders written by write_order (a return refunds
        # against its sale's), and of the last payment written.
        self._references: dict[uuid.UUID, str] = {}
        self._last_reference: str | None = None
        self._handsets = handsets
        # The install the last order opened: (subscription, kind, plan, activated, placement).
        # (subscription, kind, plan, activated or None while pending, planned, placement)
        self._install: (
            tuple[uuid.UUID, SubscriptionKind, uuid.UUID, datetime | None, datetime, Placement]
            | None
        ) = None
        self._numbering = numbering
        self._anchor = datetime.combine(today, dtime(7, 30), HALL_TZ).astimezone(UTC)
        self._phones = PeopleFactory(
            random.Random(rng.getrandbits(64)), today, namespace=HISTORY_PHONE_NAMESPACE
        )
        self._account_seq = 0
        # Subscriptions the history opened or took over, per customer, by kind.
        self._opened: dict[uuid.UUID, dict[SubscriptionKind, uuid.UUID]] = {}
        self._rng = rng
        self._uid = uid
        self._today = today
        self.invoice_seq = 0
        self._order_seq = 0
        self._st_seq = 0
        self._w_ticket = BulkWriter(
            conn,
            QueueTicket,
            _cols(
                "hall_id",
                "service_type_id",
                "business_date",
                "seq",
                "ticket_no",
                "status",
                "is_walk_in",
                "issued_at",
                "called_at",
                "started_at",
                "finished_at",
                "recall_count",
                "counter_id",
                "staff_id",
                "customer_id",
                "rating",
                "rated_at",
                "rating_note",
            ),
        )
        self._w_sub = BulkWriter(conn, Subscription, SUBSCRIPTION_COLUMNS)
        self._w_order = BulkWriter(
            conn,
            Order,
            ORDER_COLUMNS,
        )
        self._w_line = BulkWriter(
            conn,
            OrderLine,
            LINE_COLUMNS,
        )
        self._w_pay = BulkWriter(
            conn,
            Payment,
            PAYMENT_COLUMNS,
        )
        self._w_inv = BulkWriter(
            conn,
            Invoice,
            _cols(
                "invoice_no",
                "kind",
                "status",
                "order_id",
                "customer_id",
                "issued_at",
                "buyer_name",
                "buyer_tax_id",
                "seller_name",
                "seller_tax_id",
                "total_fen",
                "amount_fen",
                "tax_fen",
                "issuer_id",
                "remarks",
                "segment_id",
            ),
        )
        self._w_red = BulkWriter(  # red-letter invoices, naming the blue one they cancel
            conn, Invoice, (*self._w_inv.columns, "original_invoice_id")
        )
        self._invoices: dict[uuid.UUID, tuple[Any, ...]] = {}  # blue ones the older sales wrote
        self._invoice_lines: dict[uuid.UUID, list[tuple[Any, ...]]] = {}
        self._w_inv_line = BulkWriter(
            conn,
            InvoiceLine,
            _cols(
                "invoice_id",
                "item_name",
                "quantity",
                "unit_price_fen",
                "amount_fen",
                "rate",
                "tax_fen",
            ),
        )
        self._w_print = BulkWriter(
            conn,
            PrintRecord,
            _cols(
                "document_type",
                "document_ref",
                "order_id",
                "staff_id",
                "copy_no",
                "reason",
                "printed_at",
            ),
        )
        self._w_cash = BulkWriter(
            conn,
            CashSession,
            _cols(
                "counter_id",
                "staff_id",
                "business_date",
                "status",
                "opened_at",
                "closed_at",
                "opening_float_fen",
                "expected_cash_fen",
                "counted_cash_fen",
                "difference_fen",
                "closed_by_id",
                "counts_json",
                "counted_card_fen",
                "counted_qr_fen",
                "difference_reason",
                "approval_id",
            ),
        )
        self._w_approval = BulkWriter(
            conn,
            Approval,
            _cols(
                "kind",
                "order_id",
                "customer_id",
                "requested_by_id",
                "approver_id",
                "state",
                "reason",
                "decided_at",
                "hall_id",
                "counter_id",
                "inline",
                "requested_at",
                "expires_at",
                "request_reason",
                "summary",
                "customer_label",
                "subject_ref",
                "amount_fen",
                "used_at",
            ),
        )
        self._w_move = BulkWriter(
            conn,
            CashMovement,
            _cols("cash_session_id", "staff_id", "kind", "amount_fen", "reason", "moved_at"),
        )
        self._w_z = BulkWriter(
            conn,
            ZReport,
            _cols("hall_id", "z_no", "cash_session_id", "business_date", "made_at", "content_json"),
        )
        self._w_close = BulkWriter(
            conn,
            HallDayClose,
            _cols("hall_id", "business_date", "closed_at", "closed_by_id", "summary_json"),
        )
        self._w_st = BulkWriter(conn, ServiceTicket, SERVICE_TICKET_COLUMNS)
        self._rows: dict[BulkWriter, list[tuple[Any, ...]]] = {}
        served = {code: types for code, _, types in COUNTERS}
        self._served = {c.id: served[c.code] for c in ref.counters}
        self._counter_name = {c.id: c.name for c in ref.counters}
        self._counter_code_of = {c.id: c.code for c in ref.counters}
        self._username = {s.id: s.username for s in ref.staff}
        self._name = {s.id: s.full_name for s in ref.staff}
        self._employee_no = {s.id: s.employee_no for s in ref.staff}
        self._role = {s.id: s.role for s in ref.staff}
        self._supervisors = [s.id for s in ref.staff if s.role is Role.SUPERVISOR]
        self._counter_of = {s.id: s.default_counter_id or ref.counters[0].id for s in ref.staff}
        self._opens: list[tuple[date, SampleCustomer]] = []  # numbers opened lately
        self._z_no = 0
        # Outside any till, by day: payments by method; blue and red invoice totals by day.
        self._outside: dict[date, dict[str, int]] = {}
        self._day_invoices: dict[date, tuple[int, int]] = {}
        self._last_cash = (0, 0)  # the last payment's tendered and change
        self._first_day = today  # the history's first day (build sets it)
        self._tills: dict[tuple[date, uuid.UUID], Till] = {}
        # Payment rows into the tills of days not written yet, by day.
        self._deferred: dict[date, list[tuple[Any, ...]]] = {}
        # Recent install orders of the days, paid into the tills when their day is written
        self._fixed_paid: dict[date, list[tuple[Any, ...]]] = {}
        self._last_invoice_no = ""
        self._red_lettered: set[uuid.UUID] = set()  # blue invoices a red-letter one cancelled
        self._recent_blue: deque[tuple[Any, ...]] = deque(maxlen=64)  # the last blue rows

    def _add(self, writer: BulkWriter, row: tuple[Any, ...]) -> None:
        self._rows.setdefault(writer, []).append(row)

    def _flush(self) -> None:
        """Write the buffered rows, parents before children (foreign keys are enforced)."""
        order = (
            self._w_ticket,
            self._w_sub,
            self._w_order,
            self._w_approval,
            self._w_cash,
            self._w_move,
            self._w_z,
            self._w_close,
            self._w_line,
            self._w_pay,
            self._w_inv,
            self._w_red,
            self._w_inv_line,
            self._w_print,
            self._w_st,
        )
        for writer in order:
            writer.write(self._rows.pop(writer, []))
        assert not self._rows
        self._fixed.flush()  # the work orders and equipment of the installs
        self._invoices.clear()  # written: no longer to be red-lettered
        self._invoice_lines.clear()
        self._handsets.flush()  # the units sold, commitments, contracts and instalments

    def begin(self, days: int) -> None:
        """The history's days known before they are written (FixedLineBuilder.recent pays
        into their tills first)."""
        self._first_day = self._today - timedelta(days=days)

    def clerk_on(
        self, day: date, pick: float, counters: frozenset[uuid.UUID]
    ) -> tuple[uuid.UUID, uuid.UUID] | None:
        """A clerk at work on ``day`` (one of the history's days) and their window, drawn by
        ``pick`` in [0, 1): at one of ``counters`` when any of them works there."""
        if not self._first_day <= day < self._today:
            return None
        at_work = [
            s.id for s in self._ref.staff if s.role is Role.CLERK and works_on(s.username, day)
        ]
        there = [s for s in at_work if self._counter_of[s] in counters] or at_work
        if not there:
            return None
        staff_id = there[min(int(pick * len(there)), len(there) - 1)]
        return staff_id, self._counter_of[staff_id]

    def pay_fixed(
        self,
        *,
        order_id: uuid.UUID,
        customer: SampleCustomer,
        staff_id: uuid.UUID,
        at: datetime,
        lines: Sequence[tuple[str, uuid.UUID | None, int, str | None]],
        reference: str,
    ) -> bool:
        """A recent install order (written by the fixed-line builder) paid by QR into its
        clerk's till of the day, invoiced for its invoiceable lines; done with that day.
        False when it is not one of the history's days or the clerk is off then."""
        day = at.astimezone(HALL_TZ).date()
        if not self._first_day <= day < self._today or not works_on(self._username[staff_id], day):
            return False
        items = self._items([_Line(d, p, amount, vat) for d, p, amount, vat in lines])
        total = sum(amount for _, _, amount, _ in lines)
        self._fixed_paid.setdefault(day, []).append(
            (order_id, customer, staff_id, at, total, items, reference)
        )
        return True

    def _pay_fixed_of(self, day: date) -> None:
        """The recent install orders of ``day``: their payments into the tills, their
        invoices (before the tills close)."""
        for order_id, customer, staff_id, at, total, items, reference in self._fixed_paid.pop(
            day, []
        ):
            till = self._till_for(day, staff_id)
            at_utc = at.astimezone(UTC)
            self._deferred.setdefault(day, []).append(
                (
                    self._uid(),
                    at_utc,
                    at_utc,
                    order_id,
                    customer.id,
                    staff_id,
                    till.id,
                    PaymentMethod.QR_WALLET,
                    total,
                    None,
                    0,
                    reference,
                    at_utc,
                )
            )
            till.paid(PaymentMethod.QR_WALLET, total, 0, 0, at)
            if items:
                invoice_id = self._invoice(customer, order_id, staff_id, at_utc, items)
                till.blue.append(self._invoices[invoice_id][13])

    def build(self, days: int, samples: list[SampleCustomer]) -> tuple[int, int]:
        self.begin(days)
        self._handsets.older(samples, self)  # before the days: its invoices are older
        self._flush()
        for back in range(days, 0, -1):
            day = self._today - timedelta(days=back)
            self._day(day, samples)
            # payments written earlier into this day's tills (repayments, older sales)
            self._rows.setdefault(self._w_pay, []).extend(self._deferred.pop(day, []))
            self._flush()
        assert not self._deferred and not self._fixed_paid
        self._service_tickets(samples)
        self._flush()
        return self._w_ticket.count, self._w_order.count

    @property
    def subscriptions(self) -> int:
        """Subscriptions the history opened (new numbers, installs, numbers taken over)."""
        return self._w_sub.count

    # -- one business day ------------------------------------------------------------------------
    def _day(self, day: date, samples: list[SampleCustomer]) -> None:
        """The day's queue served at the open counters (``hall_app.demo.year``), each done
        ticket's evaluation and order, the approvals they needed, a red-letter invoice now and
        then, and the tills closed with their Z reports and the hall's day close."""
        rng = self._rng
        ref = self._ref
        workers = [
            s
            for s in ref.staff
            if s.role in (Role.CLERK, Role.SUPERVISOR) and works_on(s.username, day)
        ]
        opening = datetime.combine(day, dtime(8, 30), HALL_TZ)
        desks = [
            Desk(
                counter_id=s.default_counter_id or ref.counters[0].id,
                staff_id=s.id,
                username=s.username,
                types=tuple(
                    sorted(
                        self._served[s.default_counter_id or ref.counters[0].id],
                        key=lambda c: c != "vip",
                    )
                ),
                lunch=lunch_of(day, i),
                free_at=opening,
            )
            for i, s in enumerate(workers)
        ]
        tills = {s.id: self._till_for(day, s.id) for s in workers}
        weights = service_weights(day)
        codes = list(weights)
        seqs = dict.fromkeys(codes, 0)
        tickets = []
        for n, offset in enumerate(arrival_offsets(tickets_on(day, rng), rng)):
            code = rng.choices(codes, weights=[weights[c] for c in codes])[0]
            tickets.append(SimTicket(n, code, code, opening + timedelta(seconds=offset)))
        simulate(tickets, desks, rng)
        invoiced: list[tuple[uuid.UUID, SampleCustomer, uuid.UUID, Till, datetime]] = []
        red_letters_until = datetime.combine(day, dtime(16, 0), HALL_TZ)  # red-lettered by 17:40
        for t in tickets:
            if t.called is None or t.staff_id is None or t.counter_id is None:
                continue  # no counter serving its type was open (never in the demo's week)
            letter = ref.service_types[t.letter_code].letter
            seqs[t.letter_code] += 1
            tid = self._uid()
            stype = ref.service_types[t.code]
            sample = samples[rng.randrange(len(samples))]
            kind = rng.choice(ORDER_TYPES_BY_SERVICE[t.code])
            second = (
                not t.no_show
                and kind is OrderType.OPEN_MOBILE
                and rng.random() < 0.1
                and self._recent_opener(day, rng)
            )
            if second:
                sample = second
            rating = rated_at = None
            note = ""
            if t.finished is not None and t.started is not None:
                wait_min = (t.called - t.issued).total_seconds() / 60
                service_min = (t.finished - t.started).total_seconds() / 60
                value, note, after = rating_for(
                    rng, self._username[t.staff_id], wait_min, service_min
                )
                rating = Rating(value)
                rated_at = t.finished + timedelta(seconds=after)
            self._add(
                self._w_ticket,
                (
                    tid,
                    t.issued,
                    rated_at or t.finished or t.called,
                    ref.hall.id,
                    stype.id,
                    day,
                    seqs[t.letter_code],
                    f"{letter}{seqs[t.letter_code]:03d}",
                    TicketStatus.NO_SHOW if t.no_show else TicketStatus.DONE,
                    False,
                    t.issued,
                    t.called,
                    t.started,
                    t.finished,
                    t.recall_count,
                    t.counter_id,
                    t.staff_id,
                    None if t.no_show else sample.id,
                    rating,
                    rated_at,
                    note,
                ),
            )
            if t.no_show or t.finished is None or t.started is None:
                continue
            till = tills[t.staff_id]
            gate: _Gate | None = None
            if second:
                requested = t.started + (t.finished - t.started) / 3
                gate = self._draw_gate(requested, t.staff_id)
                if gate.state is not ApprovalState.APPROVED:
                    self._approval(
                        "second_number_30d",
                        gate,
                        t.staff_id,
                        t.counter_id,
                        sample,
                        None,
                        str(sample.id),
                        f"30天内再次开户 {mask_phone(sample.phone)}",
                        "客户30天内已开过号码，再次开户",
                        None,
                    )
                    continue  # the order stops
            oid, method, total, invoice_id = self._order(
                day, kind, sample, t.staff_id, t.counter_id, tid, till.id, t.finished
            )
            if kind is OrderType.OPEN_MOBILE:
                self._opens.append((day, sample))
            if gate is not None:
                self._approval(
                    "second_number_30d",
                    gate,
                    t.staff_id,
                    t.counter_id,
                    sample,
                    oid,
                    str(sample.id),
                    f"30天内再次开户 {mask_phone(sample.phone)}",
                    "客户30天内已开过号码，再次开户",
                    None,
                )
            if method is not None:
                tendered, change = self._last_cash
                till.paid(method, total, tendered, change, t.finished)
            if invoice_id is not None:
                till.blue.append(self._invoices[invoice_id][13])
                if self._role[t.staff_id] is Role.CLERK and t.finished < red_letters_until:
                    invoiced.append((invoice_id, sample, t.staff_id, till, t.finished))
        if invoiced and rng.random() < 0.35:
            self._day_red_letter(day, invoiced[rng.randrange(len(invoiced))])
        self._pay_fixed_of(day)
        self._close_tills(day, desks, tills, workers)
        for s in workers:
            del self._tills[(day, s.id)]

    def _till_for(self, day: date, staff_id: uuid.UUID) -> Till:
        """``staff_id``'s till of ``day`` (made when first needed: an older sale's
        repayment may fall into it before the day is written)."""
        till = self._tills.get((day, staff_id))
        if till is None:
            opening = datetime.combine(day, dtime(8, 30), HALL_TZ)
            opened = opening - timedelta(minutes=self._rng.randint(2, 15))
            till = Till(self._uid(), self._counter_of[staff_id], staff_id, opened)
            self._tills[(day, staff_id)] = till
        return till

    def _till_of_order(self, at: datetime, staff_id: uuid.UUID) -> Till | None:
        """The till an order outside the queue tickets is paid into: the clerk's of that day
        when it is one of the history's days and the clerk works that day."""
        day = at.astimezone(HALL_TZ).date()
        if not self._first_day <= day < self._today:
            return None
        if not works_on(self._username[staff_id], day):
            return None
        return self._till_for(day, staff_id)

    def _recent_opener(self, day: date, rng: random.Random) -> SampleCustomer | None:
        """A customer who opened a number within the last 30 days (a second one needs a
        supervisor's approval)."""
        while self._opens and (day - self._opens[0][0]).days > 28:
            self._opens.pop(0)
        if not self._opens:
            return None
        return self._opens[rng.randrange(len(self._opens))][1]

    # -- approvals --------------------------------------------------------------------------------
    def _approver(self, staff_id: uuid.UUID) -> uuid.UUID:
        """The duty supervisor deciding for ``staff_id`` (never themself)."""
        others = [s for s in self._supervisors if s != staff_id]
        return others[self._rng.randrange(len(others))]

    def _draw_gate(self, at: datetime, staff_id: uuid.UUID, *, can_fail: bool = True) -> _Gate:
        """How an approval asked for at ``at`` went: typed inline at the counter, or asked
        remotely and approved, rejected, left to expire or withdrawn."""
        rng = self._rng
        approver = self._approver(staff_id)
        expiry = timedelta(minutes=APPROVAL_EXPIRY_MINUTES)
        if rng.random() < 0.55:
            return _Gate(ApprovalState.APPROVED, True, approver, at, at, at, "现场核实，同意办理")
        requested = at - timedelta(seconds=rng.randint(60, 300))
        r = rng.random()
        decided = requested + timedelta(seconds=rng.randint(40, 360))
        if not can_fail or r < 0.72:
            used = decided + timedelta(seconds=rng.randint(5, 40))
            reason = APPROVE_REASONS[rng.randrange(len(APPROVE_REASONS))]
            return _Gate(ApprovalState.APPROVED, False, approver, requested, decided, used, reason)
        if r < 0.88:
            reason = REJECT_REASONS[rng.randrange(len(REJECT_REASONS))]
            return _Gate(ApprovalState.REJECTED, False, approver, requested, decided, None, reason)
        if r < 0.94:
            return _Gate(
                ApprovalState.EXPIRED, False, None, requested, None, None, "", requested + expiry
            )
        return _Gate(ApprovalState.WITHDRAWN, False, None, requested, None, None, "", decided)

    def _approval(
        self,
        kind: str,
        gate: _Gate,
        staff_id: uuid.UUID,
        counter_id: uuid.UUID | None,
        customer: SampleCustomer | None,
        order_id: uuid.UUID | None,
        subject_ref: str,
        summary: str,
        request_reason: str,
        amount_fen: int | None,
    ) -> uuid.UUID:
        approval_id = self._uid()
        self._add(
            self._w_approval,
            (
                approval_id,
                gate.requested,
                gate.updated or gate.used or gate.decided or gate.requested,
                kind,
                order_id,
                customer.id if customer else None,
                staff_id,
                gate.approver,
                gate.state,
                gate.reason,
                gate.decided,
                self._ref.hall.id,
                counter_id,
                gate.inline,
                gate.requested,
                gate.requested + timedelta(minutes=APPROVAL_EXPIRY_MINUTES),
                request_reason,
                summary[:200],
                mask_name(customer.name) if customer else "",
                subject_ref,
                amount_fen,
                gate.used,
            ),
        )
        return approval_id

    def inline_approval(
        self,
        *,
        kind: str,
        customer: SampleCustomer,
        staff_id: uuid.UUID,
        approver_id: uuid.UUID,
        counter_id: uuid.UUID | None,
        at: datetime,
        order_id: uuid.UUID | None,
        subject_ref: str,
        summary: str,
        request_reason: str,
        amount_fen: int | None,
    ) -> None:
        """A supervisor's approval typed at the clerk's counter (the handset builder's
        installment assessments and returns)."""
        gate = _Gate(ApprovalState.APPROVED, True, approver_id, at, at, at, "现场核实，同意办理")
        self._approval(
            kind,
            gate,
            staff_id,
            counter_id or self._counter_of[staff_id],
            customer,
            order_id,
            subject_ref,
            summary,
            request_reason,
            amount_fen,
        )

    def pending(self, now: datetime, samples: list[SampleCustomer]) -> int:
        """Requests from today's counters still waiting in the supervisors' inbox at ``now``."""
        rng = self._rng
        opening = datetime.combine(business_date(now), dtime(8, 30), HALL_TZ)
        clerks = [
            s
            for s in self._ref.staff
            if s.role is Role.CLERK and works_on(s.username, business_date(now))
        ]
        by_id = {s.id: s for s in samples}
        written = 0
        for minutes, kind in ((3, "second_number_30d"), (9, "red_letter")):
            staff = clerks[rng.randrange(len(clerks))]
            customer = samples[rng.randrange(len(samples))]
            requested = now - timedelta(minutes=minutes)
            gate = _Gate(ApprovalState.PENDING, False, None, requested, None, None, "")
            if kind == "red_letter":
                # the hall's latest invoice still issued: its customer, number and total, in
                # the words ui/customers/red_letter.py sends
                invoice = self._latest_issued()
                invoice_no, total = self._last_invoice_no, None
                if invoice is not None and invoice[7] in by_id:
                    customer, invoice_no, total = by_id[invoice[7]], invoice[3], int(invoice[13])
                self._approval(
                    kind,
                    gate,
                    staff.id,
                    self._counter_of[staff.id],
                    customer,
                    None,  # as the screen asks: the invoice is the subject
                    invoice_no,
                    f"红冲发票 {invoice_no}"
                    + ("" if total is None else f"（{format_yuan(total)}）"),
                    "开票信息有误，客户要求重开",
                    total,
                )
            else:
                self._approval(
                    kind,
                    gate,
                    staff.id,
                    self._counter_of[staff.id],
                    customer,
                    None,
                    str(customer.id),
                    f"30天内再次开户 {mask_phone(customer.phone)}",
                    "客户30天内已开过号码，再次开户",
                    None,
                )
            written += 1
        # decided this morning: in the inbox's 今日已处理 list
        for minutes, state in ((50, ApprovalState.APPROVED), (30, ApprovalState.REJECTED)):
            requested = now - timedelta(minutes=minutes)
            if requested < opening:
                continue
            staff = clerks[rng.randrange(len(clerks))]
            customer = samples[rng.randrange(len(samples))]
            decided = requested + timedelta(minutes=4)
            gate = _Gate(
                state,
                False,
                self._approver(staff.id),
                requested,
                decided,
                None,  # approved, the clerk not yet gone on
                APPROVE_REASONS[0] if state is ApprovalState.APPROVED else REJECT_REASONS[0],
            )
            self._approval(
                "second_number_30d",
                gate,
                staff.id,
                self._counter_of[staff.id],
                customer,
                None,
                str(customer.id),
                f"30天内再次开户 {mask_phone(customer.phone)}",
                "客户30天内已开过号码，再次开户",
                None,
            )
            written += 1
        self._flush()
        return written

    def _latest_issued(self) -> tuple[Any, ...] | None:
        """The row of the last blue invoice written that no red-letter one cancelled."""
        for row in list(self._recent_blue)[::-1]:
            if row[0] not in self._red_lettered:
                return row
        return None

    def _day_red_letter(
        self, day: date, pick: tuple[uuid.UUID, SampleCustomer, uuid.UUID, Till, datetime]
    ) -> None:
        """A clerk's blue invoice of the day red-lettered later that day, the supervisor
        approving (inline or from the inbox); a rejected request leaves it as it was."""
        rng = self._rng
        invoice_id, customer, staff_id, till, issued = pick
        latest = datetime.combine(day, dtime(17, 40), HALL_TZ)
        at = min(latest, issued + timedelta(minutes=rng.randint(15, 120)))
        blue = self._invoices[invoice_id]
        reason = RED_LETTER_REASONS[rng.randrange(len(RED_LETTER_REASONS))]
        gate = self._draw_gate(at, staff_id)
        self._approval(
            "red_letter",
            gate,
            staff_id,
            till.counter_id,
            customer,
            blue[6],
            blue[3],
            f"发票红冲 {blue[3]}",
            reason,
            -blue[13],
        )
        if gate.state is not ApprovalState.APPROVED:
            return
        self.red_letter(invoice_id, customer, staff_id, gate.used or at, reason)

    # -- tills, Z reports and the day close -------------------------------------------------------
    def _close_tills(
        self, day: date, desks: list[Desk], tills: dict[uuid.UUID, Till], workers: list[Any]
    ) -> None:
        rng = self._rng
        ref = self._ref
        closing = datetime.combine(day, dtime(18, 0), HALL_TZ)
        made: list[tuple[datetime, Till, dict[str, Any]]] = []
        for desk in desks:
            till = tills[desk.staff_id]
            if rng.random() < 0.12:
                at = till.opened_at + timedelta(minutes=rng.randint(60, 150))
                till.moves_in.append(
                    {"amount_fen": 20000, "reason": "补充零钱备用金", "at": local_iso(at)}
                )
                self._movement(till, CashMovementKind.IN, 20000, "补充零钱备用金", at)
            noon = desk.lunch[0]
            kept = till.cash_before(noon)
            if kept >= 200000:
                amount = (kept - 30000) // 100000 * 100000
                till.moves_out.append(
                    {"amount_fen": amount, "reason": "午间解款上缴金库", "at": local_iso(noon)}
                )
                self._movement(till, CashMovementKind.OUT, amount, "午间解款上缴金库", noon)
            closed = max(closing, desk.last_finish or closing) + timedelta(
                minutes=rng.randint(3, 15)
            )
            expected = till.expected_cash_fen
            r = rng.random()
            variance = (
                0
                if r < 0.86
                else SMALL_VARIANCES[rng.randrange(len(SMALL_VARIANCES))]
                if r < 0.96
                else LARGE_VARIANCES[rng.randrange(len(LARGE_VARIANCES))]
            )
            counted = max(0, expected + variance)
            variance = counted - expected
            reason = ""
            approval_id = None
            sign_off: dict[str, Any] | None = None
            if variance and abs(variance) <= CASH_TOLERANCE_FEN:
                reason = SMALL_REASONS[rng.randrange(len(SMALL_REASONS))]
            elif variance:
                reason = LARGE_REASONS[rng.randrange(len(LARGE_REASONS))]
                gate = self._draw_gate(closed, till.staff_id, can_fail=False)
                label = "长款" if variance > 0 else "短款"
                approval_id = self._approval(
                    "cash_variance",
                    gate,
                    till.staff_id,
                    till.counter_id,
                    None,
                    None,
                    str(till.id),
                    f"现金{label} {abs(variance) / 100:.2f} 元 "
                    f"{self._counter_name[till.counter_id]}",
                    reason,
                    variance,
                )
                closed = gate.used or closed
                sign_off = {
                    "approval_id": str(approval_id),
                    "approver_name": self._name[gate.approver] if gate.approver else "",
                    "inline": gate.inline,
                    "reason": gate.reason,
                }
            counts = blind_count(counted, rng)
            card = till.sales.get(PaymentMethod.BANK_CARD, 0)
            qr = till.sales.get(PaymentMethod.QR_WALLET, 0)
            self._add(
                self._w_cash,
                (
                    till.id,
                    till.opened_at,
                    closed,
                    till.counter_id,
                    till.staff_id,
                    day,
                    CashSessionStatus.CLOSED,
                    till.opened_at,
                    closed,
                    FLOAT_FEN,
                    expected,
                    counted,
                    variance,
                    till.staff_id,
                    json.dumps(counts),
                    card,
                    qr,
                    reason,
                    approval_id,
                ),
            )
            made.append(
                (
                    closed + timedelta(seconds=rng.randint(20, 90)),
                    till,
                    {
                        "counts": counts,
                        "counted": counted,
                        "variance": variance,
                        "reason": reason,
                        "sign_off": sign_off,
                        "opened_at": till.opened_at,
                        "closed_at": closed,
                    },
                )
            )
        made.sort(key=lambda m: m[0])
        tills_summary = []
        for made_at, till, close in made:
            self._z_no += 1
            content = self._z_content(day, self._z_no, made_at, till, close)
            should, got = self._till_figures(till, close)
            self._add(
                self._w_z,
                (
                    self._uid(),
                    made_at,
                    made_at,
                    ref.hall.id,
                    self._z_no,
                    till.id,
                    day,
                    made_at,
                    json.dumps(content, ensure_ascii=False),
                ),
            )
            tills_summary.append(
                {
                    "z_no": self._z_no,
                    "z_label": content["z_ref"],
                    "counter_code": self._counter_code_of[till.counter_id],
                    "counter_name": self._counter_name[till.counter_id],
                    "clerk_name": self._name[till.staff_id],
                    "expected_fen": {m.value: should[m] for m in TILL_METHODS},
                    "counted_fen": {m.value: got[m] for m in TILL_METHODS},
                    "variance_fen": sum(got[m] - should[m] for m in TILL_METHODS),
                }
            )
        if made:
            self._day_close(day, made[-1][0], tills_summary, [m[1] for m in made], workers)

    def _movement(
        self, till: Till, kind: CashMovementKind, amount: int, reason: str, at: datetime
    ) -> None:
        self._add(
            self._w_move,
            (self._uid(), at, at, till.id, till.staff_id, kind, amount, reason, at),
        )

    @staticmethod
    def _till_figures(
        till: Till, close: dict[str, Any]
    ) -> tuple[dict[PaymentMethod, int], dict[PaymentMethod, int]]:
        """What the till should hold and what was counted, by method (the terminals' own
        settlements agree with the card and QR takings in the demo)."""
        card = till.sales.get(PaymentMethod.BANK_CARD, 0)
        qr = till.sales.get(PaymentMethod.QR_WALLET, 0)
        expected = {
            PaymentMethod.CASH: till.expected_cash_fen,
            PaymentMethod.BANK_CARD: card,
            PaymentMethod.QR_WALLET: qr,
        }
        counted = {
            PaymentMethod.CASH: int(close["counted"]),
            PaymentMethod.BANK_CARD: card,
            PaymentMethod.QR_WALLET: qr,
        }
        return expected, counted

    def _z_content(
        self, day: date, z_no: int, made_at: datetime, till: Till, close: dict[str, Any]
    ) -> dict[str, Any]:
        """What the Z report shows, frozen, in the shape the tills service writes
        (``hall_app.services.tills.z_content``); its prints are print records."""
        ref = self._ref
        name = self._name[till.staff_id]
        expected, counted = self._till_figures(till, close)
        checks = tuple(MethodCheck(m.value, m.label, expected[m], counted[m]) for m in TILL_METHODS)
        printer = till.staff_id
        print_ref = z_print_ref(ref.hall.code, z_no)  # the print records' ref, as the app's
        self._add(
            self._w_print,
            (self._uid(), made_at, made_at, "z_report", print_ref, None, printer, 1, "", made_at),
        )
        if self._rng.random() < 0.03:
            again = made_at + timedelta(minutes=self._rng.randint(2, 20))
            self._add(
                self._w_print,
                (
                    self._uid(),
                    again,
                    again,
                    "z_report",
                    print_ref,
                    None,
                    printer,
                    2,
                    "打印机卡纸，重打",
                    again,
                ),
            )
        moves = sorted(
            [(CashMovementKind.IN, m) for m in till.moves_in]
            + [(CashMovementKind.OUT, m) for m in till.moves_out],
            key=lambda km: str(km[1]["at"]),
        )
        sign_off = close["sign_off"]
        return {
            "z_no": z_no,
            "z_ref": z_ref(z_no),
            "hall": ref.hall.name,
            "counter": self._counter_name[till.counter_id],
            "staff": name,
            "business_date": day.isoformat(),
            "opened_at": fmt_local(close["opened_at"], with_seconds=True),
            "closed_at": fmt_local(close["closed_at"], with_seconds=True),
            "closed_by": name,
            "float_fen": FLOAT_FEN,
            "payments": sum(till.payments.get(m, 0) for m in TILL_METHODS),
            "cash_tendered_fen": till.tendered_fen,
            "change_fen": till.change_fen,
            "movements": [
                {
                    "kind": kind.value,
                    "label": kind.label,
                    "amount_fen": int(m["amount_fen"]),
                    "reason": str(m["reason"]),
                    "at": fmt_local(datetime.fromisoformat(str(m["at"]))),
                    "by": name,
                }
                for kind, m in moves
            ],
            "cash_in_fen": till.cash_in_fen,
            "cash_out_fen": till.cash_out_fen,
            "takings": {
                "cash": till.sales.get(PaymentMethod.CASH, 0),
                "bank_card": till.sales.get(PaymentMethod.BANK_CARD, 0),
                "qr_wallet": till.sales.get(PaymentMethod.QR_WALLET, 0),
                "prepaid_card": 0,
            },
            "methods": [
                {
                    "code": c.code,
                    "label": c.label,
                    "expected_fen": c.expected_fen,
                    "counted_fen": c.counted_fen,
                    "difference_fen": c.difference_fen,
                }
                for c in checks
            ],
            "counts": [
                {"denomination_fen": fen, "label": denomination_label(fen), "pieces": pieces}
                for fen, pieces in sorted(
                    ((int(k), int(v)) for k, v in close["counts"].items()), reverse=True
                )
            ],
            "variance_fen": variance_fen(checks),
            "verdict": verdict(checks),
            "reason": close["reason"],
            "signed_off_by": sign_off["approver_name"] if sign_off else None,
            "approval": ("现场授权" if sign_off["inline"] else "远程审批") if sign_off else None,
            "voids": [],  # no order is voided at a till in the demo
            "red_letters": [
                {
                    "invoice_no": str(r["invoice_no"]),
                    "original_no": str(r["original_invoice_no"]),
                    "total_fen": int(r["total_fen"]),
                    "at": fmt_local(datetime.fromisoformat(str(r["at"]))),
                }
                for r in till.red
            ],
            "x_reports": 0,
            "counts_made": 1,
        }

    def _day_close(
        self,
        day: date,
        last_z: datetime,
        tills_summary: list[dict[str, Any]],
        tills: list[Till],
        workers: list[Any],
    ) -> None:
        """The hall's day close: the Z reports held against the day's payments and invoices,
        each difference named."""
        closer = next(s for s in workers if s.role is Role.SUPERVISOR)
        closed_at = last_z + timedelta(minutes=self._rng.randint(5, 20))
        z_totals = {m.value: sum(t.sales.get(m, 0) for t in tills) for m in TILL_METHODS}
        outside = self._outside.pop(day, {})
        payments = {m: z_totals[m] + outside.get(m, 0) for m in z_totals}
        for m, amount in outside.items():
            payments.setdefault(m, amount)
        blue, red = self._day_invoices.pop(day, (0, 0))
        z_net = sum(sum(t.blue) + sum(int(r["total_fen"]) for r in t.red) for t in tills)
        differences = [
            {
                "what": f"未经钱箱的收款（手机退货退款、分期还款等）：{PaymentMethod(m).label}",
                "amount_fen": amount,
            }
            for m, amount in sorted(outside.items())
            if amount
        ]
        if blue + red != z_net:
            differences.append(
                {"what": "未经钱箱开具或红冲的发票（蓝字−红字）", "amount_fen": blue + red - z_net}
            )
        summary = {
            "business_date": day.isoformat(),
            "closed_at": local_iso(closed_at),
            "closed_by": closer.full_name,
            "tills": tills_summary,
            "z_totals_fen": z_totals,
            "payments_fen": payments,
            "invoices": {
                "blue_fen": blue,
                "red_fen": red,
                "net_fen": blue + red,
                "z_net_fen": z_net,
            },
            "variance_fen": sum(int(t["variance_fen"]) for t in tills_summary),
            "differences": differences,
            "balanced": not differences,
        }
        self._add(
            self._w_close,
            (
                self._uid(),
                closed_at,
                closed_at,
                self._ref.hall.id,
                day,
                closed_at,
                closer.id,
                json.dumps(summary, ensure_ascii=False),
            ),
        )

    def _lines(self, kind: OrderType) -> list[_Line]:
        rng = self._rng
        p = self._ref.products
        if kind is OrderType.OPEN_MOBILE:
            plan = rng.choice(p[ProductKind.MOBILE_PLAN])
            return [
                _Line("预存话费", None, 10000, None),
                _Line(f"{plan.name} 首月月租", plan.id, plan.price_fen, "basic"),
            ]
        if kind is OrderType.ADD_VALUE_ADDED:
            vas = rng.choice(p[ProductKind.VALUE_ADDED])
            return [_Line(vas.name, vas.id, vas.price_fen, "value_added")]
        if kind is OrderType.BILL_PAYMENT:
            return [_Line("缴纳话费", None, rng.randrange(30, 400) * 100, "basic")]
        if kind is OrderType.TOP_UP:
            return [_Line("预存话费", None, rng.choice((50, 100, 200, 300, 500)) * 100, None)]
        if kind is OrderType.BROADBAND_INSTALL:
            plan = rng.choice(p[ProductKind.BROADBAND_PLAN])
            return [
                _Line("宽带安装调测费", None, plan.one_time_fee_fen, "basic"),
                _Line(f"{plan.name} 首月", plan.id, plan.price_fen, "basic"),
            ]
        if kind is OrderType.LANDLINE_INSTALL:
            plan = p[ProductKind.LANDLINE_PLAN][0]
            return [
                _Line("固话安装费", None, plan.one_time_fee_fen, "basic"),
                _Line(f"{plan.name} 首月", plan.id, plan.price_fen, "basic"),
            ]
        if kind is OrderType.RELOCATE:
            return [_Line("移机调测费", None, 5000, "basic")]
        return []

    def _order(
        self,
        day: date,
        kind: OrderType,
        customer: SampleCustomer,
        staff_id: uuid.UUID,
        counter_id: uuid.UUID,
        ticket_id: uuid.UUID,
        session_id: uuid.UUID,
        at: datetime,
    ) -> tuple[uuid.UUID, PaymentMethod | None, int, uuid.UUID | None]:
        """Writes one completed order of a queue ticket with its lines, payment, invoice and
        receipt print; a handset sale's lines and what it sold come from the handset builder.
        Returns the order's id, the payment's method (None when nothing was paid), the total
        and the invoice's id."""
        sale = self._handsets.plan(customer, day) if kind is OrderType.HANDSET_SALE else None
        lines = list(sale.lines) if sale is not None else self._lines(kind)
        self._counter_code = self._fixed.counter_code(counter_id)
        subscription_id = self._subscription_for(kind, customer, at, lines)
        oid, order_no, invoice_id, method, total = self._write(
            kind,
            customer,
            staff_id,
            counter_id,
            at,
            lines,
            list(sale.items) if sale is not None else self._items(lines),
            ticket_id=ticket_id,
            session_id=session_id,
            subscription_id=subscription_id,
        )
        if sale is not None:
            cash = self._last_cash  # the repayments it writes are outside the till
            self._handsets.sold(sale, oid, order_no, at, staff_id, self)
            self._last_cash = cash
        return oid, method, total, invoice_id

    def _items(self, lines: list[_Line]) -> list[InvoiceItem]:
        """An invoice item per invoiceable line."""
        ref = self._ref
        return [
            InvoiceItem(
                ref.vat[line.vat_code].invoice_label,
                Decimal(ref.vat[line.vat_code].rate),
                line.amount_fen,
            )
            for line in lines
            if line.vat_code
        ]

    def write_order(
        self,
        *,
        kind: OrderType,
        customer: SampleCustomer,
        staff_id: uuid.UUID,
        counter_id: uuid.UUID,
        at: datetime,
        lines: Sequence[SaleLine],
        items: Sequence[InvoiceItem],
        method: PaymentMethod,
        notes: str = "",
        reference: str | None = None,
    ) -> tuple[uuid.UUID, str, uuid.UUID | None]:
        """An order outside the queue tickets of the days (the handset builder's older sales,
        repayments and returns), paid by ``method`` outside any till of the history; a card or
        QR payment's reference is ``reference`` when given (a refund: the sale's)."""
        self._counter_code = self._fixed.counter_code(counter_id)
        till = self._till_of_order(at, staff_id)
        oid, order_no, invoice_id, paid, total = self._write(
            kind,
            customer,
            staff_id,
            counter_id,
            at,
            list(lines),
            list(items),
            session_id=till.id if till else None,
            method=method,
            notes=notes,
            reference=reference,
            defer=till is not None,
        )
        if till is not None:
            if paid is not None:
                till.paid(paid, total, *self._last_cash, at)
            if invoice_id is not None:
                till.blue.append(self._invoices[invoice_id][13])
        elif paid is not None:
            outside = self._outside.setdefault(at.astimezone(HALL_TZ).date(), {})
            outside[paid.value] = outside.get(paid.value, 0) + total
        if self._last_reference is not None:
            self._references[oid] = self._last_reference
        return oid, order_no, invoice_id

    def reference_of(self, order_id: uuid.UUID) -> str | None:
        """The card or QR payment reference of an order written by ``write_order``."""
        return self._references.get(order_id)

    def _write(
        self,
        kind: OrderType,
        customer: SampleCustomer,
        staff_id: uuid.UUID,
        counter_id: uuid.UUID,
        at: datetime,
        lines: list[_Line],
        items: list[InvoiceItem],
        *,
        ticket_id: uuid.UUID | None = None,
        session_id: uuid.UUID | None = None,
        subscription_id: uuid.UUID | None = None,
        method: PaymentMethod | None = None,
        notes: str = "",
        reference: str | None = None,
        defer: bool = False,
    ) -> tuple[uuid.UUID, str, uuid.UUID | None, PaymentMethod | None, int]:
        """The order, its lines, the receipt print, its payment (``method``, else drawn) and
        its invoice. Returns the order's id and number, the invoice's id, the method and the
        total."""
        rng = self._rng
        ref = self._ref
        self._last_reference = None
        day = at.astimezone(HALL_TZ).date()
        self._order_seq += 1
        oid = self._uid()
        order_no = self._fixed.order_no(day, self._fixed.counter_code(counter_id))
        total = sum(line.amount_fen for line in lines)
        self._add(
            self._w_order,
            (
                oid,
                at,
                at,
                order_no,
                kind,
                OrderState.COMPLETED,
                ref.hall.id,
                counter_id,
                staff_id,
                customer.id,
                ticket_id,
                subscription_id,
                total,
                "",
                at,
                at,
                notes,
            ),
        )
        if self._install is not None:
            sub_id, sub_kind, plan_id, activated, planned, placement = self._install
            self._install = None
            self._fixed.history_install(
                order_id=oid,
                order_no=order_no,
                staff_id=staff_id,
                customer=customer,
                contact_phone=customer.phone,
                kind=sub_kind,
                subscription_id=sub_id,
                product_id=plan_id,
                ordered_at=at,
                activated=activated,
                planned=planned,
                placement=placement,
            )
        for line in lines:
            vat = ref.vat[line.vat_code] if line.vat_code else None
            self._add(
                self._w_line,
                (
                    self._uid(),
                    at,
                    at,
                    oid,
                    line.product_id,
                    line.description,
                    line.quantity,
                    line.amount_fen // line.quantity,
                    line.amount_fen,
                    vat.id if vat else None,
                    vat.rate if vat else None,
                    vat is not None,
                ),
            )
        self._add(
            self._w_print,
            (
                self._uid(),
                at,
                at,
                "receipt",
                order_no,
                oid,
                staff_id,
                1,
                "",
                at,
            ),
        )
        if rng.random() < REPRINT_SHARE:  # reprinted (重打) a little later, with the reason
            again = at + timedelta(seconds=rng.randint(30, 600))
            reason = REPRINT_REASONS[rng.randrange(len(REPRINT_REASONS))]
            self._add(
                self._w_print,
                (self._uid(), again, again, "receipt", order_no, oid, staff_id, 2, reason, again),
            )
        self._last_cash = (0, 0)
        if total == 0:
            return oid, order_no, None, None, 0
        if method is None:
            r = rng.random()
            method = (
                PaymentMethod.CASH
                if r < 0.3
                else PaymentMethod.QR_WALLET
                if r < 0.8
                else PaymentMethod.BANK_CARD
            )
        tendered = change = None
        if method is PaymentMethod.CASH:
            step = 10000 if total > 5000 else 5000
            tendered = -(-total // step) * step
            change = tendered - total
            self._last_cash = (tendered, change)
        pay_id = self._uid()
        # Drawn also when given, so the random stream stays as it was.
        pay_ref = None if method is PaymentMethod.CASH else f"{rng.randrange(10**12):012d}"
        if pay_ref is not None and reference:
            pay_ref = reference
        self._last_reference = pay_ref
        payment = (
            pay_id,
            at,
            at,
            oid,
            customer.id,
            staff_id,
            session_id,
            method,
            total,
            tendered,
            change or 0,
            pay_ref,
            at,
        )
        if defer:  # into a till of a day not written yet: with that day's rows
            self._deferred.setdefault(at.astimezone(HALL_TZ).date(), []).append(payment)
        else:
            self._add(self._w_pay, payment)
        invoice_id = self._invoice(customer, oid, staff_id, at, items) if items else None
        return oid, order_no, invoice_id, method, total

    def _invoice(
        self,
        customer: SampleCustomer,
        order_id: uuid.UUID,
        staff_id: uuid.UUID,
        at: datetime,
        items: list[InvoiceItem],
    ) -> uuid.UUID:
        inv_id = self._uid()
        amount_total = tax_total = total = 0
        lines = []
        for item in items:
            split = split_tax(item.total_fen, item.rate)
            amount_total += split.amount_fen
            tax_total += split.tax_fen
            total += item.total_fen
            lines.append(
                (
                    self._uid(),
                    at,
                    at,
                    inv_id,
                    item.label,
                    1,
                    split.amount_fen,
                    split.amount_fen,
                    item.rate,
                    split.tax_fen,
                )
            )
        row = self._invoice_row(
            inv_id, customer, order_id, staff_id, at, total, amount_total, tax_total, ""
        )
        self._add(self._w_inv, row)
        self._count_invoice(at, total)
        for line in lines:
            self._add(self._w_inv_line, line)
        self._invoices[inv_id] = row
        self._recent_blue.append(row)
        self._invoice_lines[inv_id] = lines
        return inv_id

    def _count_invoice(self, at: datetime, total: int) -> None:
        """The hall's blue and red invoice totals of the day (for the day close)."""
        day = at.astimezone(HALL_TZ).date()
        blue, red = self._day_invoices.get(day, (0, 0))
        self._day_invoices[day] = (blue + total, red) if total >= 0 else (blue, red + total)

    def _invoice_row(
        self,
        inv_id: uuid.UUID,
        customer: SampleCustomer,
        order_id: uuid.UUID,
        staff_id: uuid.UUID,
        at: datetime,
        total: int,
        amount: int,
        tax: int,
        remarks: str,
        kind: InvoiceKind = InvoiceKind.BLUE,
    ) -> tuple[Any, ...]:
        """The next number of the segment."""
        ref = self._ref
        self.invoice_seq += 1
        seg = self._numbering
        invoice_no = f"{seg.year2}{seg.province_code}{seg.channel}{self.invoice_seq:015d}"
        self._last_invoice_no = invoice_no
        return (
            inv_id,
            at,
            at,
            invoice_no,
            kind,
            InvoiceStatus.ISSUED,
            order_id,
            customer.id,
            at,
            customer.name,
            "",
            ref.hall.seller_name,
            ref.hall.seller_tax_id,
            total,
            amount,
            tax,
            staff_id,
            remarks,
            seg.segment_id,
        )

    def red_letter(
        self,
        invoice_id: uuid.UUID,
        customer: SampleCustomer,
        staff_id: uuid.UUID,
        at: datetime,
        reason: str,
    ) -> None:
        """A blue invoice of the older sales cancelled by a red-letter one (as
        ``InvoiceService.issue_red_letter`` writes it): its lines negated, the blue one marked
        已红冲."""
        blue = self._invoices[invoice_id]
        self._red_lettered.add(invoice_id)
        rows = self._rows[self._w_inv]
        rows[rows.index(blue)] = (
            *blue[:2],
            at,
            *blue[3:5],
            InvoiceStatus.RED_LETTERED,
            *blue[6:],
        )
        red_id = self._uid()
        remarks = f"被红冲蓝字数电发票号码：{blue[3]}　红冲原因：{reason}"
        red = self._invoice_row(
            red_id,
            customer,
            blue[6],
            staff_id,
            at,
            -blue[13],
            -blue[14],
            -blue[15],
            remarks,
            InvoiceKind.RED,
        )
        self._add(self._w_red, (*red, invoice_id))
        self._count_invoice(at, -blue[13])
        till = self._till_of_order(at, staff_id)
        if till is not None:
            till.red.append(
                {
                    "invoice_no": red[3],
                    "original_invoice_no": blue[3],
                    "total_fen": red[13],
                    "reason": reason,
                    "at": local_iso(at),
                }
            )
        for line in self._invoice_lines[invoice_id]:
            self._add(
                self._w_inv_line,
                (
                    self._uid(),
                    at,
                    at,
                    red_id,
                    line[4],
                    -line[5],
                    line[6],
                    -line[7],
                    line[8],
                    -line[9],
                ),
            )

    # -- the subscription an order is about -------------------------------------------------------
    def _subscription_for(
        self, kind: OrderType, customer: SampleCustomer, at: datetime, lines: list[_Line]
    ) -> uuid.UUID | None:
        """A subscription of the order's kind: a new one for a new number or an install, the
        customer's own for a top-up, an add-on, a bill or a move (opened earlier when the
        customer has none), the number taken over for a transfer; none for a handset sale or
        a change of the customer's details."""
        rng = self._rng
        plan = next((line.product_id for line in lines if line.product_id is not None), None)
        mobile, broadband, landline = (
            SubscriptionKind.MOBILE,
            SubscriptionKind.BROADBAND,
            SubscriptionKind.LANDLINE,
        )
        if kind is OrderType.OPEN_MOBILE:
            return self._open(customer, mobile, plan, at, since=at)
        if kind is OrderType.BROADBAND_INSTALL:
            return self._open(customer, broadband, plan, at, since=at, install=True)
        if kind is OrderType.LANDLINE_INSTALL:
            return self._open(customer, landline, plan, at, since=at, install=True)
        if kind is OrderType.TRANSFER_OWNERSHIP:  # someone else's number, this customer's now
            older = at - timedelta(days=rng.randrange(200, 3000))
            return self._open(customer, mobile, None, at, since=older)
        if kind in (OrderType.ADD_VALUE_ADDED, OrderType.TOP_UP):
            return self._own(customer, mobile) or self._open_earlier(customer, mobile, at)
        if kind is OrderType.BILL_PAYMENT:
            owned = [s for k in (mobile, broadband, landline) if (s := self._own(customer, k))]
            return rng.choice(owned) if owned else self._open_earlier(customer, mobile, at)
        if kind is OrderType.RELOCATE:
            return (
                self._own(customer, broadband)
                or self._own(customer, landline)
                or self._open_earlier(customer, broadband, at)
            )
        return None

    def _own(self, customer: SampleCustomer, kind: SubscriptionKind) -> uuid.UUID | None:
        opened = self._opened.get(customer.id, {}).get(kind)
        if opened is not None:
            return opened
        if kind is SubscriptionKind.MOBILE:
            return customer.mobile_id
        if kind is SubscriptionKind.BROADBAND:
            return customer.broadband_id
        return customer.landline_id

    def _open_earlier(
        self, customer: SampleCustomer, kind: SubscriptionKind, at: datetime
    ) -> uuid.UUID:
        since = at - timedelta(days=self._rng.randrange(90, 2000))
        return self._open(customer, kind, None, since, since=since)

    def _open(
        self,
        customer: SampleCustomer,
        kind: SubscriptionKind,
        plan_id: uuid.UUID | None,
        at: datetime,
        *,
        since: datetime,
        install: bool = False,
    ) -> uuid.UUID:
        """A subscription of ``customer`` from ``at`` (its row's time), in service since
        ``since``; an install is in service one to three days after the order, pending until
        then."""
        rng = self._rng
        plans = self._ref.products[PLAN_KINDS[kind]]
        plan = next((p for p in plans if p.id == plan_id), None) or rng.choice(plans)
        placement: Placement | None = None
        address = customer.address
        if kind is SubscriptionKind.MOBILE:
            number = self._phones.phone(telecom=True)
        else:  # the install address, its community and the new account or landline number
            day = at.astimezone(HALL_TZ).date()
            code = self._counter_code if install else self._ref.counters[1].code
            placement = self._fixed.place(customer, kind, plan, day, code)
            number, address = placement.number, placement.address
        activated: datetime | None = since
        status = SubscriptionStatus.ACTIVE
        planned = at
        if install:
            activated = planned = at + timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 4))
            if activated > self._anchor:
                activated, status = None, SubscriptionStatus.PENDING
        elif placement is not None:  # installed a couple of days after its order (``at``)
            activated = at + timedelta(days=2, hours=3)
        lock_in = (
            (activated + timedelta(days=30 * plan.lock_in_months)).date()
            if activated is not None and plan.lock_in_months
            else None
        )
        sub_id = self._uid()
        self._add(
            self._w_sub,
            (
                sub_id,
                at,
                max(at, activated) if activated is not None else at,
                customer.id,
                kind,
                number,
                plan.id,
                None,
                status,
                address,
                self._ref.hall.id,
                activated,
                lock_in,
                None,
                rng.randrange(0, 20000) if kind is SubscriptionKind.MOBILE else 0,
                placement.community if placement else "",
                placement.technology if placement else None,
                None,
                None,
            ),
        )
        self._opened.setdefault(customer.id, {})[kind] = sub_id
        if placement is not None and install:
            self._install = (sub_id, kind, plan.id, activated, planned, placement)
        elif placement is not None:
            assert activated is not None
            self._fixed.earlier_install(
                customer, customer.phone, kind, sub_id, plan.id, at, activated, placement
            )
        return sub_id

    # -- faults and complaints ------------------------------------------------------------------
    def _service_tickets(self, samples: list[SampleCustomer]) -> None:
        rng = self._rng
        ref = self._ref
        now = datetime.combine(self._today, dtime(7, 30), HALL_TZ).astimezone(UTC)
        for sample in samples[: max(20, len(samples) // 20)]:
            faults = [c for c, k in FAULT_CATEGORIES.items() if self._own(sample, k)]
            fault = rng.random() < 0.6 and bool(faults)
            subscription_id = sample.subscription_id
            self._st_seq += 1
            opened = now - timedelta(hours=rng.randrange(1, 24 * 20))
            area = AreaType.TOWN if rng.random() < 0.8 else AreaType.RURAL
            if fault:
                deadline = opened + timedelta(hours=48 if area is AreaType.TOWN else 72)
                category = rng.choice(faults)
                subscription_id = self._own(sample, FAULT_CATEGORIES[category])
            else:
                deadline = opened + timedelta(days=15)
                category = rng.choice(COMPLAINT_CATEGORIES)
            r = rng.random()
            status = (
                ServiceTicketStatus.OPEN
                if r < 0.3
                else ServiceTicketStatus.IN_PROGRESS
                if r < 0.5
                else ServiceTicketStatus.RESOLVED
            )
            resolved = None
            if status is ServiceTicketStatus.RESOLVED:
                resolved = opened + (deadline - opened) * rng.uniform(0.1, 1.2)
            prefix = "GZ" if fault else "TS"
            self._add(
                self._w_st,
                (
                    self._uid(),
                    opened,
                    resolved or opened,
                    f"{prefix}{opened.astimezone(HALL_TZ):%Y%m%d}{self._st_seq:05d}",
                    ServiceTicketKind.FAULT if fault else ServiceTicketKind.COMPLAINT,
                    sample.id,
                    subscription_id,
                    category,
                    f"客户反映：{category}",
                    area,
                    status,
                    opened,
                    deadline,
                    resolved,
                    "已上门处理" if resolved else "",
                    ref.staff[rng.randrange(len(ref.staff))].id,
                    ref.hall.id,
                ),
            )
