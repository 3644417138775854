"""Services a customer holds: mobile numbers, broadband and landlines, with their add-ons."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall_app.db.crypto import EncryptedText
from hall_app.db.models.base import Base, SyncedMixin
from hall_app.db.models.catalog import Product
from hall_app.db.models.org import str_enum
from hall_app.domain.enums import (
    BalanceMovementKind,
    SubscriptionKind,
    SubscriptionStatus,
    SuspendReason,
)


class Subscription(SyncedMixin, Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        Index("ix_subscriptions_service_number", "service_number"),
        Index("ix_subscriptions_customer_id", "customer_id"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[SubscriptionKind] = mapped_column(str_enum(SubscriptionKind))
    service_number: Mapped[str] = mapped_column(String(32))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    sim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sim_cards.id"))
    status: Mapped[SubscriptionStatus] = mapped_column(str_enum(SubscriptionStatus))
    address: Mapped[str] = mapped_column(EncryptedText(200), default="")  # sealed: personal
    hall_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("halls.id"))
    activated_at: Mapped[datetime | None]
    lock_in_until: Mapped[date | None]
    cancelled_at: Mapped[datetime | None]
    balance_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # paid in: refundable
    # A top-up promotion's bonus (充100送20): used after the paid-in balance, never refunded.
    bonus_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Why a ``suspended`` subscription is suspended, since when; a lost SIM's report.
    suspend_reason: Mapped[SuspendReason | None] = mapped_column(str_enum(SuspendReason))
    suspended_at: Mapped[datetime | None]
    # A plan change taking effect next month: the plan, and the first day it applies.
    next_product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("products.id"))
    next_product_from: Mapped[date | None]
    # The plan's promotion taken at opening, and the last day its discounted fee applies.
    promotion_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("promotions.id"))
    promotion_until: Mapped[date | None]
    # Broadband and landline: the community and access technology of the address, and a
    # fusion bundle with the customer's mobile subscription it is priced with.
    community: Mapped[str] = mapped_column(String(64), default="")
    technology: Mapped[str | None] = mapped_column(String(16))
    bundle_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("fusion_bundles.id"))
    bundled_with_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subscriptions.id"))

    product: Mapped[Product] = relationship(foreign_keys=[product_id])
    next_product: Mapped[Product | None] = relationship(foreign_keys=[next_product_id])
    addons: Mapped[list[SubscriptionAddon]] = relationship(back_populates="subscription")


class SubscriptionAddon(SyncedMixin, Base):
    """A value-added service on a subscription."""

    __tablename__ = "subscription_addons"

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    active_from: Mapped[date]
    active_to: Mapped[date | None]

    subscription: Mapped[Subscription] = relationship(back_populates="addons")
    product: Mapped[Product] = relationship()


class BalanceMovement(SyncedMixin, Base):
    """One change of a number's balances, append-only: deltas of the paid-in balance
    (``balance_fen``) and of the bonus balance (``bonus_fen``). The counter changes its own
    copy of the subscription in the same transaction; the central database adds each
    movement's deltas to its subscription when the movement arrives (a trigger), and a pushed
    subscription never overwrites its central balances — so top-ups of one number at two
    windows, online or offline, both count."""

    __tablename__ = "balance_movements"

    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    kind: Mapped[BalanceMovementKind] = mapped_column(str_enum(BalanceMovementKind))
    balance_fen: Mapped[int] = mapped_column(BigInteger)  # a delta: + paid in, - paid back
    bonus_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # a delta
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))
    at: Mapped[datetime]
