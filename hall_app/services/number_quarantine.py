"""A cancelled number's cooling-off (冷冻期, rule added after review 14): 销户 puts it in
QUARANTINED until ``quarantined_until`` (now + ``rules.number_quarantine_days``); once that has
passed it is free again. The pool's searches and reservations treat a lapsed quarantine as
free at once (``lapsed``, part of ``NumberService._free``), and the housekeeping round
(``NumberService.release_expired``) sets such rows AVAILABLE, at the central database when the
counter is synced (where leases and other counters see them), in the counter's own otherwise."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, select, update
from sqlalchemy.orm import Session

from hall_app.domain.enums import NumberStatus
from hall_app.services import audit

BATCH = 500  # rows per housekeeping round: a large lapsed batch is worked off over rounds


def lapsed(model: Any, now: datetime) -> ColumnElement[bool]:
    """The number's quarantine has run out."""
    return and_(model.status == NumberStatus.QUARANTINED, model.quarantined_until < now)


def end_quarantines(session: Session, model: Any, table: Table, now: datetime) -> list[Any]:
    """Set up to ``BATCH`` lapsed quarantines AVAILABLE; the rows as they are now."""
    ids = select(model.id).where(lapsed(model, now)).order_by(model.quarantined_until)
    return list(
        session.execute(
            update(model)
            .where(model.id.in_(ids.limit(BATCH).scalar_subquery()), lapsed(model, now))
            .values(status=NumberStatus.AVAILABLE, quarantined_until=None, updated_at=now)
            .returning(*table.c)
            .execution_options(synchronize_session=False)
        )
        .mappings()
        .all()
    )


def audit_ended(
    session: Session,
    now: datetime,
    entity: str,
    ids: Sequence[uuid.UUID],
    *,
    action: str = "number.quarantine_ended",
    was: str = "quarantined",
) -> None:
    """The housekeeping's audit entries: each number now available, and what it was."""
    for number_id in ids:
        audit.record(
            session,
            at=now,
            actor=None,
            actor_name="system",
            action=action,
            entity=entity,
            entity_id=number_id,
            before={"status": was},
            after={"status": "available"},
        )
