"""Broadband and landline: the landline number pool, modem and router stock, installer teams
with the communities they serve, bookable install slots, install work orders, fusion bundles
and the demand recorded for uncovered addresses (预约登记)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall_app.db.crypto import EncryptedText
from hall_app.db.models.base import Base, CentralStamped, SyncedMixin
from hall_app.db.models.catalog import Product
from hall_app.db.models.inventory import PrettyTier
from hall_app.db.models.org import str_enum
from hall_app.domain.enums import (
    DemandStatus,
    EquipmentMode,
    EquipmentStatus,
    NumberStatus,
    WorkOrderKind,
    WorkOrderStatus,
)


class LandlineNumber(SyncedMixin, Base):
    """A fixed-line number: the area code (0591) and an 8-digit local number not starting with
    0 or 1, stored as one string of digits (059187654321). Reserved, leased and tiered like
    mobile numbers."""

    __tablename__ = "landline_numbers"
    __table_args__ = (Index("ix_landline_numbers_status_tier", "status", "pretty_tier_id"),)

    number: Mapped[str] = mapped_column(String(12), unique=True)
    area_code: Mapped[str] = mapped_column(String(4))
    status: Mapped[NumberStatus] = mapped_column(str_enum(NumberStatus))
    pretty_tier_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pretty_tiers.id"))
    hall_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("halls.id"))
    reserved_until: Mapped[datetime | None]
    reserved_by_counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    quarantined_until: Mapped[datetime | None]
    lease_counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    lease_until: Mapped[datetime | None]

    pretty_tier: Mapped[PrettyTier | None] = relationship()


class Equipment(SyncedMixin, Base):
    """One optical modem (光猫) or Wi-Fi router in stock, by serial; leased offline like SIMs."""

    __tablename__ = "equipment"

    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[EquipmentStatus] = mapped_column(str_enum(EquipmentStatus), index=True)
    hall_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("halls.id"))
    lease_counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    lease_until: Mapped[datetime | None]
    taken_by_counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    # Where it went: the order, the subscription it serves, how, and the deposit held.
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"), index=True)
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("subscriptions.id"), index=True
    )
    mode: Mapped[EquipmentMode | None] = mapped_column(str_enum(EquipmentMode))
    deposit_fen: Mapped[int] = mapped_column(BigInteger, default=0)

    product: Mapped[Product] = relationship()


class InstallerTeam(CentralStamped, SyncedMixin, Base):
    __tablename__ = "installer_teams"

    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(32))  # 鼓楼装维一班
    leader: Mapped[str] = mapped_column(String(32), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    active: Mapped[bool] = mapped_column(default=True)


class TeamArea(CentralStamped, SyncedMixin, Base):
    """A community a team installs in, and how many installs it takes per window there."""

    __tablename__ = "team_areas"
    __table_args__ = (UniqueConstraint("team_id", "community"),)

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("installer_teams.id"))
    community: Mapped[str] = mapped_column(String(64), index=True)
    capacity: Mapped[int]  # installs per window


class InstallSlot(CentralStamped, SyncedMixin, Base):
    """One half-day window of one team in one community on one working day: ``booked`` never
    passes ``capacity`` (a conditional UPDATE, centrally when online; offline only a slot
    leased to the counter). Made centrally and pulled by the counters; a counter's copy counts
    only while the counter holds the slot's lease."""

    __tablename__ = "install_slots"
    __table_args__ = (
        UniqueConstraint("team_id", "community", "day", "window"),
        Index("ix_install_slots_hall_community_day", "hall_id", "community", "day"),
    )

    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"))
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("installer_teams.id"))
    community: Mapped[str] = mapped_column(String(64))
    day: Mapped[date]
    window: Mapped[str] = mapped_column(String(16))  # morning, afternoon, evening
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int]
    booked: Mapped[int] = mapped_column(default=0)
    # The day is counted Monday to Friday: the calendar lacked its year when it was made.
    provisional: Mapped[bool] = mapped_column(default=False)
    lease_counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    lease_until: Mapped[datetime | None]

    team: Mapped[InstallerTeam] = relationship()


class WorkOrder(SyncedMixin, Base):
    """An install work order (装机工单): a new broadband and/or landline, or a relocation."""

    __tablename__ = "work_orders"
    __table_args__ = (
        Index("ix_work_orders_customer_status", "customer_id", "status"),
        Index("ix_work_orders_hall_status", "hall_id", "status"),
    )

    work_order_no: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[WorkOrderKind] = mapped_column(str_enum(WorkOrderKind))
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    broadband_subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("subscriptions.id")
    )
    landline_subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("subscriptions.id")
    )
    # The contact and addresses are personal data: sealed (hall_app.db.crypto).
    address: Mapped[str] = mapped_column(EncryptedText(200))  # where to install (new one, 移机)
    from_address: Mapped[str | None] = mapped_column(EncryptedText(200))  # a relocation's 原址
    community: Mapped[str] = mapped_column(String(64))
    technology: Mapped[str] = mapped_column(String(16))  # FTTH, FTTB
    contact_name: Mapped[str] = mapped_column(EncryptedText(32))
    contact_phone: Mapped[str] = mapped_column(EncryptedText(20))
    slot_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("install_slots.id"))
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("installer_teams.id"))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    promised_date: Mapped[date]
    # The promised date was counted Monday to Friday (the calendar lacks its year).
    promised_provisional: Mapped[bool] = mapped_column(default=False)
    installation_fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[WorkOrderStatus] = mapped_column(str_enum(WorkOrderStatus))
    status_reason: Mapped[str] = mapped_column(EncryptedText(200), default="")  # free text: sealed
    reschedules: Mapped[int] = mapped_column(default=0)
    dispatched_at: Mapped[datetime | None]
    installed_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    late_days: Mapped[int] = mapped_column(default=0)
    credit_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # late-install credit

    team: Mapped[InstallerTeam | None] = relationship()
    slot: Mapped[InstallSlot | None] = relationship()


class FusionBundle(CentralStamped, SyncedMixin, Base):
    """A fusion bundle (融合套餐): a broadband plan priced together with a mobile plan the same
    customer holds, at ``monthly_fen`` for the broadband instead of its own fee."""

    __tablename__ = "fusion_bundles"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))  # 5G 畅享 129 + 500M 融合
    broadband_product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    mobile_product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    monthly_fen: Mapped[int] = mapped_column(BigInteger)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)


class DemandRegistration(SyncedMixin, Base):
    """预约登记: a customer wants broadband or a landline where there is no coverage yet."""

    __tablename__ = "demand_registrations"
    __table_args__ = (Index("ix_demand_registrations_hall_status", "hall_id", "status"),)

    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"))
    address: Mapped[str] = mapped_column(EncryptedText(200))  # sealed, as the contact
    contact_name: Mapped[str] = mapped_column(EncryptedText(32))
    contact_phone: Mapped[str] = mapped_column(EncryptedText(20))
    wanted: Mapped[str] = mapped_column(String(32))  # 宽带, 固话, 宽带+固话
    note: Mapped[str] = mapped_column(EncryptedText(200), default="")  # free text: sealed
    status: Mapped[DemandStatus] = mapped_column(str_enum(DemandStatus))
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
