"""A till's figures read from one session (the counter's database, or the central one on a
synced hall): what the payments, the float and the cash movements say it should hold, the
Z report's frozen content, and the hall's day held against payments and invoices. Plain
functions on a Session; the CashService decides who may see or change what."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from hall_app.clock import HALL_TZ, fmt_local
from hall_app.db.models import (
    CashMovement,
    CashSession,
    Counter,
    Hall,
    Invoice,
    Order,
    OrderLine,
    Payment,
    PrintRecord,
    Staff,
    ZReport,
)
from hall_app.domain.enums import (
    CashMovementKind,
    CashSessionStatus,
    InvoiceKind,
    InvoiceStatus,
    OrderState,
    PaymentMethod,
)
from hall_app.domain.masking import redact
from hall_app.domain.money import format_yuan
from hall_app.domain.till import (
    DENOMINATIONS_FEN,
    MethodCheck,
    counts_from_json,
    denomination_label,
    difference_label,
    variance_fen,
    z_print_ref,
    z_ref,
)
from hall_app.services.actor import Actor

Z_DOCUMENT = "z_report"
# The methods a till is checked for; a prepaid card has no terminal settlement to count.
COUNTED_METHODS = (PaymentMethod.CASH, PaymentMethod.BANK_CARD, PaymentMethod.QR_WALLET)


@dataclass(frozen=True)
class CashSessionView:
    id: uuid.UUID
    counter_name: str
    staff_name: str
    business_date: date
    status: CashSessionStatus
    opened_at: datetime
    closed_at: datetime | None
    opening_float_fen: int
    cash_fen: int  # cash kept from payments (amount paid; change already given back)
    card_fen: int
    qr_fen: int
    payments: int
    expected_cash_fen: int  # float + cash + cash in - cash out: what the drawer should hold
    counted_cash_fen: int | None
    difference_fen: int | None  # cash counted - expected: positive is over, negative short
    prepaid_fen: int = 0
    cash_in_fen: int = 0
    cash_out_fen: int = 0
    counted_card_fen: int | None = None
    counted_qr_fen: int | None = None
    counts: tuple[tuple[int, int], ...] = ()  # (denomination in fen, pieces), the blind count
    counted: bool = False  # a count is recorded (the expected figures may now be shown)
    checks: tuple[MethodCheck, ...] = ()
    variance_fen: int = 0  # the methods' differences in absolute value, summed
    difference_reason: str = ""
    signed_off_by: str | None = None
    z_no: int | None = None
    staff_id: uuid.UUID | None = None

    @property
    def z_label(self) -> str:
        return "" if self.z_no is None else z_ref(self.z_no)


@dataclass(frozen=True)
class BlindTill:
    """The open till as the clerk sees it before counting: no expected amount."""

    id: uuid.UUID
    counter_name: str
    staff_name: str
    business_date: date
    opened_at: datetime
    opening_float_fen: int
    counted: bool


def day_range(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), HALL_TZ)
    return start, start + timedelta(days=1)


def _totals(session: Session, till_id: uuid.UUID) -> tuple[dict[PaymentMethod, int], int]:
    rows = session.execute(
        select(Payment.method, func.sum(Payment.amount_fen), func.count())
        .where(Payment.cash_session_id == till_id)
        .group_by(Payment.method)
    ).all()
    return {m: int(s or 0) for m, s, _ in rows}, sum(int(n) for _, _, n in rows)


def _moved(session: Session, till_id: uuid.UUID) -> dict[CashMovementKind, int]:
    rows = session.execute(
        select(CashMovement.kind, func.sum(CashMovement.amount_fen))
        .where(CashMovement.cash_session_id == till_id)
        .group_by(CashMovement.kind)
    ).all()
    return {k: int(s or 0) for k, s in rows}


def checks_for(
    till: CashSession, totals: dict[PaymentMethod, int], moved: dict[CashMovementKind, int]
) -> tuple[MethodCheck, ...]:
    expected_cash = (
        till.opening_float_fen
        + totals.get(PaymentMethod.CASH, 0)
        + moved.get(CashMovementKind.IN, 0)
        - moved.get(CashMovementKind.OUT, 0)
    )
    counted = {
        PaymentMethod.CASH: till.counted_cash_fen,
        PaymentMethod.BANK_CARD: till.counted_card_fen,
        PaymentMethod.QR_WALLET: till.counted_qr_fen,
    }
    out = [
        MethodCheck(
            m.value,
            m.label,
            expected_cash if m is PaymentMethod.CASH else totals.get(m, 0),
            counted[m],
        )
        for m in COUNTED_METHODS
    ]
    if totals.get(PaymentMethod.PREPAID_CARD):
        out.append(
            MethodCheck(
                PaymentMethod.PREPAID_CARD.value,
                PaymentMethod.PREPAID_CARD.label,
                totals[PaymentMethod.PREPAID_CARD],
                None,
            )
        )
    return tuple(out)


def till_view(session: Session, till: CashSession) -> CashSessionView:
    totals, count = _totals(session, till.id)
    moved = _moved(session, till.id)
    counter = session.get_one(Counter, till.counter_id)
    staff = session.get_one(Staff, till.staff_id)
    counted = bool(till.counts_json) or till.counted_cash_fen is not None
    checks = checks_for(till, totals, moved)
    signer = None
    if till.approval_id is not None:
        from hall_app.db.models import Approval

        approval = session.get(Approval, till.approval_id)
        if approval is not None and approval.approver_id is not None:
            who = session.get(Staff, approval.approver_id)
            signer = who.full_name if who is not None else None
    z_no = session.scalar(select(ZReport.z_no).where(ZReport.cash_session_id == till.id))
    expected_cash = checks[0].expected_fen
    return CashSessionView(
        id=till.id,
        counter_name=counter.name,
        staff_name=staff.full_name,
        business_date=till.business_date,
        status=till.status,
        opened_at=till.opened_at,
        closed_at=till.closed_at,
        opening_float_fen=till.opening_float_fen,
        cash_fen=totals.get(PaymentMethod.CASH, 0),
        card_fen=totals.get(PaymentMethod.BANK_CARD, 0),
        qr_fen=totals.get(PaymentMethod.QR_WALLET, 0),
        payments=count,
        expected_cash_fen=expected_cash,
        counted_cash_fen=till.counted_cash_fen,
        difference_fen=(
            till.difference_fen
            if till.status is CashSessionStatus.CLOSED
            else None
            if till.counted_cash_fen is None
            else till.counted_cash_fen - expected_cash
        ),
        prepaid_fen=totals.get(PaymentMethod.PREPAID_CARD, 0),
        cash_in_fen=moved.get(CashMovementKind.IN, 0),
        cash_out_fen=moved.get(CashMovementKind.OUT, 0),
        counted_card_fen=till.counted_card_fen,
        counted_qr_fen=till.counted_qr_fen,
        counts=tuple(sorted(counts_from_json(till.counts_json).items(), reverse=True)),
        counted=counted,
        checks=checks,
        variance_fen=variance_fen(checks),
        difference_reason=till.difference_reason,
        signed_off_by=signer,
        z_no=z_no,
        staff_id=till.staff_id,
    )


def blind_view(session: Session, till: CashSession) -> BlindTill:
    return BlindTill(
        id=till.id,
        counter_name=session.get_one(Counter, till.counter_id).name,
        staff_name=session.get_one(Staff, till.staff_id).full_name,
        business_date=till.business_date,
        opened_at=till.opened_at,
        opening_float_fen=till.opening_float_fen,
        counted=bool(till.counts_json) or till.counted_cash_fen is not None,
    )


def verdict(checks: tuple[MethodCheck, ...]) -> str:
    """账实相符, 短款 ¥4.00 (cash only), or each method's difference named."""
    off = [c for c in checks if c.difference_fen]
    if not off:
        return "账实相符"
    if len(off) == 1 and off[0].code == PaymentMethod.CASH.value:
        return difference_label(off[0].difference_fen)
    return "、".join(f"{c.label}{difference_label(c.difference_fen)}" for c in off)


