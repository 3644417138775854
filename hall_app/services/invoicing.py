"""Invoices: gap-free numbers from the counter's segment, and red-letter invoices that cancel a
mistaken one. Both kinds keep their numbers for ever; nothing is deleted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hall_app.clock import Clock
from hall_app.db.engine import Database
from hall_app.db.models import Customer, Hall, Invoice, InvoiceLine, InvoiceSegment, Staff
from hall_app.db.text_limits import check_value
from hall_app.domain.approvals import RED_LETTER
from hall_app.domain.enums import InvoiceKind, InvoiceStatus
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.permissions import Permission
from hall_app.domain.pricing import Pricing
from hall_app.services import audit, restore_mark
from hall_app.services.actor import Actor
from hall_app.services.approvals import redeem

INVOICE_FIELD = "发票号码"


def _later(segment: InvoiceSegment, now: datetime) -> datetime:
    """The stamp of a number taken: now, but always later than the segment's stamp. A block is
    made and stamped centrally (the central clock); a counter whose clock is behind would
    otherwise stamp its count older than the block, so the push would not carry the count and
    the next pull would take the central copy back: the numbers taken since, given out
    again."""
    if segment.updated_at is not None and segment.updated_at >= now:
        return segment.updated_at + timedelta(microseconds=1)
    return now


def next_invoice_number(
    session: Session, actor: Actor, now: datetime, shared: bool = True
) -> tuple[str, uuid.UUID]:
    """Take the next number of this counter's segment (or, when ``shared``, the hall's shared
    one) inside the caller's transaction: if the transaction rolls back, so does the number,
    so none is lost. The increment is conditional, so a segment's last number is never given
    out twice: a counter that loses the race for it moves on to the next segment.

    A counter synced with a central database numbers only from the blocks leased to it
    (``shared=False``): the hall's shared segment belongs to the central database. A
    restored counter numbers none before its recovery pull (its segments' counts are the
    backup's)."""
    restore_mark.require_recovered(session)
    mine = InvoiceSegment.counter_id == actor.counter_id
    for _ in range(8):
        segment = session.scalars(
            select(InvoiceSegment)
            .where(
                InvoiceSegment.hall_id == actor.hall_id,
                (mine | InvoiceSegment.counter_id.is_(None)) if shared else mine,
                InvoiceSegment.next_seq <= InvoiceSegment.last_seq,
            )
            .order_by(InvoiceSegment.counter_id.is_(None), InvoiceSegment.first_seq)
            .limit(1)
        ).first()
        if segment is None:
            break
        taken = session.execute(
            update(InvoiceSegment)
            .where(
                InvoiceSegment.id == segment.id,
                InvoiceSegment.next_seq <= InvoiceSegment.last_seq,
            )
            .values(next_seq=InvoiceSegment.next_seq + 1, updated_at=_later(segment, now))
            .returning(InvoiceSegment.next_seq)
        ).scalar_one_or_none()
        if taken is not None:
            seq = taken - 1
            return f"{segment.year2}{segment.province_code}{segment.channel}{seq:015d}", segment.id
        session.expire(segment)  # used up by another counter meanwhile: look again
    if not shared:
        raise ValidationError(
            "本窗口领用的发票号段已用完：联网同步时自动领用新号段，请检查与中心的连接", "发票号段"
        )
    raise ValidationError("本窗口的发票号段已用完，请联系管理员领用新号段", "发票号段")


@dataclass(frozen=True)
class IssuedInvoice:
    invoice_no: str
    total_fen: int
    tax_fen: int


def issue_invoice(
    session: Session,
    actor: Actor,
    order_id: uuid.UUID,
    customer: Customer,
    pricing: Pricing,
    now: datetime,
    *,
    shared: bool = True,
) -> IssuedInvoice | None:
    """The blue invoice of an order's invoiceable lines, numbered from the segment inside the
    order's transaction. None when nothing is invoiceable now (a prepayment alone gets its
    receipt; its VAT invoice follows consumption)."""
    if not pricing.invoice_items:
        return None
    invoice_no, segment_id = next_invoice_number(session, actor, now, shared)
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
    return IssuedInvoice(invoice_no, invoice.total_fen, invoice.tax_fen)


@dataclass(frozen=True)
class RedLetterResult:
    red_invoice_no: str
    original_invoice_no: str
    order_id: uuid.UUID | None
    total_fen: int  # negative


REMARKS_LIMIT: int = Invoice.__table__.c.remarks.type.plain_length  # type: ignore[attr-defined]


def _red_remarks(original_no: str, reason: str) -> str:
    return f"被红冲蓝字数电发票号码：{original_no}　红冲原因：{reason}"


def check_red_reason(reason: str) -> str:
    """The red-letter reason as it will be kept: stripped, at least two characters, and short
    enough to go whole into the red invoice's remarks after the original's number."""
    reason = reason.strip()
    if len(reason) < 2:
        raise ValidationError("请填写红冲原因", "红冲原因")
    check_value("红冲原因", REMARKS_LIMIT - len(_red_remarks("0" * 20, "")), reason)
    return reason


def red_letter(
    session: Session,
    actor: Actor,
    invoice_no: str,
    reason: str,
    now: datetime,
    *,
    shared: bool = True,
    order_id: uuid.UUID | None = None,
    approved_by: str | None = None,
) -> RedLetterResult:
    """Cancel a blue invoice by a red-letter one inside the caller's transaction (a handset
    return red-letters the sale's invoice in the return's own transaction): the same lines
    with negative amounts, a new number from ``actor``'s segment, the original marked 已红冲,
    audited. The red invoice belongs to ``order_id`` when given (the return), else to the
    original's order. The caller checks the permission (``approved_by`` is the username of
    the supervisor who authorised it, when not ``actor``) and the reason (``check_red_reason``)."""
    number_typed = invoice_no.strip()
    # Marked first, by one conditional UPDATE (the write lock on SQLite, the row lock
    # on PostgreSQL): a second supervisor red-lettering the same invoice at the same
    # moment waits, then finds it already red-lettered.
    marked = session.execute(
        update(Invoice)
        .where(
            Invoice.invoice_no == number_typed,
            Invoice.kind == InvoiceKind.BLUE,
            Invoice.status == InvoiceStatus.ISSUED,
        )
        .values(status=InvoiceStatus.RED_LETTERED, updated_at=now)
        .returning(Invoice.id)
    ).scalar_one_or_none()
    if marked is None:
        found = session.scalars(
            select(Invoice).where(Invoice.invoice_no == number_typed)
        ).one_or_none()
        if found is None:
            raise NotFound(f"没有发票 {number_typed}", INVOICE_FIELD)
        if found.kind is not InvoiceKind.BLUE:
            raise ValidationError("红字发票不能再红冲", INVOICE_FIELD)
        raise ValidationError(f"发票 {number_typed} 已红冲过", INVOICE_FIELD)
    original = session.get_one(Invoice, marked)
    number, segment_id = next_invoice_number(session, actor, now, shared)
    red = Invoice(
        invoice_no=number,
        kind=InvoiceKind.RED,
        status=InvoiceStatus.ISSUED,
        order_id=order_id or original.order_id,
        customer_id=original.customer_id,
        original_invoice_id=original.id,
        segment_id=segment_id,
        issued_at=now,
        buyer_name=original.buyer_name,
        buyer_tax_id=original.buyer_tax_id,
        seller_name=original.seller_name,
        seller_tax_id=original.seller_tax_id,
        total_fen=-original.total_fen,
        amount_fen=-original.amount_fen,
        tax_fen=-original.tax_fen,
        issuer_id=actor.staff_id,
        remarks=_red_remarks(original.invoice_no, reason),
    )
    session.add(red)
    session.flush()
    for line in session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == original.id)):
        session.add(
            InvoiceLine(
                invoice_id=red.id,
                item_name=line.item_name,
                quantity=-line.quantity,
                unit_price_fen=line.unit_price_fen,
                amount_fen=-line.amount_fen,
                rate=line.rate,
                tax_fen=-line.tax_fen,
            )
        )
    after: dict[str, object] = {
        "status": "red_lettered",
        "red_invoice_no": number,
        "reason": reason,
    }
    if approved_by is not None:
        after["approved_by"] = approved_by
    audit.record(
        session,
        at=now,
        actor=actor,
        action="invoice.red_letter",
        entity="invoice",
        entity_id=original.id,
        before={"invoice_no": original.invoice_no, "status": "issued"},
        after=after,
    )
    return RedLetterResult(number, original.invoice_no, original.order_id, red.total_fen)


