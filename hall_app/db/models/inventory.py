"""Number pool with pretty-number tiers, SIM stock and handset stock."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall_app.db.models.base import Base, CentralStamped, SyncedMixin
from hall_app.db.models.catalog import Product
from hall_app.db.models.org import str_enum
from hall_app.domain.enums import DeviceStatus, NumberStatus, SimStatus


class PrettyTier(CentralStamped, SyncedMixin, Base):
    """A pretty-number (靓号) tier: what the customer commits to for such a number."""

    __tablename__ = "pretty_tiers"

    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    rank: Mapped[int]  # 1 is the most valuable
    patterns: Mapped[str] = mapped_column(String(100))  # comma-separated pattern codes
    prepayment_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    min_monthly_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    lock_in_months: Mapped[int] = mapped_column(default=0)


class PhoneNumber(SyncedMixin, Base):
    __tablename__ = "number_pool"
    __table_args__ = (Index("ix_number_pool_status_tier", "status", "pretty_tier_id"),)

    number: Mapped[str] = mapped_column(String(11), unique=True)
    status: Mapped[NumberStatus] = mapped_column(str_enum(NumberStatus))
    pretty_tier_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pretty_tiers.id"))
    has_four: Mapped[bool] = mapped_column(default=False)
    hall_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("halls.id"))
    reserved_until: Mapped[datetime | None]
    reserved_by_counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    quarantined_until: Mapped[datetime | None]
    # Leased to one counter to sell while its link is down (hall_app/sync/leases.py).
    lease_counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    lease_until: Mapped[datetime | None]

    pretty_tier: Mapped[PrettyTier | None] = relationship()


class SimCard(SyncedMixin, Base):
    __tablename__ = "sim_cards"

    iccid: Mapped[str] = mapped_column(String(20), unique=True)
    imsi: Mapped[str] = mapped_column(String(15), unique=True)
    status: Mapped[SimStatus] = mapped_column(str_enum(SimStatus), index=True)
    hall_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("halls.id"))
    lease_counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    lease_until: Mapped[datetime | None]
    # The counter that sold it: a clash between two counters is told apart by this.
    taken_by_counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))


class Device(SyncedMixin, Base):
    """One handset in stock, by IMEI; one IMEI is sold once (unique here and centrally).
    Leased to a counter to sell offline like SIMs and modems."""

    __tablename__ = "devices"
    __table_args__ = (Index("ix_devices_product_status", "product_id", "status"),)

    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    imei: Mapped[str] = mapped_column(String(15), unique=True)
    status: Mapped[DeviceStatus] = mapped_column(str_enum(DeviceStatus), index=True)
    hall_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("halls.id"))
    # Where the unit is: 营业厅库房, 1号柜台, 客户, 返厂维修 …
    location: Mapped[str] = mapped_column(String(32), default="")
    received_at: Mapped[datetime | None]
    lease_counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    lease_until: Mapped[datetime | None]
    taken_by_counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    # The sale: its order, the customer, the subscription a contract phone is bound to, and
    # the warranty's first day (the day of sale).
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"), index=True)
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subscriptions.id"))
    sold_at: Mapped[datetime | None]
    warranty_from: Mapped[date | None]

    product: Mapped[Product] = relationship()