def open_till_id(session: Session, actor: Actor, day: date | None) -> uuid.UUID | None:
    """The clerk's open till at this counter on ``day``; with no day, the oldest one still
    open (a till left open yesterday is closed before today's)."""
    stmt = select(CashSession.id).where(
        CashSession.counter_id == actor.counter_id,
        CashSession.staff_id == actor.staff_id,
        CashSession.status == CashSessionStatus.OPEN,
    )
    if day is not None:
        stmt = stmt.where(CashSession.business_date == day)
    return session.scalar(stmt.order_by(CashSession.business_date, CashSession.opened_at).limit(1))


# -- the Z report's content, frozen at the close ------------------------------------------------
def z_content(
    session: Session,
    till: CashSession,
    *,
    z_no: int,
    made_at: datetime,
    closed_by: str,
    signed_off_by: str | None,
    approval: str | None,
    x_reports: int,
    counts_made: int,
) -> dict[str, Any]:
    """Everything the Z report prints, as it stands at the close: later changes to the
    database never alter it."""
    view = till_view(session, till)
    counter = session.get_one(Counter, till.counter_id)
    hall = session.get_one(Hall, counter.hall_id)
    movements = session.execute(
        select(CashMovement, Staff.full_name)
        .join(Staff, Staff.id == CashMovement.staff_id)
        .where(CashMovement.cash_session_id == till.id)
        .order_by(CashMovement.moved_at)
    ).all()
    change = session.scalar(
        select(func.sum(Payment.change_fen)).where(Payment.cash_session_id == till.id)
    )
    tendered = session.scalar(
        select(func.sum(Payment.tendered_fen)).where(
            Payment.cash_session_id == till.id, Payment.method == PaymentMethod.CASH
        )
    )
    voids = session.execute(
        select(Order.order_no, Order.state, Payment.method, Payment.amount_fen, Payment.paid_at)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Payment.cash_session_id == till.id,
            (Payment.amount_fen < 0) | (Order.state == OrderState.CANCELLED),
        )
        .order_by(Payment.paid_at)
    ).all()
    start = till.opened_at
    red = session.execute(
        select(
            Invoice.invoice_no, Invoice.total_fen, Invoice.issued_at, Invoice.original_invoice_id
        )
        .where(
            Invoice.kind == InvoiceKind.RED,
            Invoice.issuer_id == till.staff_id,
            Invoice.issued_at >= start,
            Invoice.issued_at <= made_at,
        )
        .order_by(Invoice.issued_at)
    ).all()
    originals = {
        i: n
        for i, n in session.execute(
            select(Invoice.id, Invoice.invoice_no).where(
                Invoice.id.in_([r[3] for r in red if r[3] is not None])
            )
        ).all()
    }
    return {
        "z_no": z_no,
        "z_ref": z_ref(z_no),
        "hall": hall.name,
        "counter": counter.name,
        "staff": view.staff_name,
        "business_date": till.business_date.isoformat(),
        "opened_at": fmt_local(till.opened_at, with_seconds=True),
        "closed_at": fmt_local(made_at, with_seconds=True),
        "closed_by": closed_by,
        "float_fen": till.opening_float_fen,
        "payments": view.payments,
        "cash_tendered_fen": int(tendered or 0),
        "change_fen": int(change or 0),
        "movements": [
            {
                "kind": m.kind.value,
                "label": m.kind.label,
                "amount_fen": m.amount_fen,
                "reason": redact(m.reason),  # frozen masked, as printed: free text
                "at": fmt_local(m.moved_at),
                "by": name,
            }
            for m, name in movements
        ],
        "cash_in_fen": view.cash_in_fen,
        "cash_out_fen": view.cash_out_fen,
        "takings": {
            "cash": view.cash_fen,
            "bank_card": view.card_fen,
            "qr_wallet": view.qr_fen,
            "prepaid_card": view.prepaid_fen,
        },
        "methods": [
            {
                "code": c.code,
                "label": c.label,
                "expected_fen": c.expected_fen,
                "counted_fen": c.counted_fen,
                "difference_fen": c.difference_fen,
            }
            for c in view.checks
        ],
        "counts": [
            {"denomination_fen": fen, "label": denomination_label(fen), "pieces": pieces}
            for fen, pieces in sorted(counts_from_json(till.counts_json).items(), reverse=True)
            if fen in DENOMINATIONS_FEN
        ],
        "variance_fen": view.variance_fen,
        "verdict": verdict(view.checks),
        "reason": redact(till.difference_reason),
        "signed_off_by": signed_off_by,
        "approval": approval,
        "voids": [
            {
                "order_no": no,
                "what": "撤销" if state is OrderState.CANCELLED else "退款",
                "method": method.label,
                "amount_fen": amount,
                "at": fmt_local(at),
            }
            for no, state, method, amount, at in voids
        ],
        "red_letters": [
            {
                "invoice_no": no,
                "original_no": originals.get(orig, "") if orig else "",
                "total_fen": total,
                "at": fmt_local(at),
            }
            for no, total, at, orig in red
        ],
        "x_reports": x_reports,
        "counts_made": counts_made,
    }


