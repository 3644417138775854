"""The acting staff member's rights as the staff record holds them now, not as at login.

A supervisor demoted or deactivated while logged in acts no more from the next check on. Each
check reads the staff row's version (``updated_at``, moved forward by every change to the row,
here or pulled from the central database) by primary key; the role's permissions are rebuilt
only when the version moved.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, select

from hall_app.db.engine import Database
from hall_app.db.models import Staff
from hall_app.domain.enums import Role
from hall_app.domain.permissions import ROLE_PERMISSIONS, Permission

_STAFF: Table = Staff.__table__  # type: ignore[assignment]
_VERSION = select(_STAFF.c.updated_at)
_RIGHTS = select(_STAFF.c.updated_at, _STAFF.c.active, _STAFF.c.role, _STAFF.c.must_change_password)


@dataclass(frozen=True)
class StaffRights:
    """What the staff row grants at ``version``."""

    version: datetime
    active: bool
    role: Role
    permissions: frozenset[Permission]
    must_change_password: bool


class StaffRightsSource:
    """Reads the current rights of a staff member, cached by the staff row's version.

    Thread-safe: the GUI thread and the operation worker both check."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache: dict[uuid.UUID, StaffRights] = {}
        self._lock = threading.Lock()

    def current(self, staff_id: uuid.UUID) -> StaffRights | None:
        """The staff member's rights now; None when the row is gone."""
        cached = self._cache.get(staff_id)
        with self._db.connect() as conn:
            version = conn.execute(_VERSION.where(_STAFF.c.id == staff_id)).scalar_one_or_none()
            if version is None:
                with self._lock:
                    self._cache.pop(staff_id, None)
                return None
            if cached is not None and cached.version == version:
                return cached
            row = conn.execute(_RIGHTS.where(_STAFF.c.id == staff_id)).one_or_none()
        if row is None:
            return None
        role = Role(row.role)
        rights = StaffRights(
            version=row.updated_at,
            active=bool(row.active),
            role=role,
            permissions=ROLE_PERMISSIONS[role],
            must_change_password=bool(row.must_change_password),
        )
        with self._lock:
            self._cache[staff_id] = rights
        return rights

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()
