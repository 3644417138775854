"""The acting staff member, as every service receives it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from hall_app.domain.enums import Role
from hall_app.domain.errors import PermissionDenied, ValidationError
from hall_app.domain.permissions import PERMISSION_LABELS, Permission

# The staff id of an actor that is no staff member: audited by name, with no staff row.
SYSTEM_STAFF_ID = uuid.UUID(int=0)


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
    # A supervisor reset the password (or the account is new): choose one before working.
    must_change_password: bool = False

    @property
    def is_system(self) -> bool:
        """A script or back office acting without a staff login (``system_actor``)."""
        return self.staff_id == SYSTEM_STAFF_ID

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        """Refuses what the actor may not do, and everything until a reset (or initial)
        password is changed: whoever set it knows it (``StaffService.change_own_password``
        checks no permission, so the change itself stays open)."""
        if self.must_change_password:
            raise PermissionDenied(
                f"{self.full_name} 的密码已被重置，须先修改密码后才能办理业务", "密码"
            )
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


def system_actor(
    name: str,
    full_name: str,
    hall_id: uuid.UUID,
    hall_name: str,
    permissions: frozenset[Permission],
) -> Actor:
    """An actor for a script (the installers' back office): only the permissions it is given,
    no window, and audited under ``name`` with no staff member."""
    return Actor(
        staff_id=SYSTEM_STAFF_ID,
        username=name,
        full_name=full_name,
        employee_no="",
        role=Role.CLERK,
        hall_id=hall_id,
        hall_name=hall_name,
        counter_id=None,
        counter_name="后台",
        permissions=permissions,
    )