@dataclass(frozen=True)
class PrintView:
    copy_no: int
    staff_name: str
    printed_at: datetime
    reason: str


@dataclass(frozen=True)
class ZReportView:
    z_no: int
    z_ref: str
    cash_session_id: uuid.UUID
    business_date: date
    made_at: datetime
    content: dict[str, Any]  # as frozen at the close
    prints: tuple[PrintView, ...]
    print_ref: str  # its prints' document_ref: the hall's code and the number


def z_view(session: Session, z: ZReport) -> ZReportView:
    print_ref = z_print_ref(session.get_one(Hall, z.hall_id).code, z.z_no)
    prints = session.execute(
        select(PrintRecord, Staff.full_name)
        .join(Staff, Staff.id == PrintRecord.staff_id)
        .where(PrintRecord.document_type == Z_DOCUMENT, PrintRecord.document_ref == print_ref)
        .order_by(PrintRecord.copy_no)
    ).all()
    return ZReportView(
        z_no=z.z_no,
        z_ref=z_ref(z.z_no),
        cash_session_id=z.cash_session_id,
        business_date=z.business_date,
        made_at=z.made_at,
        content=json.loads(z.content_json),
        prints=tuple(PrintView(p.copy_no, name, p.printed_at, p.reason) for p, name in prints),
        print_ref=print_ref,
    )


