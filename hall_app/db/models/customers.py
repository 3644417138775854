"""Customers: individuals under real-name registration, and enterprises."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall_app.db.crypto import EncryptedText
from hall_app.db.models.base import Base, SyncedMixin
from hall_app.db.models.org import str_enum
from hall_app.domain.enums import CustomerKind, FaceCheckMethod, IdDocType

# A blind index (hall_app.db.blind): an HMAC of a normalised value, 32 hex digits.
BlindIndex = String(32)


class Customer(SyncedMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (
        # One customer per identity document (real-name registration); the ID number's blind
        # index leads, so the same index serves the lookup by ID number.
        UniqueConstraint("id_number_bidx", "id_doc_type"),
        Index("ix_customers_contact_phone_bidx", "contact_phone_bidx"),
        Index("ix_customers_alt_phone_bidx", "alt_phone_bidx"),
        *(Index(f"ix_customers_name_p{k}", f"name_p{k}") for k in range(1, 5)),
        *(Index(f"ix_customers_initials_p{k}", f"initials_p{k}") for k in range(1, 5)),
        UniqueConstraint("uscc"),
    )

    kind: Mapped[CustomerKind] = mapped_column(str_enum(CustomerKind))
    # Personal data is sealed (hall_app.db.crypto): the attributes hold plaintext, the
    # columns AES-GCM bound to the row. Lookups go through the blind indexes below, kept by
    # hall_app.db.blind on every flush.
    name: Mapped[str] = mapped_column(EncryptedText(64))
    # Individuals (real-name registration)
    id_doc_type: Mapped[IdDocType | None] = mapped_column(str_enum(IdDocType))
    id_number: Mapped[str | None] = mapped_column(EncryptedText(32))
    gender: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None]
    address: Mapped[str] = mapped_column(EncryptedText(200), default="")
    contact_phone: Mapped[str | None] = mapped_column(EncryptedText(20))
    alt_phone: Mapped[str | None] = mapped_column(EncryptedText(20))
    guardian_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"))
    real_name_verified_at: Mapped[datetime | None]
    face_check_method: Mapped[FaceCheckMethod | None] = mapped_column(str_enum(FaceCheckMethod))
    face_check_by: Mapped[str | None] = mapped_column(String(64))
    # Enterprises
    uscc: Mapped[str | None] = mapped_column(String(18))
    contact_person: Mapped[str | None] = mapped_column(EncryptedText(32))
    # Both
    is_vip: Mapped[bool] = mapped_column(default=False)
    registered_hall_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("halls.id"))
    notes: Mapped[str] = mapped_column(EncryptedText(500), default="")  # free text: sealed

    # Blind indexes: exact ID and phone lookups, and name / pinyin-initials prefixes of one to
    # four characters (a longer query matches the 4-prefix, then is filtered after opening).
    id_number_bidx: Mapped[str | None] = mapped_column(BlindIndex)
    contact_phone_bidx: Mapped[str | None] = mapped_column(BlindIndex)
    alt_phone_bidx: Mapped[str | None] = mapped_column(BlindIndex)
    name_p1: Mapped[str | None] = mapped_column(BlindIndex)
    name_p2: Mapped[str | None] = mapped_column(BlindIndex)
    name_p3: Mapped[str | None] = mapped_column(BlindIndex)
    name_p4: Mapped[str | None] = mapped_column(BlindIndex)
    initials_p1: Mapped[str | None] = mapped_column(BlindIndex)
    initials_p2: Mapped[str | None] = mapped_column(BlindIndex)
    initials_p3: Mapped[str | None] = mapped_column(BlindIndex)
    initials_p4: Mapped[str | None] = mapped_column(BlindIndex)

    guardian: Mapped[Customer | None] = relationship(remote_side="Customer.id")
