"""Staff accounts: supervisors unlock an account and reset a password (to be changed at the
next login); admins create and deactivate staff and set their roles and default counters;
everyone changes their own password.

On a synced hall staff is the central database's (hall_app/sync/pull.py): a change is made
there through the live link, in one transaction, and mirrored into this counter's database;
the other counters get it with their next pull. Offline, a synced hall refuses: an account
changed at one counter only would be undone by the next pull. An unlock (and a reset, which
also unlocks) is stamped centrally in ``locked_until`` with the central clock: a lock a
counter set before that moment is lifted by its pull (lockouts are counted at each counter).

Every change is audited in the same transaction, never with a password or its hash."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from hall_app.clock import Clock
from hall_app.config import BusinessRules
from hall_app.db.central import CentralLink, Offline, Row, mirror
from hall_app.db.engine import Database
from hall_app.db.models import Counter, Hall, Staff
from hall_app.db.text_limits import check_value
from hall_app.domain.enums import Role
from hall_app.domain.errors import NotFound, PermissionDenied, StorageError, ValidationError
from hall_app.domain.permissions import ROLE_PERMISSIONS, Permission
from hall_app.services import audit
from hall_app.services.actor import Actor
from hall_app.services.auth import default_hasher

STAFF: Table = Staff.__table__  # type: ignore[assignment]
FIELD = "员工账号"
PASSWORD_FIELD = "新密码"
REPEAT_FIELD = "确认新密码"
MIN_PASSWORD = 8
MAX_PASSWORD = 128
OFFLINE = "与中心数据库断开：本营业厅的员工账号在中心数据库修改，离线时不能修改，请网络恢复后再试"
_USERNAME = re.compile(r"[A-Za-z0-9_.\-]{3,32}")
_EMPLOYEE_NO = re.compile(r"[A-Za-z0-9\-]{1,16}")
_NUMBERED = re.compile(r"([A-Z\-]*)([0-9]{1,12})")  # FZ0007: a prefix and a number
# The counter's own state on a staff row (hall_app/sync/pull.py COUNTER_STATE).
_COUNTER_STATE = ("failed_logins", "locked_until", "last_login_at")


@dataclass(frozen=True)
class StaffView:
    id: uuid.UUID
    username: str
    full_name: str
    employee_no: str
    role: Role
    active: bool
    locked: bool  # locked now, at this counter
    locked_until: datetime | None
    failed_logins: int
    default_counter_id: uuid.UUID | None
    default_counter_name: str | None
    must_change_password: bool
    last_login_at: datetime | None


@dataclass(frozen=True)
class NewStaff:
    username: str
    full_name: str
    employee_no: str
    role: Role
    default_counter_id: uuid.UUID | None
    password: str
    repeat: str


@dataclass(frozen=True)
class CounterChoice:
    id: uuid.UUID
    code: str
    name: str


def check_password(
    password: str,
    repeat: str,
    username: str,
    field: str = PASSWORD_FIELD,
    repeat_field: str = REPEAT_FIELD,
) -> None:
    """The password rule: at least 8 characters, letters and digits, not the user name; typed
    the same twice."""
    check_value(field, MAX_PASSWORD, password)
    if not password:
        raise ValidationError("请输入密码", field)
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"密码至少 {MIN_PASSWORD} 位，现在 {len(password)} 位", field)
    if password != password.strip():
        raise ValidationError("密码首尾不能有空格", field)
    if not any(c.isascii() and c.isalpha() for c in password) or not any(
        c.isdigit() for c in password
    ):
        raise ValidationError("密码须同时包含字母和数字", field)
    if username and username.lower() in password.lower():
        raise ValidationError("密码不能包含用户名", field)
    if password != repeat:
        raise ValidationError("两次输入的密码不一致，请重新输入", repeat_field)


Audited = tuple[dict[str, Any], dict[str, Any]]  # before, after
Apply = Callable[[Session, Staff, datetime], Audited]


class StaffService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        rules: BusinessRules,
        hasher: PasswordHasher | None = None,
        link: CentralLink | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._rules = rules
        self._hasher = hasher or default_hasher()
        self._link = link if link is not None and link.configured else None

    # -- reads ------------------------------------------------------------------------------
    def list_staff(self, actor: Actor) -> list[StaffView]:
        """The hall's staff, active first, by employee number."""
        actor.require(Permission.STAFF_UNLOCK)
        now = self._clock()
        with self._db.read() as session:
            rows = session.scalars(
                select(Staff)
                .where(Staff.hall_id == actor.hall_id)
                .order_by(Staff.active.desc(), Staff.employee_no)
            ).all()
            names = self._counter_names(session, actor.hall_id)
            return [self._view(s, names, now) for s in rows]

    def get(self, actor: Actor, staff_id: uuid.UUID) -> StaffView:
        actor.require(Permission.STAFF_UNLOCK)
        with self._db.read() as session:
            staff = session.get(Staff, staff_id)
            if staff is None or staff.hall_id != actor.hall_id:
                raise NotFound("本营业厅没有这名员工", FIELD)
            return self._view(staff, self._counter_names(session, actor.hall_id), self._clock())

    def next_employee_no(self, actor: Actor) -> str:
        """A free employee number to suggest for a new account: the hall's prefix (e.g. FZ)
        and the number after its highest (FZ0008 → FZ0009), none taken in any hall."""
        actor.require(Permission.STAFF_ADMIN)
        with self._db.read() as session:
            taken = set(session.scalars(select(Staff.employee_no)))
            own = session.scalars(
                select(Staff.employee_no).where(Staff.hall_id == actor.hall_id)
            ).all()
        numbered = [m for no in own if (m := _NUMBERED.fullmatch(no.upper()))]
        if not numbered:
            prefix, width, last = "", 4, 0
        else:
            top = max(numbered, key=lambda m: (m.group(1), int(m.group(2))))
            prefix, width, last = top.group(1), len(top.group(2)), int(top.group(2))
        n = last + 1
        while f"{prefix}{n:0{width}d}" in taken:
            n += 1
        return f"{prefix}{n:0{width}d}"

    def counters(self, actor: Actor) -> list[CounterChoice]:
        """The hall's open counters, to choose a default counter from."""
        actor.require(Permission.STAFF_UNLOCK)
        with self._db.read() as session:
            return [
                CounterChoice(c.id, c.code, c.name)
                for c in session.scalars(
                    select(Counter)
                    .where(Counter.hall_id == actor.hall_id, Counter.active.is_(True))
                    .order_by(Counter.code)
                )
            ]

    # -- supervisors: unlock and reset -------------------------------------------------------
    def unlock(self, actor: Actor, staff_id: uuid.UUID) -> StaffView:
        """Lift a lockout (and forget the failed attempts) before it runs out."""
        actor.require(Permission.STAFF_UNLOCK)

        def apply(session: Session, staff: Staff, now: datetime) -> Audited:
            self._may_act_on(session, actor, staff, "解锁")
            before = {
                "failed_logins": staff.failed_logins,
                "locked_until": staff.locked_until.isoformat() if staff.locked_until else None,
            }
            return before, {"failed_logins": 0, "locked_until": None}

        return self._change(
            actor, staff_id, "staff.unlock", apply, unlocks=True, permission=Permission.STAFF_UNLOCK
        )

    def reset_password(self, actor: Actor, staff_id: uuid.UUID, new: str, repeat: str) -> StaffView:
        """A new password, typed twice, to be changed by its owner at the next login. Also
        lifts a lockout. A supervisor resets clerks' and supervisors', never an admin's; no
        one resets their own (that is changing it, with the old one)."""
        actor.require(Permission.STAFF_UNLOCK)
        if staff_id == actor.staff_id:
            raise PermissionDenied("不能重置自己的密码，请用“修改密码”", FIELD)

        def apply(session: Session, staff: Staff, now: datetime) -> Audited:
            self._may_act_on(session, actor, staff, "重置密码")
            check_password(new, repeat, staff.username)
            staff.password_hash = self._hasher.hash(new)
            before = {"must_change_password": staff.must_change_password}
            staff.must_change_password = True
            return before, {"password": "（已重置）", "must_change_password": True}

        return self._change(
            actor,
            staff_id,
            "staff.reset_password",
            apply,
            unlocks=True,
            permission=Permission.STAFF_UNLOCK,
        )

    # -- admins -------------------------------------------------------------------------------
    def create(self, actor: Actor, new: NewStaff) -> StaffView:
        """A new account in the actor's hall; its initial password must be changed at the
        first login."""
        actor.require(Permission.STAFF_ADMIN)
        username = new.username.strip()
        full_name = new.full_name.strip()
        employee_no = new.employee_no.strip().upper()
        check_value("用户名", 32, username)
        if not _USERNAME.fullmatch(username):
            raise ValidationError("用户名为 3–32 位字母、数字、下划线、点或减号", "用户名")
        check_value("姓名", 32, full_name)
        if len(full_name) < 2:
            raise ValidationError("请输入员工姓名（至少 2 个字）", "姓名")
        check_value("工号", 16, employee_no)
        if not _EMPLOYEE_NO.fullmatch(employee_no):
            raise ValidationError("工号为 1–16 位字母、数字或减号", "工号")
        if not isinstance(new.role, Role):
            raise ValidationError("请选择角色", "角色")
        check_password(new.password, new.repeat, username, "初始密码", "确认初始密码")
        staff_id = uuid.uuid4()
        password_hash = self._hasher.hash(new.password)
        after = {
            "username": username,
            "full_name": full_name,
            "employee_no": employee_no,
            "role": new.role.value,
            "default_counter_id": str(new.default_counter_id) if new.default_counter_id else None,
            "must_change_password": True,
        }

        def insert(session: Session, now: datetime) -> None:
            self._still_allowed(session, actor, Permission.STAFF_ADMIN)
            if session.scalar(
                select(Staff.id).where(func.lower(Staff.username) == username.lower())
            ):
                raise ValidationError(f"用户名 {username} 已被使用", "用户名")
            if session.scalar(select(Staff.id).where(Staff.employee_no == employee_no)):
                raise ValidationError(f"工号 {employee_no} 已被使用", "工号")
            if new.default_counter_id is not None:
                self._require_counter(session, actor, new.default_counter_id)
            session.add(
                Staff(
                    id=staff_id,
                    hall_id=actor.hall_id,
                    username=username,
                    full_name=full_name,
                    employee_no=employee_no,
                    role=new.role,
                    password_hash=password_hash,
                    active=True,
                    failed_logins=0,
                    default_counter_id=new.default_counter_id,
                    must_change_password=True,
                    created_at=now,
                    updated_at=now,
                )
            )
            session.flush()

        now = self._clock()
        if self._link is not None:

            def central(session: Session) -> Row:
                insert(session, now)
                return _row(session, staff_id)

            row = self._run(central)
            with self._db.unit_of_work() as session:
                mirror(session, [(STAFF, row)])
                self._audit(session, actor, "staff.create", staff_id, None, after, now)
                return self._view_of(session, actor, staff_id, now)
        with self._db.unit_of_work() as session:
            insert(session, now)
            self._audit(session, actor, "staff.create", staff_id, None, after, now)
            return self._view_of(session, actor, staff_id, now)

    def deactivate(self, actor: Actor, staff_id: uuid.UUID) -> StaffView:
        """The account can no longer log in (its history stays). Never oneself, never the
        hall's last active admin."""
        actor.require(Permission.STAFF_ADMIN)
        if staff_id == actor.staff_id:
            raise PermissionDenied("不能停用自己的账号", FIELD)

        def apply(session: Session, staff: Staff, now: datetime) -> Audited:
            self._in_hall(actor, staff)
            if not staff.active:
                raise ValidationError(f"{staff.full_name} 的账号已停用", FIELD)
            if staff.role is Role.ADMIN:
                self._keep_an_admin(session, actor, staff)
            staff.active = False
            return {"active": True}, {"active": False}

        return self._change(
            actor, staff_id, "staff.deactivate", apply, permission=Permission.STAFF_ADMIN
        )

    def reactivate(self, actor: Actor, staff_id: uuid.UUID) -> StaffView:
        actor.require(Permission.STAFF_ADMIN)

        def apply(session: Session, staff: Staff, now: datetime) -> Audited:
            self._in_hall(actor, staff)
            if staff.active:
                raise ValidationError(f"{staff.full_name} 的账号已在使用中", FIELD)
            staff.active = True
            return {"active": False}, {"active": True}

        return self._change(
            actor, staff_id, "staff.reactivate", apply, permission=Permission.STAFF_ADMIN
        )

    def set_role(self, actor: Actor, staff_id: uuid.UUID, role: Role) -> StaffView:
        """Never one's own role; never the hall's last active admin demoted."""
        actor.require(Permission.STAFF_ADMIN)
        if staff_id == actor.staff_id:
            raise PermissionDenied("不能修改自己的角色", "角色")
        if not isinstance(role, Role):
            raise ValidationError("请选择角色", "角色")

        def apply(session: Session, staff: Staff, now: datetime) -> Audited:
            self._in_hall(actor, staff)
            if staff.role is role:
                raise ValidationError(f"{staff.full_name} 已是{role.label}", "角色")
            if staff.role is Role.ADMIN and staff.active:
                self._keep_an_admin(session, actor, staff)
            before = {"role": staff.role.value}
            staff.role = role
            return before, {"role": role.value}

        return self._change(
            actor, staff_id, "staff.set_role", apply, permission=Permission.STAFF_ADMIN
        )

    def set_default_counter(
        self, actor: Actor, staff_id: uuid.UUID, counter_id: uuid.UUID | None
    ) -> StaffView:
        """The window a login uses when the computer names none (None: no default)."""
        actor.require(Permission.STAFF_ADMIN)

        def apply(session: Session, staff: Staff, now: datetime) -> Audited:
            self._in_hall(actor, staff)
            if counter_id is not None:
                self._require_counter(session, actor, counter_id)
            if staff.default_counter_id == counter_id:
                raise ValidationError("默认窗口未改变", "默认窗口")
            before = {"default_counter_id": _str(staff.default_counter_id)}
            staff.default_counter_id = counter_id
            return before, {"default_counter_id": _str(counter_id)}

        return self._change(
            actor, staff_id, "staff.set_default_counter", apply, permission=Permission.STAFF_ADMIN
        )

    # -- everyone -----------------------------------------------------------------------------
    def change_own_password(self, actor: Actor, old: str, new: str, repeat: str) -> Actor:
        """The signed-in staff member's own password: the old one, then the new one twice.
        Returns the actor, no longer asked to change it."""
        if actor.is_system:
            raise PermissionDenied("后台账号没有密码", FIELD)
        if not old:
            raise ValidationError("请输入原密码", "原密码")
        check_value("原密码", MAX_PASSWORD, old)
        check_password(new, repeat, actor.username)
        if new == old:
            raise ValidationError("新密码不能与原密码相同", PASSWORD_FIELD)
        password_hash = self._hasher.hash(new)

        def apply(session: Session, staff: Staff, now: datetime) -> Audited:
            if not staff.active:
                raise PermissionDenied("该账号已停用", FIELD)
            if not self._verify(staff.password_hash, old):
                raise ValidationError("原密码不正确", "原密码")
            before = {"must_change_password": staff.must_change_password}
            staff.password_hash = password_hash
            staff.must_change_password = False
            return before, {"password": "（已修改）", "must_change_password": False}

        self._change(actor, actor.staff_id, "staff.change_own_password", apply, permission=None)
        return dataclasses.replace(actor, must_change_password=False)

    # -- the change, centrally or here --------------------------------------------------------
    def _change(
        self,
        actor: Actor,
        staff_id: uuid.UUID,
        action: str,
        apply: Apply,
        *,
        permission: Permission | None,
        unlocks: bool = False,
    ) -> StaffView:
        now = self._clock()

        def change(session: Session, central: bool) -> Audited:
            # One staff change of the hall at a time: two admins demoting or deactivating
            # each other at once would each count the other still an admin (READ COMMITTED)
            # and leave none. NO KEY UPDATE: rows that refer to the hall are still written.
            session.execute(
                select(Hall.id).where(Hall.id == actor.hall_id).with_for_update(key_share=True)
            )
            self._still_allowed(session, actor, permission)
            staff = session.get(Staff, staff_id, with_for_update=True)
            if staff is None or staff.hall_id != actor.hall_id:
                raise NotFound("本营业厅没有这名员工", FIELD)
            before, after = apply(session, staff, now)
            if unlocks:
                staff.failed_logins = 0
                # Centrally: the moment of the unlock by the central clock, for the pulls.
                staff.locked_until = func.now() if central else None
            # Each change moves the row's stamp forward, even within one clock tick.
            staff.updated_at = max(now, staff.updated_at + timedelta(microseconds=1))
            session.flush()
            return before, after

        if self._link is not None:

            def central(session: Session) -> tuple[Row, dict[str, Any], dict[str, Any]]:
                before, after = change(session, True)
                return _row(session, staff_id), before, after

            row, before, after = self._run(central)
            with self._db.unit_of_work() as session:
                local = (
                    session.execute(
                        select(*(STAFF.c[c] for c in _COUNTER_STATE)).where(STAFF.c.id == staff_id)
                    )
                    .mappings()
                    .first()
                )
                if local is not None:  # the counter's own sign-in state stays its own
                    row.update(local)
                if unlocks:
                    row.update(failed_logins=0, locked_until=None)
                mirror(session, [(STAFF, row)])
                self._audit(session, actor, action, staff_id, before, after, now)
                return self._view_of(session, actor, staff_id, now)
        with self._db.unit_of_work() as session:
            before, after = change(session, False)
            self._audit(session, actor, action, staff_id, before, after, now)
            return self._view_of(session, actor, staff_id, now)

    def _run(self, work: Callable[[Session], Any]) -> Any:
        assert self._link is not None
        try:
            return self._link.run(work)
        except Offline:
            raise StorageError(OFFLINE, FIELD) from None

    def _audit(
        self,
        session: Session,
        actor: Actor,
        action: str,
        staff_id: uuid.UUID,
        before: dict[str, Any] | None,
        after: dict[str, Any],
        now: datetime,
    ) -> None:
        audit.record(
            session,
            at=now,
            actor=actor,
            action=action,
            entity="staff",
            entity_id=staff_id,
            before=before,
            after=after,
        )

    # -- rules ---------------------------------------------------------------------------------
    @staticmethod
    def _in_hall(actor: Actor, staff: Staff) -> None:
        if staff.hall_id != actor.hall_id:
            raise NotFound("本营业厅没有这名员工", FIELD)

    def _may_act_on(self, session: Session, actor: Actor, staff: Staff, doing: str) -> None:
        """A supervisor unlocks and resets clerks and supervisors; an admin anyone else."""
        self._in_hall(actor, staff)
        if staff.id == actor.staff_id:
            raise PermissionDenied(f"不能{doing}自己的账号", FIELD)
        if staff.role is Role.ADMIN and not actor.can(Permission.STAFF_ADMIN):
            raise PermissionDenied(
                f"{staff.full_name} 是系统管理员，只有系统管理员可以{doing}", FIELD
            )
        if not staff.active:
            raise ValidationError(f"{staff.full_name} 的账号已停用，不能{doing}", FIELD)

    @staticmethod
    def _still_allowed(session: Session, actor: Actor, permission: Permission | None) -> None:
        """The acting account, as it is now: an account deactivated or demoted since it
        logged in acts no more (a script's system actor has no account)."""
        if actor.is_system:
            return
        row = session.execute(
            select(Staff.active, Staff.role).where(Staff.id == actor.staff_id)
        ).one_or_none()
        if row is None or not row.active:
            raise PermissionDenied("您的账号已停用，请联系系统管理员", FIELD)
        if permission is not None and permission not in ROLE_PERMISSIONS[row.role]:
            raise PermissionDenied("您的角色已变更，请重新登录", FIELD)

    @staticmethod
    def _keep_an_admin(session: Session, actor: Actor, staff: Staff) -> None:
        others = session.scalar(
            select(func.count())
            .select_from(Staff)
            .where(
                Staff.hall_id == actor.hall_id,
                Staff.role == Role.ADMIN,
                Staff.active.is_(True),
                Staff.id != staff.id,
            )
        )
        if not others:
            raise ValidationError(
                f"{staff.full_name} 是本营业厅最后一位在用的系统管理员，不能停用或降级", FIELD
            )

    @staticmethod
    def _require_counter(session: Session, actor: Actor, counter_id: uuid.UUID) -> None:
        counter = session.get(Counter, counter_id)
        if counter is None or counter.hall_id != actor.hall_id or not counter.active:
            raise ValidationError("请选择本营业厅在用的窗口", "默认窗口")

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    # -- views ---------------------------------------------------------------------------------
    @staticmethod
    def _counter_names(session: Session, hall_id: uuid.UUID) -> dict[uuid.UUID, str]:
        return dict(
            session.execute(
                select(Counter.id, Counter.name).where(Counter.hall_id == hall_id)
            ).all()
        )

    def _view_of(
        self, session: Session, actor: Actor, staff_id: uuid.UUID, now: datetime
    ) -> StaffView:
        session.expire_all()
        staff = session.get_one(Staff, staff_id)
        return self._view(staff, self._counter_names(session, actor.hall_id), now)

    @staticmethod
    def _view(staff: Staff, counters: dict[uuid.UUID, str], now: datetime) -> StaffView:
        locked = staff.locked_until is not None and staff.locked_until > now
        return StaffView(
            id=staff.id,
            username=staff.username,
            full_name=staff.full_name,
            employee_no=staff.employee_no,
            role=staff.role,
            active=staff.active,
            locked=locked,
            locked_until=staff.locked_until if locked else None,
            failed_logins=staff.failed_logins,
            default_counter_id=staff.default_counter_id,
            default_counter_name=counters.get(staff.default_counter_id)
            if staff.default_counter_id
            else None,
            must_change_password=staff.must_change_password,
            last_login_at=staff.last_login_at,
        )


def _row(session: Session, staff_id: uuid.UUID) -> Row:
    return dict(session.execute(select(STAFF).where(STAFF.c.id == staff_id)).mappings().one())


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None