# -- the hall's day -----------------------------------------------------------------------------
@dataclass(frozen=True)
class MethodTotal:
    code: str
    label: str
    z_fen: int  # the takings of the day's Z reports
    payments_fen: int  # the payments recorded at the hall on the day

    @property
    def difference_fen(self) -> int:
        return self.z_fen - self.payments_fen


@dataclass(frozen=True)
class HallDayView:
    business_date: date
    tills: tuple[CashSessionView, ...]
    open_tills: tuple[str, ...]  # 窗口01 · 张三: still to close
    methods: tuple[MethodTotal, ...]
    z_total_fen: int
    payments_total_fen: int
    blue_fen: int
    red_fen: int  # positive: what the red-letter invoices took back
    differences: tuple[str, ...]  # each difference named; empty: everything agrees
    closed_at: datetime | None = None
    closed_by: str | None = None
    # What the invoices must cover: the invoiceable lines of the orders paid that day (a
    # top-up or an installment's principal is paid but not invoiced)
    invoiceable_fen: int = 0

    @property
    def invoiced_fen(self) -> int:
        return self.blue_fen - self.red_fen

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


def day_tills(session: Session, hall_id: uuid.UUID, day: date) -> list[CashSession]:
    return list(
        session.scalars(
            select(CashSession)
            .join(Counter, Counter.id == CashSession.counter_id)
            .where(CashSession.business_date == day, Counter.hall_id == hall_id)
            .order_by(Counter.code, CashSession.opened_at)
        ).all()
    )


