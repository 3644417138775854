"""Monthly bills (账单) with their items and the settlements that paid them, top-up promotions
(充值优惠), number-portability authorisation codes (携号转网授权码) and ownership transfers (过户).

The central database is the store of record for bills: its billing run makes them, and the
counters receive the bills of their hall's customers with the pull (``central_at``). A counter
settles a bill locally, online or offline: the bill's ``paid_fen``/``status`` change in the
payment's transaction and a ``BillSettlement`` row records what the payment put on it; both are
pushed like any payment."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall_app.db.models.base import Base, CentralStamped, SyncedMixin
from hall_app.db.models.org import str_enum
from hall_app.domain.enums import BillItemKind, BillStatus


class Bill(CentralStamped, SyncedMixin, Base):
    """One subscription's bill for one month (``period`` ``2026-11``), due on ``due_date``."""

    __tablename__ = "bills"
    __table_args__ = (
        UniqueConstraint("subscription_id", "period"),
        # A customer's unpaid bills, oldest first (the 缴费 screen), and the arrears run.
        Index("ix_bills_customer_status_due", "customer_id", "status", "due_date"),
        Index("ix_bills_status_due", "status", "due_date"),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscriptions.id"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    hall_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("halls.id"))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    period_start: Mapped[date]
    period_end: Mapped[date]
    issued_at: Mapped[datetime]
    due_date: Mapped[date]
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # the items' sum, tax-inclusive
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    status: Mapped[BillStatus] = mapped_column(str_enum(BillStatus))
    paid_at: Mapped[datetime | None]  # when it became paid in full
    written_off_at: Mapped[datetime | None]

    items: Mapped[list[BillItem]] = relationship(back_populates="bill", order_by="BillItem.seq")


class BillItem(CentralStamped, SyncedMixin, Base):
    __tablename__ = "bill_items"

    bill_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bills.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(default=1)
    kind: Mapped[BillItemKind] = mapped_column(str_enum(BillItemKind))
    description: Mapped[str] = mapped_column(String(100))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # tax-inclusive; negative: a discount
    product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("products.id"))
    vat_category_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("vat_categories.id"))
    # False for an instalment's principal (the handset was invoiced whole at its sale).
    invoiceable: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    instalment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("instalments.id"))

    bill: Mapped[Bill] = relationship(back_populates="items")


class BillSettlement(SyncedMixin, Base):
    """What one bill payment (缴费 order) put on one bill, with the late fee charged on it
    (违约金) and any part of that fee a supervisor waived."""

    __tablename__ = "bill_settlements"

    bill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bills.id"), index=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # towards the bill
    late_fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # charged
    late_fee_waived_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    overdue_days: Mapped[int] = mapped_column(default=0)
    approval_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("approvals.id"))
    settled_at: Mapped[datetime]


class TopUpOffer(CentralStamped, SyncedMixin, Base):
    """A top-up promotion from the catalog: a top-up of at least ``min_amount_fen`` adds
    ``bonus_fen`` to the number's bonus balance (used, never refunded). 充100送20."""

    __tablename__ = "top_up_offers"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    min_amount_fen: Mapped[int] = mapped_column(BigInteger)
    bonus_fen: Mapped[int] = mapped_column(BigInteger)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True, server_default=sa_true())


class PortAuthCode(SyncedMixin, Base):
    """A number-portability authorisation code (携号转网授权码), issued when every condition
    passed, valid until ``expires_at``."""

    __tablename__ = "port_auth_codes"

    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    code: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(default=False, server_default=sa_false())


class OwnershipTransfer(SyncedMixin, Base):
    """过户: a subscription moved from one customer to another. Its history (orders, bills,
    payments before the transfer) stays under the old owner and readable from both records."""

    __tablename__ = "ownership_transfers"

    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    from_customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    to_customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"))
    approval_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("approvals.id"))
    transferred_at: Mapped[datetime]
