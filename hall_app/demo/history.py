"""Past business days for reports: queue tickets served at the counters, with their orders,
payments, invoices, receipts printed, cash sessions, and fault and complaint tickets."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from hall_app.clock import HALL_TZ
from hall_app.db.models import (
    CashSession,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Payment,
    PrintRecord,
    QueueTicket,
    ServiceTicket,
    Subscription,
)
from hall_app.demo.bulk import BulkWriter
from hall_app.demo.customers import SUBSCRIPTION_COLUMNS
from hall_app.demo.customers import Sample as SampleCustomer
from hall_app.demo.fixed import FixedLineBuilder, Placement
from hall_app.demo.handsets import HandsetBuilder, InvoiceItem, SaleLine
from hall_app.demo.installs import LINE_COLUMNS, ORDER_COLUMNS, PAYMENT_COLUMNS
from hall_app.demo.people import PeopleFactory
from hall_app.demo.reference import Reference
from hall_app.domain.enums import (
    AreaType,
    CashSessionStatus,
    InvoiceKind,
    InvoiceStatus,
    OrderState,
    OrderType,
    PaymentMethod,
    ProductKind,
    Role,
    ServiceTicketKind,
    ServiceTicketStatus,
    SubscriptionKind,
    SubscriptionStatus,
    TicketStatus,
)
from hall_app.domain.money import split_tax

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


def _cols(*names: str) -> tuple[str, ...]:
    return ("id", "created_at", "updated_at", *names)


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
            ),
        )
        self._w_st = BulkWriter(
            conn,
            ServiceTicket,
            _cols(
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
            ),
        )
        self._rows: dict[BulkWriter, list[tuple[Any, ...]]] = {}

    def _add(self, writer: BulkWriter, row: tuple[Any, ...]) -> None:
        self._rows.setdefault(writer, []).append(row)

    def _flush(self) -> None:
        """Write the buffered rows, parents before children (foreign keys are enforced)."""
        order = (
            self._w_cash,
            self._w_ticket,
            self._w_sub,
            self._w_order,
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

    def build(self, days: int, samples: list[SampleCustomer]) -> tuple[int, int]:
        self._handsets.older(samples, self)  # before the days: its invoices are older
        self._flush()
        for back in range(days, 0, -1):
            self._day(self._today - timedelta(days=back), samples)
            self._flush()
        self._service_tickets(samples)
        self._flush()
        return self._w_ticket.count, self._w_order.count

    @property
    def subscriptions(self) -> int:
        """Subscriptions the history opened (new numbers, installs, numbers taken over)."""
        return self._w_sub.count

    # -- one business day ------------------------------------------------------------------------
    def _day(self, day: date, samples: list[SampleCustomer]) -> None:
        rng = self._rng
        ref = self._ref
        workers = [s for s in ref.staff if s.role in (Role.CLERK, Role.SUPERVISOR)]
        served_by = {  # staff member -> counter for the day
            s.id: (s.default_counter_id or ref.counters[0].id) for s in workers
        }
        opening = datetime.combine(day, dtime(8, 30), HALL_TZ)
        sessions: dict[uuid.UUID, tuple[uuid.UUID, int]] = {}
        for staff in workers:
            sessions[staff.id] = (self._uid(), 0)
        types = list(ref.service_types.values())
        weights = [50, 25, 15, 10]
        seqs = {t.id: 0 for t in types}
        count = rng.randint(160, 240) if day.weekday() < 5 else rng.randint(220, 300)
        issued_times = sorted(rng.randrange(0, 9 * 3600) for _ in range(count))
        for offset in issued_times:
            stype = rng.choices(types, weights=weights)[0]
            seqs[stype.id] += 1
            issued = opening + timedelta(seconds=offset)
            wait = timedelta(seconds=rng.randrange(60, (10 if stype.is_vip else 25) * 60))
            called = issued + wait
            staff = workers[rng.randrange(len(workers))]
            counter_id = served_by[staff.id]
            no_show = rng.random() < 0.05
            sample = samples[rng.randrange(len(samples))]
            tid = self._uid()
            started = None if no_show else called + timedelta(seconds=rng.randrange(20, 90))
            finished = (
                None if started is None else started + timedelta(seconds=rng.randrange(180, 1500))
            )
            self._add(
                self._w_ticket,
                (
                    tid,
                    issued,
                    finished or called,
                    ref.hall.id,
                    stype.id,
                    day,
                    seqs[stype.id],
                    f"{stype.letter}{seqs[stype.id]:03d}",
                    TicketStatus.NO_SHOW if no_show else TicketStatus.DONE,
                    False,
                    issued,
                    called,
                    started,
                    finished,
                    2 if no_show else 0,
                    counter_id,
                    staff.id,
                    None if no_show else sample.id,
                ),
            )
            if no_show or finished is None:
                continue
            session_id, cash = sessions[staff.id]
            kind = rng.choice(ORDER_TYPES_BY_SERVICE[stype.code])
            cash += self._order(day, kind, sample, staff.id, counter_id, tid, session_id, finished)
            sessions[staff.id] = (session_id, cash)
        closing = datetime.combine(day, dtime(18, 0), HALL_TZ)
        for staff in workers:
            session_id, cash = sessions[staff.id]
            diff = 0 if rng.random() < 0.9 else rng.choice((-1000, -500, 500))
            self._add(
                self._w_cash,
                (
                    session_id,
                    opening,
                    closing,
                    served_by[staff.id],
                    staff.id,
                    day,
                    CashSessionStatus.CLOSED,
                    opening,
                    closing,
                    50000,
                    50000 + cash,
                    50000 + cash + diff,
                    diff,
                    staff.id,
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
    ) -> int:
        """Writes one completed order of a queue ticket with its lines, payment, invoice and
        receipt print; a handset sale's lines and what it sold come from the handset builder.
        Returns the cash taken."""
        sale = self._handsets.plan(customer, day) if kind is OrderType.HANDSET_SALE else None
        lines = list(sale.lines) if sale is not None else self._lines(kind)
        self._counter_code = self._fixed.counter_code(counter_id)
        subscription_id = self._subscription_for(kind, customer, at, lines)
        oid, order_no, _, method, total = self._write(
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
            self._handsets.sold(sale, oid, order_no, at, staff_id, self)
        return total if method is PaymentMethod.CASH else 0

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
        oid, order_no, invoice_id, _, _ = self._write(
            kind,
            customer,
            staff_id,
            counter_id,
            at,
            list(lines),
            list(items),
            method=method,
            notes=notes,
            reference=reference,
        )
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
        pay_id = self._uid()
        # Drawn also when given, so the random stream stays as it was.
        pay_ref = None if method is PaymentMethod.CASH else f"{rng.randrange(10**12):012d}"
        if pay_ref is not None and reference:
            pay_ref = reference
        self._last_reference = pay_ref
        self._add(
            self._w_pay,
            (
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
            ),
        )
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
        for line in lines:
            self._add(self._w_inv_line, line)
        self._invoices[inv_id] = row
        self._invoice_lines[inv_id] = lines
        return inv_id

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
