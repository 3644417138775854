"""Writing audit entries inside the caller's unit of work, each the next link of its counter's
tamper-evident chain (hall_app/services/audit_chain.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hall_app.db.models import AuditEntry
from hall_app.domain.masking import redact
from hall_app.services import audit_chain
from hall_app.services.actor import Actor


def record(
    session: Session,
    *,
    at: datetime,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: uuid.UUID | str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_name: str | None = None,
    staff_id: uuid.UUID | None = None,
) -> None:
    """Add an audit entry: who, when, what, before and after. Never holds unmasked IDs.
    It is numbered and hashed as the next of its counter's chain in this transaction.

    Every text in ``before`` and ``after`` is redacted first: a note, a reason or a fault
    description a clerk typed may hold a customer's ID or mobile number, stored masked here
    (the business row keeps what was typed)."""
    entry = AuditEntry(
        id=uuid.uuid4(),
        at=at,
        # A script's actor (system_actor) is no staff member: audited by its name only.
        staff_id=actor.staff_id if actor and not actor.is_system else staff_id,
        actor_name=actor.username if actor else (actor_name or "system"),
        counter_id=actor.counter_id if actor else None,
        action=action,
        entity=entity,
        entity_id=str(entity_id) if entity_id is not None else None,
        before=_redacted(before),
        after=_redacted(after),
    )
    audit_chain.append_fields(session, entry)
    session.add(entry)


def _redacted(value: Any) -> Any:
    """``value`` (audit JSON) with every ID and mobile number in its texts masked."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return value
