"""A subscription this counter does not hold (opened at another window or hall), brought here
from the central database with its owner, so a business on it (a top-up) is an order of this
counter like any other. Counters do not pull subscriptions; they fetch the one they need."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from hall_app.db.central import CentralLink, Offline, fetch_with_parents, mirror
from hall_app.db.engine import Database
from hall_app.db.models import Customer, Subscription
from hall_app.domain.errors import NotFound
from hall_app.services.ports import MirrorRows

CUSTOMERS: Table = Customer.__table__  # type: ignore[assignment]
SUBSCRIPTIONS: Table = Subscription.__table__  # type: ignore[assignment]


def bring_here(
    db: Database, link: CentralLink | None, find: Callable[[Session], Subscription]
) -> bool:
    """Online, the subscription ``find`` picks at the central database (its refusals pass
    through, except NotFound) mirrored here with its owner and their parents, silently (not
    news centrally); rows this counter has are left alone. False when offline or not found."""
    if link is None or not link.online:
        return False

    def fetch(central: Session) -> tuple[MirrorRows, MirrorRows]:
        sub = find(central)
        return (
            _with_parents(central, CUSTOMERS, sub.customer_id),
            _with_parents(central, SUBSCRIPTIONS, sub.id),
        )

    try:
        owner, number = link.run(fetch)
    except (Offline, NotFound):
        return False
    with db.unit_of_work() as s:
        mirror(s, owner, only_missing=True)
        mirror(s, number, only_missing=True)
    return True


def _with_parents(central: Session, table: Table, row_id: uuid.UUID) -> MirrorRows:
    row = central.execute(select(table).where(table.c.id == row_id)).mappings().one()
    return fetch_with_parents(central, table, dict(row))
