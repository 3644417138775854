"""Queue tickets: A001 per service type per day, with calls, recalls, transfers and no-shows."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall_app.db.crypto import EncryptedText
from hall_app.db.models.base import Base, SyncedMixin
from hall_app.db.models.org import Counter, ServiceType, Staff, str_enum
from hall_app.domain.enums import Rating, TicketStatus


class QueueTicket(SyncedMixin, Base):
    __tablename__ = "queue_tickets"
    __table_args__ = (
        UniqueConstraint("hall_id", "business_date", "ticket_no"),
        Index("ix_queue_tickets_waiting", "hall_id", "business_date", "status", "issued_at"),
    )

    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"))
    service_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_types.id"))
    business_date: Mapped[date]
    seq: Mapped[int]
    ticket_no: Mapped[str] = mapped_column(String(16))  # A001; offline walk-ins A01-001
    status: Mapped[TicketStatus] = mapped_column(str_enum(TicketStatus))
    is_walk_in: Mapped[bool] = mapped_column(default=False)
    issued_at: Mapped[datetime]
    called_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    recall_count: Mapped[int] = mapped_column(default=0)
    counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"))
    transferred_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("queue_tickets.id"))
    target_counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    # The customer's evaluation at the end of the visit (服务评价), of ``staff_id``.
    rating: Mapped[Rating | None] = mapped_column(str_enum(Rating))
    rated_at: Mapped[datetime | None]
    rating_note: Mapped[str] = mapped_column(
        EncryptedText(200), default="", server_default=""
    )  # free text: sealed

    service_type: Mapped[ServiceType] = relationship()
    counter: Mapped[Counter | None] = relationship(foreign_keys=[counter_id])
    staff: Mapped[Staff | None] = relationship()
