"""The mark a restore leaves on a synced counter's database: until the recovery pull
(hall_app/sync/recovery.py) has brought back from the central database what this counter
wrote after the backup, it must not give out order, invoice or walk-in ticket numbers, nor
count a document's prints, which the central database may already hold.

The mark is a ``sync_state`` row (never pushed) holding the backup's time and the restore's
audit details; the restore's audit entry is recorded by the recovery, after the pulled
entries, so the audit chain goes on from the central head without a fork."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hall_app.db.models import SyncState
from hall_app.domain.errors import ValidationError

KEY = "restore_recovery"
FIELD = "同步"
REFUSED = (
    "本窗口刚从备份恢复，备份之后在本窗口办理的业务还在中心数据库：请先联网同步一次"
    "（自动找回这些记录和编号），然后再{then}"
)


@dataclass(frozen=True)
class RestoreMark:
    backup_created: datetime  # when the backup was taken: rows since then are recovered
    details: dict[str, Any]  # the restore's audit entry (``after``), recorded on recovery
    # Each audit chain's last seq in the backup: entries after it were written here since
    # the restore, and follow the entries the recovery takes back.
    heads: dict[uuid.UUID | None, int]


def mark(
    session: Session,
    backup_created: datetime,
    details: dict[str, Any],
    heads: dict[uuid.UUID | None, int],
) -> None:
    value = json.dumps(
        {
            "backup_created": backup_created.isoformat(),
            "details": details,
            "heads": {(c.hex if c else ""): seq for c, seq in heads.items()},
        }
    )
    session.merge(SyncState(key=KEY, value=value))


def pending(session: Session) -> RestoreMark | None:
    value = session.scalar(select(SyncState.value).where(SyncState.key == KEY))
    if value is None:
        return None
    data = json.loads(value)
    heads = {(uuid.UUID(c) if c else None): int(seq) for c, seq in data["heads"].items()}
    return RestoreMark(datetime.fromisoformat(data["backup_created"]), dict(data["details"]), heads)


def clear(session: Session) -> None:
    session.execute(delete(SyncState).where(SyncState.key == KEY))


def require_recovered(session: Session, then: str = "受理或开票") -> None:
    """Refuse to number an order, an invoice, a walk-in ticket or a document's copy before the
    recovery pull after a restore; ``then`` names what waits for it (…然后再{then})."""
    if session.scalar(select(SyncState.key).where(SyncState.key == KEY)) is not None:
        raise ValidationError(REFUSED.format(then=then), FIELD)
