"""Orders (受理单) with their lines, approvals and installment contracts (install work orders:
fixed_line.py)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, Numeric, String, Text
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall_app.db.crypto import EncryptedText
from hall_app.db.models.base import Base, SyncedMixin
from hall_app.db.models.org import Staff, str_enum
from hall_app.domain.enums import (
    ApprovalState,
    ContractStatus,
    CreditOutcome,
    OrderState,
    OrderType,
)


class Order(SyncedMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_customer_created", "customer_id", "created_at"),
        Index("ix_orders_hall_created", "hall_id", "created_at"),
    )

    order_no: Mapped[str] = mapped_column(String(24), unique=True)
    order_type: Mapped[OrderType] = mapped_column(str_enum(OrderType))
    state: Mapped[OrderState] = mapped_column(str_enum(OrderState))
    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"))
    counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"))
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("queue_tickets.id"), index=True)
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subscriptions.id"))
    total_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    terms_text: Mapped[str] = mapped_column(Text, default="")
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    proxy_name: Mapped[str | None] = mapped_column(EncryptedText(32))  # sealed: personal data
    proxy_id_number: Mapped[str | None] = mapped_column(EncryptedText(32))
    submitted_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    notes: Mapped[str] = mapped_column(EncryptedText(500), default="")  # free text: sealed
    # What the order's receipt and acceptance form print beside its lines, as the order type
    # said at completion (``OrderKind.document_details``): a JSON list of [label, value],
    # already masked. Empty for the order types whose documents read their own rows.
    details_json: Mapped[str] = mapped_column(Text, default="", server_default="")

    lines: Mapped[list[OrderLine]] = relationship(back_populates="order")
    staff: Mapped[Staff] = relationship()


class OrderLine(SyncedMixin, Base):
    __tablename__ = "order_lines"

    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("products.id"))
    description: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # tax-inclusive line total
    vat_category_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("vat_categories.id"))
    vat_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    invoiceable: Mapped[bool] = mapped_column(default=True)  # prepaid top-ups are not
    # A discount line names the promotion it applies (its amount is negative).
    promotion_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("promotions.id"))

    order: Mapped[Order] = relationship(back_populates="lines")


class Approval(SyncedMixin, Base):
    """A supervisor's decision on a risky operation: given inline at the clerk's counter
    (``inline``), or requested by a clerk and decided from the supervisors' inbox (审批),
    remotely through the central database. ``reason`` is the decision's reason;
    ``request_reason`` why the clerk asks. ``subject_ref`` names what is approved (an
    assessment's id, an invoice number, a till's id), so an approval is redeemed only for it,
    once (``used_at``)."""

    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_hall_state", "hall_id", "state", "requested_at"),)

    kind: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"))
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    approver_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    state: Mapped[ApprovalState] = mapped_column(str_enum(ApprovalState))
    reason: Mapped[str] = mapped_column(EncryptedText(500), default="")  # free text: sealed
    decided_at: Mapped[datetime | None]
    hall_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("halls.id"))
    counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    inline: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    requested_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    request_reason: Mapped[str] = mapped_column(
        EncryptedText(200), default="", server_default=""
    )  # free text: sealed
    summary: Mapped[str] = mapped_column(String(200), default="", server_default="")
    customer_label: Mapped[str] = mapped_column(String(64), default="", server_default="")
    subject_ref: Mapped[str] = mapped_column(String(64), default="", server_default="")
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[datetime | None]


class CreditAssessment(SyncedMixin, Base):
    """A credit check before an installment sale: each rule's outcome and its reason in
    Chinese (``rules_json``), the overall result, and the supervisor who approved one that
    needed it."""

    __tablename__ = "credit_assessments"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    assessed_at: Mapped[datetime]
    product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("products.id"))
    monthly_fen: Mapped[int] = mapped_column(BigInteger)  # the instalment asked for
    outcome: Mapped[CreditOutcome] = mapped_column(str_enum(CreditOutcome))
    rules_json: Mapped[str] = mapped_column(Text, default="[]")
    approver_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    approved_at: Mapped[datetime | None]
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"), index=True)


class HandsetCommitment(SyncedMixin, Base):
    """A contract phone (合约机): the handset's IMEI bound to a subscription for ``months``
    at a plan of at least ``min_plan_fen``, against a subsidy earned back monthly."""

    __tablename__ = "handset_commitments"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"))
    offer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("handset_offers.id"))
    subsidy_fen: Mapped[int] = mapped_column(BigInteger)
    months: Mapped[int]
    min_plan_fen: Mapped[int] = mapped_column(BigInteger)
    starts_on: Mapped[date]
    ends_on: Mapped[date]  # the last day of the commitment
    status: Mapped[ContractStatus] = mapped_column(str_enum(ContractStatus))
    ended_at: Mapped[datetime | None]
    clawback_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # repaid on leaving early


class InstallmentContract(SyncedMixin, Base):
    """分期合同: the handset's price, the down payment, the financed amount and the fee, repaid
    in ``months`` instalments (``instalments``)."""

    __tablename__ = "installment_contracts"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    down_payment_fen: Mapped[int] = mapped_column(BigInteger)
    financed_fen: Mapped[int] = mapped_column(BigInteger)
    fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    months: Mapped[int]
    credit_approved: Mapped[bool]
    credit_reasons: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="active")  # ContractStatus
    offer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("handset_offers.id"))
    credit_assessment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credit_assessments.id")
    )
    monthly_rate: Mapped[Decimal | None] = mapped_column(Numeric(7, 5))
    payoff_fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    signed_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]  # paid off, completed or returned

    instalments: Mapped[list[Instalment]] = relationship(
        back_populates="contract", order_by="Instalment.seq"
    )


class Instalment(SyncedMixin, Base):
    __tablename__ = "instalments"
    __table_args__ = (Index("ix_instalments_due_unpaid", "due_date", "paid_at"),)

    contract_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installment_contracts.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int]
    due_date: Mapped[date]
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    principal_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_at: Mapped[datetime | None]
    # The order (分期还款) that paid it; a payoff marks every remaining one with its order.
    paid_order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))

    contract: Mapped[InstallmentContract] = relationship(back_populates="instalments")
