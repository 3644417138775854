"""Install appointments: booking and giving back a place of an install slot in the counter's
own database, and (``SlotService``) the free slots a clerk may offer and the making of slots.

A slot's ``booked`` never passes its ``capacity``: a place is taken by one conditional UPDATE
(``booked < capacity``), so two clerks racing for the last place can not both get it. Online,
the order books at the central database (``hall_app.db.central_claims.book_slot``) and
mirrors the slot; offline, ``take_slot`` books only a slot leased to this counter, and the
push then carries the new count (the central database takes it only while the lease runs)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from hall_app.config import BusinessRules
from hall_app.db.central import leased_here
from hall_app.db.central_claims import slot_refusal
from hall_app.db.models import InstallSlot
from hall_app.domain.slots import SLOT_FIELD, SlotFull
from hall_app.services.actor import Actor

__all__ = ["SLOT_FIELD", "SlotFull", "give_back_slot", "take_slot"]

SLOTS: Table = InstallSlot.__table__  # type: ignore[assignment]


def take_slot(
    session: Session,
    slot_id: uuid.UUID,
    actor: Actor,
    now: datetime,
    offline: bool,
    *,
    lead_hours: int = BusinessRules.install_lead_hours,
) -> InstallSlot:
    """Book one place of the slot in the caller's transaction. Refuses a slot that is full
    (``SlotFull``), one starting within the lead time or already past, and, ``offline``, one
    not leased to the actor's counter (or in its lease's last hour)."""
    lead = timedelta(hours=lead_hours)
    stmt = update(SLOTS).where(
        SLOTS.c.id == slot_id,
        SLOTS.c.booked < SLOTS.c.capacity,
        SLOTS.c.starts_at >= now + lead,
    )
    counter_id = actor.require_counter("离线预约装机时段") if offline else None
    if counter_id is not None:
        stmt = stmt.where(leased_here(SLOTS, counter_id, now))
    got = session.execute(
        stmt.values(booked=SLOTS.c.booked + 1, updated_at=now).returning(SLOTS.c.id)
    ).first()
    if got is None:
        row = session.execute(select(SLOTS).where(SLOTS.c.id == slot_id)).first()
        refusal = slot_refusal(row, now, lead, others_lease=False)
        if (
            counter_id is not None
            and isinstance(refusal, SlotFull)
            and row is not None
            and row.booked < row.capacity
        ):
            refusal = SlotFull(
                "离线时只能预约本窗口租用的时段，该时段不在本窗口的租用范围内，请另选时段"
            )
        raise refusal
    slot = session.get(InstallSlot, slot_id, populate_existing=True)
    assert slot is not None
    return slot


def give_back_slot(session: Session, slot_id: uuid.UUID, now: datetime) -> None:
    """Give one place of the slot back in the caller's transaction (an order that failed, a
    rescheduled or cancelled work order); never below zero."""
    session.execute(
        update(SLOTS)
        .where(SLOTS.c.id == slot_id, SLOTS.c.booked > 0)
        .values(booked=SLOTS.c.booked - 1, updated_at=now)
    )
