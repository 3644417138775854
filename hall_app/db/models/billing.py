"""Payments, cash sessions, invoice number segments, invoices and print records."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall_app.db.crypto import EncryptedText
from hall_app.db.models.base import Base, CentralStamped, SyncedMixin
from hall_app.db.models.org import str_enum
from hall_app.domain.enums import (
    CashMovementKind,
    CashSessionStatus,
    InvoiceKind,
    InvoiceStatus,
    PaymentMethod,
)


class CashSession(SyncedMixin, Base):
    """One clerk's till at one counter for one business day, reconciled at day close."""

    __tablename__ = "cash_sessions"

    counter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("counters.id"))
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    business_date: Mapped[date]
    status: Mapped[CashSessionStatus] = mapped_column(str_enum(CashSessionStatus))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    opening_float_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    expected_cash_fen: Mapped[int | None] = mapped_column(BigInteger)
    counted_cash_fen: Mapped[int | None] = mapped_column(BigInteger)
    difference_fen: Mapped[int | None] = mapped_column(BigInteger)
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    # The blind count (盲点): {"10000": 3, "50": 2, …} by denomination in fen, typed before
    # the expected amount is shown; card and QR totals as the terminals' settlement says.
    counts_json: Mapped[str] = mapped_column(Text, default="", server_default="")
    counted_card_fen: Mapped[int | None] = mapped_column(BigInteger)
    counted_qr_fen: Mapped[int | None] = mapped_column(BigInteger)
    difference_reason: Mapped[str] = mapped_column(
        EncryptedText(200), default="", server_default=""
    )  # free text: sealed
    # A variance beyond the tolerance is signed off by a supervisor (an approval).
    approval_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("approvals.id"))


class CashMovement(SyncedMixin, Base):
    """Cash put into or taken out of a till during the day (存入 / 支出), with its reason."""

    __tablename__ = "cash_movements"

    cash_session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cash_sessions.id"), index=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    kind: Mapped[CashMovementKind] = mapped_column(str_enum(CashMovementKind))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # always positive
    reason: Mapped[str] = mapped_column(EncryptedText(200))  # free text: sealed
    moved_at: Mapped[datetime]


class ZReport(SyncedMixin, Base):
    """日结单: a till's close, numbered gap-free per hall, its figures frozen in
    ``content_json`` when made; prints and reprints (重打) are print_records of type
    ``z_report`` with ``document_ref`` the hall's code and the number (FZ-GL01-Z00000123,
    ``hall_app.domain.till.z_print_ref``)."""

    __tablename__ = "z_reports"
    __table_args__ = (UniqueConstraint("hall_id", "z_no"),)

    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"))
    z_no: Mapped[int]
    cash_session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cash_sessions.id"), unique=True)
    business_date: Mapped[date]
    made_at: Mapped[datetime]
    content_json: Mapped[str] = mapped_column(Text)


class HallDayClose(SyncedMixin, Base):
    """The hall's day close: every till of the day held against payments and invoices, the
    differences named (``summary_json``)."""

    __tablename__ = "hall_day_closes"
    __table_args__ = (UniqueConstraint("hall_id", "business_date"),)

    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"))
    business_date: Mapped[date]
    closed_at: Mapped[datetime]
    closed_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    summary_json: Mapped[str] = mapped_column(Text)


class Payment(SyncedMixin, Base):
    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_customer_paid", "customer_id", "paid_at"),
        Index("ix_payments_paid_at", "paid_at"),  # the hall's day close reads a day's
    )

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"))
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    cash_session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cash_sessions.id"))
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    tendered_fen: Mapped[int | None] = mapped_column(BigInteger)  # cash given
    change_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    reference: Mapped[str | None] = mapped_column(String(64))  # card / wallet reference
    paid_at: Mapped[datetime]


class InvoiceSegment(CentralStamped, SyncedMixin, Base):
    """A block of invoice sequence numbers granted to one counter; used gap-free in order."""

    __tablename__ = "invoice_segments"

    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"))
    counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    year2: Mapped[str] = mapped_column(String(2))
    province_code: Mapped[str] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(1))
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    next_seq: Mapped[int] = mapped_column(BigInteger)


class Invoice(SyncedMixin, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_customer_issued", "customer_id", "issued_at"),
        Index("ix_invoices_issued_at", "issued_at"),  # the hall's day close reads a day's
    )

    invoice_no: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[InvoiceKind] = mapped_column(str_enum(InvoiceKind))
    status: Mapped[InvoiceStatus] = mapped_column(str_enum(InvoiceStatus))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"))
    original_invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"))
    segment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoice_segments.id"))
    issued_at: Mapped[datetime]
    buyer_name: Mapped[str] = mapped_column(EncryptedText(100))  # sealed: a person's name
    buyer_tax_id: Mapped[str] = mapped_column(String(20), default="")
    seller_name: Mapped[str] = mapped_column(String(100))
    seller_tax_id: Mapped[str] = mapped_column(String(20))
    total_fen: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    tax_fen: Mapped[int] = mapped_column(BigInteger)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    remarks: Mapped[str] = mapped_column(EncryptedText(200), default="")  # free text: sealed

    lines: Mapped[list[InvoiceLine]] = relationship(back_populates="invoice")


class InvoiceLine(SyncedMixin, Base):
    __tablename__ = "invoice_lines"

    invoice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    item_name: Mapped[str] = mapped_column(String(100))  # *电信服务*基础电信服务
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # excluding tax
    rate: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    tax_fen: Mapped[int] = mapped_column(BigInteger)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class PrintRecord(SyncedMixin, Base):
    """Each time a document is printed: the first print, and reprints stamped 重打 with a reason."""

    __tablename__ = "print_records"
    __table_args__ = (UniqueConstraint("document_type", "document_ref", "copy_no"),)

    document_type: Mapped[str] = mapped_column(String(24))  # receipt, acceptance_form, invoice
    document_ref: Mapped[str] = mapped_column(String(32))  # order_no / invoice_no
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"), index=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    copy_no: Mapped[int]  # 1 for the original
    reason: Mapped[str] = mapped_column(EncryptedText(200), default="")  # free text: sealed
    printed_at: Mapped[datetime]
