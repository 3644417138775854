"""The balance of record: every change of a number's balances is a movement.

A service changing ``Subscription.balance_fen`` / ``bonus_fen`` changes the counter's copy AND
records the same deltas as a ``BalanceMovement`` in the same transaction. Movements are
append-only and synced; the central database adds each one to its subscription when it
arrives, and a pushed subscription never overwrites the central balances (hall_app/sync/
push.py), so two windows topping up one number — online or offline — both count centrally.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hall_app.db.models import BalanceMovement
from hall_app.domain.enums import BalanceMovementKind


def record_movement(
    session: Session,
    subscription_id: uuid.UUID,
    kind: BalanceMovementKind,
    balance_fen: int,
    bonus_fen: int = 0,
    *,
    at: datetime,
    order_id: uuid.UUID | None = None,
) -> None:
    """The deltas just applied to the counter's copy of the subscription (nothing when both
    are zero)."""
    if not balance_fen and not bonus_fen:
        return
    session.add(
        BalanceMovement(
            id=uuid.uuid4(),
            subscription_id=subscription_id,
            kind=kind,
            balance_fen=balance_fen,
            bonus_fen=bonus_fen,
            order_id=order_id,
            at=at,
            created_at=at,
            updated_at=at,
        )
    )
    session.flush()


def movement_sums(
    session: Session, subscription_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int]]:
    """(balance, bonus) deltas this database recorded per subscription."""
    if not subscription_ids:
        return {}
    rows = session.execute(
        select(
            BalanceMovement.subscription_id,
            func.sum(BalanceMovement.balance_fen),
            func.sum(BalanceMovement.bonus_fen),
        )
        .where(BalanceMovement.subscription_id.in_(subscription_ids))
        .group_by(BalanceMovement.subscription_id)
    ).all()
    return {sid: (int(b or 0), int(g or 0)) for sid, b, g in rows}
