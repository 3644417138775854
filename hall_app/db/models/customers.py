"""Customers: individuals under real-name registration, and enterprises."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall_app.db.models.base import Base, SyncedMixin
from hall_app.db.models.org import str_enum
from hall_app.domain.enums import CustomerKind, FaceCheckMethod, IdDocType

# Prefix searches on name and pinyin initials use range scans (col >= p AND col < p+1), which need
# binary ordering: SQLite's default, and the "C" collation on PostgreSQL.
SearchText = String(64).with_variant(String(64, collation="C"), "postgresql")


class Customer(SyncedMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_name_search", "name"),
        Index("ix_customers_name_initials", "name_initials"),
        # One customer per identity document (real-name registration); id_number leads, so
        # the same index serves the lookup by ID number.
        UniqueConstraint("id_number", "id_doc_type"),
        Index("ix_customers_contact_phone", "contact_phone"),
        Index("ix_customers_alt_phone", "alt_phone"),
        UniqueConstraint("uscc"),
    )

    kind: Mapped[CustomerKind] = mapped_column(str_enum(CustomerKind))
    name: Mapped[str] = mapped_column(SearchText)
    name_initials: Mapped[str] = mapped_column(SearchText)
    # Individuals (real-name registration)
    id_doc_type: Mapped[IdDocType | None] = mapped_column(str_enum(IdDocType))
    id_number: Mapped[str | None] = mapped_column(String(32))
    gender: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None]
    address: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    alt_phone: Mapped[str | None] = mapped_column(String(20))
    guardian_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"))
    real_name_verified_at: Mapped[datetime | None]
    face_check_method: Mapped[FaceCheckMethod | None] = mapped_column(str_enum(FaceCheckMethod))
    face_check_by: Mapped[str | None] = mapped_column(String(64))
    # Enterprises
    uscc: Mapped[str | None] = mapped_column(String(18))
    contact_person: Mapped[str | None] = mapped_column(String(32))
    # Both
    is_vip: Mapped[bool] = mapped_column(default=False)
    registered_hall_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("halls.id"))
    notes: Mapped[str] = mapped_column(String(500), default="")

    guardian: Mapped[Customer | None] = relationship(remote_side="Customer.id")