def hall_day(session: Session, hall_id: uuid.UUID, day: date) -> HallDayView:
    """The day's tills, the Z reports' takings by method against the payments taken at the
    hall that day and against blue minus red invoices; each difference named."""
    tills = day_tills(session, hall_id, day)
    views = tuple(till_view(session, t) for t in tills)
    open_tills = tuple(
        f"{v.counter_name} · {v.staff_name}" for v in views if v.status is CashSessionStatus.OPEN
    )
    z_by: dict[str, int] = {m.value: 0 for m in PaymentMethod}
    for (content,) in session.execute(
        select(ZReport.content_json).where(ZReport.hall_id == hall_id, ZReport.business_date == day)
    ).all():
        for code, fen in json.loads(content)["takings"].items():
            z_by[code] = z_by.get(code, 0) + int(fen)
    start, end = day_range(day)
    hall_staff = select(Staff.id).where(Staff.hall_id == hall_id)
    paid = dict(
        session.execute(
            select(Payment.method, func.sum(Payment.amount_fen))
            .where(
                Payment.paid_at >= start, Payment.paid_at < end, Payment.staff_id.in_(hall_staff)
            )
            .group_by(Payment.method)
        ).all()
    )
    methods = tuple(
        MethodTotal(m.value, m.label, z_by.get(m.value, 0), int(paid.get(m, 0) or 0))
        for m in PaymentMethod
        if z_by.get(m.value, 0) or paid.get(m)
    )
    invoiced = dict(
        session.execute(
            select(Invoice.kind, func.sum(Invoice.total_fen))
            .where(
                Invoice.issued_at >= start,
                Invoice.issued_at < end,
                Invoice.issuer_id.in_(hall_staff),
            )
            .group_by(Invoice.kind)
        ).all()
    )
    blue = int(invoiced.get(InvoiceKind.BLUE, 0) or 0)
    red = abs(int(invoiced.get(InvoiceKind.RED, 0) or 0))
    z_total = sum(z_by.values())
    paid_total = sum(int(v or 0) for v in paid.values())
    differences: list[str] = [f"{name} 的钱箱尚未日结" for name in open_tills]
    for m in methods:
        if m.difference_fen:
            differences.append(
                f"{m.label}：日结单合计 {format_yuan(m.z_fen)}，当日收款 "
                f"{format_yuan(m.payments_fen)}，相差 {format_yuan(m.difference_fen)}"
            )
    # The payments behind a difference: taken that day but in no Z report of the day.
    z_tills = select(ZReport.cash_session_id).where(
        ZReport.hall_id == hall_id, ZReport.business_date == day
    )
    stray = session.execute(
        select(Order.order_no, Payment.method, Payment.amount_fen)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Payment.paid_at >= start,
            Payment.paid_at < end,
            Payment.staff_id.in_(hall_staff),
            (Payment.cash_session_id.is_(None)) | (Payment.cash_session_id.not_in(z_tills)),
        )
        .order_by(Payment.paid_at)
        .limit(20)
    ).all()
    for no, method, amount in stray:
        differences.append(
            f"受理单 {no} 的{method.label}收款 {format_yuan(amount)} 不在当日日结单中"
        )
    invoiceable, invoice_differences = _invoice_check(session, hall_staff, start, end)
    differences.extend(invoice_differences)
    for v in views:
        if v.status is CashSessionStatus.CLOSED and v.variance_fen:
            signed = f"，{v.signed_off_by}签认" if v.signed_off_by else ""
            reason = f"（{v.difference_reason}{signed}）" if v.difference_reason else ""
            differences.append(
                f"{v.z_label} {v.counter_name} · {v.staff_name}：{verdict(v.checks)}{reason}"
            )
    return HallDayView(
        business_date=day,
        tills=views,
        open_tills=open_tills,
        methods=methods,
        z_total_fen=z_total,
        payments_total_fen=paid_total,
        blue_fen=blue,
        red_fen=red,
        differences=tuple(differences),
        invoiceable_fen=invoiceable,
    )


