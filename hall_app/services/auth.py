"""Logging in: argon2 password check, lockout after repeated failures, choice of counter."""

from __future__ import annotations

import hashlib
import secrets
import threading
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
from hall_app.db.text_limits import check_value
from hall_app.domain.errors import AuthenticationError, PermissionDenied, ValidationError
from hall_app.domain.permissions import ROLE_PERMISSIONS, Permission
from hall_app.services import audit
from hall_app.services.actor import Actor

MAX_USERNAME = 32
WRONG_CREDENTIALS = "用户名或密码错误"
LOGIN_FIELD = "密码"


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
        # Unknown user names count failures and lock like real accounts (in memory), so the
        # messages never tell which user names exist.
        self._unknown: dict[str, tuple[int, datetime | None]] = {}
        self._unknown_lock = threading.Lock()
        self._dummy_hash: str | None = None

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
        check_value("用户名", None, username)  # a lone surrogate cannot be encoded or looked up
        check_value("密码", None, password)
        with self._db.unit_of_work() as session:
            outcome = self._check(session, username, password)
        if outcome.error is not None:
            raise outcome.error
        assert outcome.actor is not None
        return outcome.actor

    def _check(
        self, session: Session, username: str, password: str, action: str = "auth.login"
    ) -> _Outcome:
        now = self._clock()
        # The row lock makes concurrent attempts (two counters) count every failure.
        staff = session.scalars(
            select(Staff).where(Staff.username == username).with_for_update()
        ).one_or_none()
        if staff is None or not staff.active:
            # What was typed is not stored: it may be a password typed into the wrong field.
            digest = hashlib.sha256(username.encode()).hexdigest()[:12]
            self._verify(self._dummy(), password)  # as long as a real check takes
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
            return _Outcome(None, self._unknown_failure(digest, now))
        if staff.locked_until is not None and staff.locked_until > now:
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
            return _Outcome(None, self._locked_error(staff.locked_until))
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
            must_change_password=staff.must_change_password,
        )
        audit.record(
            session,
            at=now,
            actor=actor,
            action=action,
            entity="staff",
            entity_id=staff.id,
            before=before,
            after={"failed_logins": 0},
        )
        return _Outcome(actor, None)

    # -- failure messages: the same text for a known and an unknown user name -------------------
    def _failure_error(self, failures: int) -> AuthenticationError:
        """After ``failures`` failures in a row (the lock not reached yet)."""
        if self._rules.login_max_failures - failures == 1:
            return AuthenticationError(
                f"{WRONG_CREDENTIALS}，再错 1 次将锁定 {self._rules.login_lock_minutes} 分钟",
                LOGIN_FIELD,
            )
        return AuthenticationError(WRONG_CREDENTIALS, LOGIN_FIELD)

    def _just_locked_error(self) -> AuthenticationError:
        return AuthenticationError(
            f"{WRONG_CREDENTIALS}，已连续错误 {self._rules.login_max_failures} 次，"
            f"锁定 {self._rules.login_lock_minutes} 分钟，请稍后再试或联系值班主管",
            LOGIN_FIELD,
        )

    def _locked_error(self, until: datetime) -> AuthenticationError:
        return AuthenticationError(
            f"连续错误 {self._rules.login_max_failures} 次，已锁定至 "
            f"{local(until).strftime('%H:%M')}，请稍后再试或联系值班主管",
            LOGIN_FIELD,
        )

    def _unknown_failure(self, digest: str, now: datetime) -> AuthenticationError:
        """Count a failure for a user name that does not exist, exactly as for one that does."""
        with self._unknown_lock:
            failures, locked_until = self._unknown.get(digest, (0, None))
            if locked_until is not None and locked_until > now:
                return self._locked_error(locked_until)
            failures += 1
            if failures >= self._rules.login_max_failures:
                until = now + timedelta(minutes=self._rules.login_lock_minutes)
                self._unknown[digest] = (0, until)
                return self._just_locked_error()
            if len(self._unknown) > 10_000:  # never grows without bound
                self._unknown.clear()
            self._unknown[digest] = (failures, None)
            return self._failure_error(failures)

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_hex(16))
        return self._dummy_hash

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
            error = self._just_locked_error()
            action = "auth.locked"
        else:
            error = self._failure_error(failures)
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
        if approver.must_change_password:  # a reset password is known to whoever reset it
            raise PermissionDenied(
                f"{approver.full_name} 的密码已被重置，须先登录并修改密码后才能授权", "授权"
            )
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

    # -- the idle lock: the counter locked itself, the clerk unlocks or another takes over -------
    def lock_session(self, actor: Actor) -> None:
        """The counter locked itself after the idle time (or the clerk locked it): recorded.
        Nothing else changes; the session stays the clerk's until unlocked or taken over."""
        with self._db.unit_of_work() as session:
            audit.record(
                session,
                at=self._clock(),
                actor=actor,
                action="auth.session_locked",
                entity="staff",
                entity_id=actor.staff_id,
                after={"counter": actor.counter_name},
            )

    def unlock_session(self, actor: Actor, password: str) -> Actor:
        """The locked staff member's own password unlocks. A wrong one counts as a failed
        login (the same lockout); an account deactivated meanwhile cannot unlock. Returns the
        staff member as the staff record has them now."""
        _check_password_typed(password)
        with self._db.unit_of_work() as session:
            staff = session.get(Staff, actor.staff_id)
            if staff is None or not staff.active:
                audit.record(
                    session,
                    at=self._clock(),
                    actor=None,
                    actor_name=actor.username,
                    staff_id=actor.staff_id if staff is not None else None,
                    action="auth.unlock_refused_inactive",
                    entity="staff",
                    entity_id=actor.staff_id if staff is not None else None,
                )
                outcome = _Outcome(None, AuthenticationError(INACTIVE_UNLOCK, LOGIN_FIELD))
            else:
                outcome = self._check(
                    session, staff.username, password, action="auth.session_unlocked"
                )
        if outcome.error is not None:
            raise outcome.error
        assert outcome.actor is not None
        return outcome.actor

    def switch_session(self, locked: Actor, username: str, password: str) -> Actor:
        """Another staff member logs in at a locked counter: checked like a login, and the
        locked staff member's session ends in the same transaction (their unsaved work is
        discarded by the screen). The locked one's own name and password simply unlock."""
        username = username.strip()
        if not username:
            raise ValidationError("请输入用户名", "用户名")
        if len(username) > MAX_USERNAME:
            raise ValidationError(f"用户名最长 {MAX_USERNAME} 个字符，请检查是否输入错位", "用户名")
        check_value("用户名", None, username)
        _check_password_typed(password)
        same = username == locked.username
        with self._db.unit_of_work() as session:
            action = "auth.session_unlocked" if same else "auth.login"
            outcome = self._check(session, username, password, action=action)
            if outcome.actor is not None and outcome.actor.staff_id != locked.staff_id:
                audit.record(
                    session,
                    at=self._clock(),
                    actor=locked,
                    action="auth.logout",
                    entity="staff",
                    entity_id=locked.staff_id,
                    after={"reason": "switched", "by": outcome.actor.username},
                )
        if outcome.error is not None:
            raise outcome.error
        assert outcome.actor is not None
        return outcome.actor


INACTIVE_UNLOCK = "此账号已停用，不能解锁，请由其他员工登录"


def _check_password_typed(password: str) -> None:
    if not password:
        raise ValidationError("请输入密码", LOGIN_FIELD)
    check_value(LOGIN_FIELD, None, password)
