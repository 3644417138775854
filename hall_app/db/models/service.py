"""Fault and complaint tickets with their regulatory deadlines."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hall_app.db.crypto import EncryptedText
from hall_app.db.models.base import Base, SyncedMixin
from hall_app.db.models.org import str_enum
from hall_app.domain.enums import AreaType, ServiceTicketKind, ServiceTicketStatus


class ServiceTicket(SyncedMixin, Base):
    __tablename__ = "service_tickets"
    __table_args__ = (Index("ix_service_tickets_customer_status", "customer_id", "status"),)

    ticket_no: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[ServiceTicketKind] = mapped_column(str_enum(ServiceTicketKind))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subscriptions.id"))
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(EncryptedText(1000))  # free text: sealed
    area: Mapped[AreaType | None] = mapped_column(str_enum(AreaType))
    status: Mapped[ServiceTicketStatus] = mapped_column(str_enum(ServiceTicketStatus))
    opened_at: Mapped[datetime]
    deadline_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str] = mapped_column(EncryptedText(1000), default="")  # sealed
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    hall_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("halls.id"))