class InvoiceService:
    def __init__(self, db: Database, clock: Clock, shared_segments: bool = True) -> None:
        self._db = db
        self._clock = clock
        self._shared = shared_segments

    def issue_red_letter(
        self,
        actor: Actor,
        invoice_no: str,
        reason: str,
        *,
        approval_id: uuid.UUID | None = None,
    ) -> RedLetterResult:
        """Cancel a blue invoice by a red-letter one: the same lines with negative amounts, a
        new number from the segment, the original marked 已红冲. A supervisor does it; a clerk
        with a supervisor's remote approval (审批) of kind red_letter for this invoice number
        (``red_letter_subject``), redeemed in the same transaction."""
        if approval_id is None:
            actor.require(Permission.APPROVE)
        else:
            actor.require(Permission.ORDER_CREATE)
        reason = check_red_reason(reason)
        now = self._clock()
        subject = red_letter_subject(invoice_no)

        def work(session: Session) -> RedLetterResult:
            approver: str | None = None
            if approval_id is not None:
                approver_id = redeem(
                    session, actor, approval_id, kind=RED_LETTER.code, subject_ref=subject, now=now
                )
                approver = session.get_one(Staff, approver_id).username
            return red_letter(
                session, actor, invoice_no, reason, now, shared=self._shared, approved_by=approver
            )

        return self._db.write_numbered(work)


def red_letter_subject(invoice_no: str) -> str:
    """What a red-letter approval approves: this blue invoice's number."""
    return invoice_no.strip()
