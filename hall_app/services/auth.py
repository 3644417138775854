"""Logging in: argon2 password check, lockout after repeated failures, choice of counter."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hall_app.clock import Clock, local
from hall_app.config import BusinessRules
from hall_app.db.engine import Database
from hall_app.db.models import Counter, Hall, Staff
from hall_app.domain.errors import AuthenticationError, PermissionDenied, ValidationError
from hall_app.domain.permissions import ROLE_PERMISSIONS, Permission
from hall_app.services import audit
from hall_app.services.actor import Actor

MAX_USERNAME = 32


def default_hasher() -> PasswordHasher:
    """argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane): strong, and a
    login takes tens of milliseconds instead of a quarter of a second with argon2-cffi's
    heavier default. Hashes made with other parameters are upgraded at the next login."""
    return PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    return (hasher or default_hasher()).hash(password)


@dataclass(frozen=True)
class _Outcome:
    actor: Actor | None
    error: AuthenticationError | None


class AuthService:
    def __init__(
        self,
        db: Database,
        rules: BusinessRules,
        clock: Clock,
        hasher: PasswordHasher | None = None,
        counter_code: str | None = None,
    ) -> None:
        self._db = db
        self._rules = rules
        self._clock = clock
        self._hasher = hasher or default_hasher()
        self._counter_code = counter_code

    def log_in(self, username: str, password: str) -> Actor:
        """Check the credentials and return the acting staff member.

        Failures are counted and committed before the error is raised, so the lockout holds.
        """
        username = username.strip()
        if not username:
            raise ValidationError("请输入用户名", "用户名")
        if len(username) > MAX_USERNAME:
            raise ValidationError(f"用户名最长 {MAX_USERNAME} 个字符，请检查是否输入错位", "用户名")
        if not password:
            raise ValidationError("请输入密码", "密码")
        with self._db.unit_of_work() as session:
            outcome = self._check(session, username, password)
        if outcome.error is not None:
            raise outcome.error
        assert outcome.actor is not None
        return outcome.actor

    def _check(self, session: Session, username: str, password: str) -> _Outcome:
        now = self._clock()
        # The row lock makes concurrent attempts (two counters) count every failure.
        staff = session.scalars(
            select(Staff).where(Staff.username == username).with_for_update()
        ).one_or_none()
        if staff is None or not staff.active:
            # What was typed is not stored: it may be a password typed into the wrong field.
            digest = hashlib.sha256(username.encode()).hexdigest()[:12]
            audit.record(
                session,
                at=now,
                actor=None,
                actor_name=f"unknown:{digest}",
                action="auth.login_failed",
                entity="staff",
                entity_id=None,
                after={"reason": "unknown_or_inactive"},
            )
            return _Outcome(None, AuthenticationError("用户名或密码错误", "密码"))
        if staff.locked_until is not None and staff.locked_until > now:
            until = local(staff.locked_until).strftime("%H:%M")
            audit.record(
                session,
                at=now,
                actor=None,
                actor_name=username,
                staff_id=staff.id,
                action="auth.login_refused_locked",
                entity="staff",
                entity_id=staff.id,
            )
            return _Outcome(
                None,
                AuthenticationError(
                    f"密码连续错误 {self._rules.login_max_failures} 次，账号已锁定至 {until}，"
                    "请稍后再试或联系值班主管",
                    "用户名",
                ),
            )
        if not self._verify(staff.password_hash, password):
            return _Outcome(None, self._count_failure(session, staff, now))

        before = {"failed_logins": staff.failed_logins}
        staff.failed_logins = 0
        staff.locked_until = None
        staff.last_login_at = now
        if self._hasher.check_needs_rehash(staff.password_hash):
            staff.password_hash = self._hasher.hash(password)
        hall = session.get_one(Hall, staff.hall_id)
        counter = self._counter_for(session, staff)
        actor = Actor(
            staff_id=staff.id,
            username=staff.username,
            full_name=staff.full_name,
            employee_no=staff.employee_no,
            role=staff.role,
            hall_id=hall.id,
            hall_name=hall.name,
            counter_id=counter.id if counter else None,
            counter_name=counter.name if counter else "未分配窗口",
            permissions=ROLE_PERMISSIONS[staff.role],
        )
        audit.record(
            session,
            at=now,
            actor=actor,
            action="auth.login",
            entity="staff",
            entity_id=staff.id,
            before=before,
            after={"failed_logins": 0},
        )
        return _Outcome(actor, None)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _count_failure(self, session: Session, staff: Staff, now: datetime) -> AuthenticationError:
        before = {"failed_logins": staff.failed_logins}
        failures = session.execute(
            update(Staff)
            .where(Staff.id == staff.id)
            .values(failed_logins=Staff.failed_logins + 1)
            .returning(Staff.failed_logins)
        ).scalar_one()
        session.refresh(staff)
        remaining = self._rules.login_max_failures - failures
        if remaining <= 0:
            staff.locked_until = now + timedelta(minutes=self._rules.login_lock_minutes)
            staff.failed_logins = 0
            error = AuthenticationError(
                f"密码错误。已连续错误 {self._rules.login_max_failures} 次，账号锁定 "
                f"{self._rules.login_lock_minutes} 分钟",
                "密码",
            )
            action = "auth.locked"
        else:
            error = AuthenticationError(f"密码错误，还可以再试 {remaining} 次", "密码")
            action = "auth.login_failed"
        audit.record(
            session,
            at=now,
            actor=None,
            actor_name=staff.username,
            staff_id=staff.id,
            action=action,
            entity="staff",
            entity_id=staff.id,
            before=before,
            after={
                "failed_logins": staff.failed_logins,
                "locked_until": staff.locked_until.isoformat() if staff.locked_until else None,
            },
        )
        return error

    def _counter_for(self, session: Session, staff: Staff) -> Counter | None:
        if self._counter_code:
            counter = session.scalars(
                select(Counter).where(
                    Counter.hall_id == staff.hall_id, Counter.code == self._counter_code
                )
            ).one_or_none()
            if counter is not None:
                return counter
        if staff.default_counter_id is not None:
            return session.get(Counter, staff.default_counter_id)
        return None

    def authorize(self, username: str, password: str, permission: Permission) -> Actor:
        """A supervisor approves at this counter by entering their own credentials. Failures
        count towards their lockout like any login."""
        approver = self.log_in(username, password)
        if not approver.can(permission):
            raise PermissionDenied(
                f"{approver.full_name}（{approver.role.label}）无权授权此业务", "授权"
            )
        return approver

    def log_out(self, actor: Actor) -> None:
        """Record that the staff member left the counter."""
        with self._db.unit_of_work() as session:
            audit.record(
                session,
                at=self._clock(),
                actor=actor,
                action="auth.logout",
                entity="staff",
                entity_id=actor.staff_id,
            )