def _invoice_check(
    session: Session, hall_staff: Select[Any], start: datetime, end: datetime
) -> tuple[int, list[str]]:
    """The invoiceable part of the orders paid in [start, end) against their blue invoices of
    the day; the orders that differ named. A top-up, a deposit or an installment's principal
    is paid but not invoiced (OrderLine.invoiceable). An order's invoice still issued counts;
    one red-lettered counts only when the order has none issued (a return, a cancellation
    approved), so a red-letter re-issued is not counted twice. Returns (invoiceable, the
    differences)."""
    paid_orders = select(Payment.order_id).where(
        Payment.paid_at >= start, Payment.paid_at < end, Payment.staff_id.in_(hall_staff)
    )
    due: dict[uuid.UUID, int] = {
        order_id: int(fen or 0)
        for order_id, fen in session.execute(
            select(OrderLine.order_id, func.sum(OrderLine.amount_fen))
            .where(OrderLine.order_id.in_(paid_orders), OrderLine.invoiceable.is_(True))
            .group_by(OrderLine.order_id)
        ).all()
    }
    issued: dict[uuid.UUID, int] = {}
    cancelled: dict[uuid.UUID, int] = {}
    for order_id, status, fen in session.execute(
        select(Invoice.order_id, Invoice.status, func.sum(Invoice.total_fen))
        .where(
            Invoice.kind == InvoiceKind.BLUE,
            Invoice.order_id.in_(paid_orders),
            Invoice.issued_at >= start,
            Invoice.issued_at < end,
        )
        .group_by(Invoice.order_id, Invoice.status)
    ).all():
        if order_id is not None:
            into = issued if status is InvoiceStatus.ISSUED else cancelled
            into[order_id] = int(fen or 0)
    invoiced = {o: issued.get(o, cancelled.get(o, 0)) for o in set(issued) | set(cancelled)}
    apart = {
        o: (due.get(o, 0), invoiced.get(o, 0))
        for o in set(due) | set(invoiced)
        if due.get(o, 0) != invoiced.get(o, 0)
    }
    out: list[str] = []
    if apart:
        names = dict(
            session.execute(select(Order.id, Order.order_no).where(Order.id.in_(apart))).all()
        )
        due_total = sum(d for d, _ in apart.values())
        done_total = sum(i for _, i in apart.values())
        out.append(
            f"发票：{len(apart)} 张受理单应开票 {format_yuan(due_total)}，当日开具 "
            f"{format_yuan(done_total)}，相差 {format_yuan(done_total - due_total)}"
        )
        for o in sorted(apart, key=lambda o: names.get(o, ""))[:10]:
            d, i = apart[o]
            out.append(
                f"受理单 {names.get(o, '')} 应开票 {format_yuan(d)}，当日开具 {format_yuan(i)}"
            )
    return sum(due.values()), out


def summary_json(view: HallDayView) -> str:
    return json.dumps(
        {
            "business_date": view.business_date.isoformat(),
            "tills": [
                {
                    "z_ref": t.z_label,
                    "counter": t.counter_name,
                    "staff": t.staff_name,
                    "variance_fen": t.variance_fen,
                    "verdict": verdict(t.checks),
                }
                for t in view.tills
            ],
            "methods": [
                {"code": m.code, "label": m.label, "z_fen": m.z_fen, "payments_fen": m.payments_fen}
                for m in view.methods
            ],
            "blue_fen": view.blue_fen,
            "red_fen": view.red_fen,
            "invoiceable_fen": view.invoiceable_fen,
            "differences": list(view.differences),
        },
        ensure_ascii=False,
    )
