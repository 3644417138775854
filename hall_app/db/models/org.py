"""Halls, counters (windows), the service types they serve, and staff."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, Enum, ForeignKey, String, Table, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall_app.db.models.base import Base, CentralStamped, SyncedMixin
from hall_app.domain.enums import Role


def str_enum(enum_cls: type) -> Enum:
    """Store a StrEnum by value as a plain string column (portable across SQLite/PostgreSQL)."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Hall(CentralStamped, SyncedMixin, Base):
    __tablename__ = "halls"

    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(6))
    province_code: Mapped[str] = mapped_column(String(2))
    address: Mapped[str] = mapped_column(String(200))
    seller_name: Mapped[str] = mapped_column(String(100))
    seller_tax_id: Mapped[str] = mapped_column(String(20))

    counters: Mapped[list[Counter]] = relationship(back_populates="hall")


class ServiceType(CentralStamped, SyncedMixin, Base):
    """A kind of business the queue separates: letter A general, B bills, C broadband, V VIP."""

    __tablename__ = "service_types"

    code: Mapped[str] = mapped_column(String(24), unique=True)
    letter: Mapped[str] = mapped_column(String(1), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    target_minutes: Mapped[int]
    is_vip: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)


counter_service_types = Table(
    "counter_service_types",
    Base.metadata,
    Column("counter_id", ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True),
    Column("service_type_id", ForeignKey("service_types.id"), primary_key=True),
)


class Counter(CentralStamped, SyncedMixin, Base):
    """A service window in a hall."""

    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)

    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"))
    code: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)

    hall: Mapped[Hall] = relationship(back_populates="counters")
    service_types: Mapped[list[ServiceType]] = relationship(secondary=counter_service_types)


class Staff(CentralStamped, SyncedMixin, Base):
    __tablename__ = "staff"

    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"))
    username: Mapped[str] = mapped_column(String(32), unique=True)
    full_name: Mapped[str] = mapped_column(String(32))
    employee_no: Mapped[str] = mapped_column(String(16), unique=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    default_counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    # Set by a supervisor's password reset: the next login must choose a new password.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    hall: Mapped[Hall] = relationship()
    default_counter: Mapped[Counter | None] = relationship()
