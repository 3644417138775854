"""The counter's sync outbox: one row per business row changed locally and not yet at the
central database. SQLite triggers fill it in the same transaction as the change itself
(``hall_app.db.outbox``), so ORM and Core writes alike are captured and nothing is lost."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hall_app.db.crypto import EncryptedText
from hall_app.db.models.base import Base, CentralStamped, SyncedMixin


class SyncOutbox(Base):
    __tablename__ = "sync_outbox"
    __table_args__ = (UniqueConstraint("table_name", "row_id"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(String(48))
    row_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending / sent / quarantined
    attempts: Mapped[int] = mapped_column(default=0)
    # Bumped by every change of the row: a push marks the entry sent only if the version it
    # read is still the current one, so a change made during the push goes out next round.
    version: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]


class SyncState(Base):
    """Small facts about sync: the last successful round, the last error."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ResourceClash(CentralStamped, SyncedMixin, Base):
    """A number or SIM two counters both sold (one of them offline on an expired lease, say).
    The central database's copy wins; the losing counter's order is flagged here for a
    supervisor, who settles it with the customer and marks it resolved."""

    __tablename__ = "resource_clashes"

    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"))
    counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))
    resource: Mapped[str] = mapped_column(String(16))  # number / sim
    resource_key: Mapped[str] = mapped_column(String(20))  # the number or ICCID
    detail: Mapped[str] = mapped_column(Text)
    detected_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    resolution: Mapped[str | None] = mapped_column(EncryptedText(500))  # free text: sealed
