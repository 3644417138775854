"""The audit log: who did what, when, with the record before and after."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hall_app.db.models.base import Base, SyncedMixin


class AuditEntry(SyncedMixin, Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_entity", "entity", "entity_id"),
        Index("ix_audit_log_chain", "counter_id", "origin_counter_id", "seq"),
    )

    at: Mapped[datetime]
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    counter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counters.id"))
    action: Mapped[str] = mapped_column(String(48))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The tamper-evident chain (migration 0018): the counter's sequence number, the previous
    # entry's hash and this entry's SHA-256 over its fields and prev_hash.
    seq: Mapped[int | None]
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str | None] = mapped_column(String(64))
    # The counter that pushed an entry with no window (migration 0020), filled centrally by
    # the push; NULL at the counters. Not hashed: part of the chain's key, (counter_id,
    # origin_counter_id), so each counter's no-window chain stays its own centrally.
    origin_counter_id: Mapped[uuid.UUID | None]


class AuditAlert(Base):
    """A break of the audit chain, or an attempt on the central database to change or delete
    an audit entry (refused): kept for a supervisor until acknowledged. Not synced: each
    database keeps its own (the central one's are read by ``hall-app audit verify --central``
    and by a supervisor's desk while the counter is online)."""

    __tablename__ = "audit_alerts"
    __table_args__ = (Index("ix_audit_alerts_open", "acknowledged_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    detected_at: Mapped[datetime]
    # chain_break (verify found it), central_update / central_delete (refused by the central
    # database's trigger), resent_changed (a counter pushed an entry it holds otherwise).
    kind: Mapped[str] = mapped_column(String(24))
    counter_id: Mapped[uuid.UUID | None]  # the chain concerned (no key: any counter's)
    entry_id: Mapped[uuid.UUID | None]
    seq: Mapped[int | None]
    detail: Mapped[str] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
