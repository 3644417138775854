"""The acting staff member, as every service receives it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from hall_app.domain.enums import Role
from hall_app.domain.errors import PermissionDenied, ValidationError
from hall_app.domain.permissions import PERMISSION_LABELS, Permission


@dataclass(frozen=True)
class Actor:
    staff_id: uuid.UUID
    username: str
    full_name: str
    employee_no: str
    role: Role
    hall_id: uuid.UUID
    hall_name: str
    counter_id: uuid.UUID | None
    counter_name: str
    permissions: frozenset[Permission]

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise PermissionDenied(
                f"{self.full_name}（{self.role.label}）没有“{PERMISSION_LABELS[permission]}”的权限",
                "权限",
            )

    def require_counter(self, doing: str) -> uuid.UUID:
        """The window this login works at; work tied to a window refuses without one."""
        if self.counter_id is None:
            raise ValidationError(
                f"当前登录未分配窗口，不能{doing}；请在配置中设置本机窗口（HALL_COUNTER）", "窗口"
            )
        return self.counter_id
