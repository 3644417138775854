"""The acting staff member, as every service receives it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from hall_app.domain.enums import Role
from hall_app.domain.errors import PermissionDenied, ValidationError
from hall_app.domain.permissions import PERMISSION_LABELS, Permission

# The staff id of an actor that is no staff member: audited by name, with no staff row.
SYSTEM_STAFF_ID = uuid.UUID(int=0)


class CurrentRights(Protocol):
    """The staff row's rights now (``services.rights.StaffRights``)."""

    @property
    def version(self) -> datetime: ...
    @property
    def active(self) -> bool: ...
    @property
    def role(self) -> Role: ...
    @property
    def permissions(self) -> frozenset[Permission]: ...
    @property
    def must_change_password(self) -> bool: ...


class RightsSource(Protocol):
    """Where an actor's rights are read at each check (``services.rights.StaffRightsSource``)."""

    def current(self, staff_id: uuid.UUID) -> CurrentRights | None: ...


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
    # A login's rights follow the staff record (set by ``AuthService``): every check reads
    # it, so a deactivated or demoted account is refused at once. None (the system actor,
    # tests' actors): the rights fixed above.
    rights: RightsSource | None = field(default=None, compare=False, repr=False)

    @property
    def is_system(self) -> bool:
        """A script or back office acting without a staff login (``system_actor``)."""
        return self.staff_id == SYSTEM_STAFF_ID

    def _now(self) -> tuple[bool, Role, frozenset[Permission], bool]:
        """(active, role, permissions, must change password) as the staff record holds them
        now, never more than this login was given: a demotion narrows it at once, a
        promotion waits for the next login."""
        if self.rights is None:
            return True, self.role, self.permissions, self.must_change_password
        current = self.rights.current(self.staff_id)
        if current is None:
            return False, self.role, frozenset(), False
        return (
            current.active,
            current.role,
            current.permissions & self.permissions,
            current.must_change_password or self.must_change_password,
        )

    def can(self, permission: Permission) -> bool:
        active, _role, permissions, _must_change = self._now()
        return active and permission in permissions

    def require(self, permission: Permission) -> None:
        """Refuses what the actor may not do, and everything until a reset (or initial)
        password is changed: whoever set it knows it (``StaffService.change_own_password``
        checks no permission, so the change itself stays open). A login's account is read as
        it is now: deactivated or demoted since the login, it is refused at once."""
        active, role, permissions, must_change = self._now()
        if not active:
            raise PermissionDenied(
                f"{self.full_name} 的账号已停用，不能继续办理业务；请联系系统管理员", "权限"
            )
        if must_change:
            raise PermissionDenied(
                f"{self.full_name} 的密码已被重置，须先修改密码后才能办理业务", "密码"
            )
        if permission not in permissions:
            changed = "" if role is self.role else f"，角色已变更为{role.label}，请重新登录"
            raise PermissionDenied(
                f"{self.full_name}（{role.label}）没有“{PERMISSION_LABELS[permission]}”的权限"
                f"{changed}",
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
