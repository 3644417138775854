"""The idle lock's service side: locking, unlocking and taking over at a locked counter are
audited; a wrong password at the lock screen counts like a failed login."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from hall_app.app import HallApp
from hall_app.db.models import AuditEntry, Staff
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.errors import AuthenticationError, ValidationError
from hall_app.services.actor import Actor
from tests.conftest import FakeClock


def _actions(hall: HallApp, *names: str) -> list[tuple[str, str]]:
    """The audit entries of these staff members from the test's start, in order."""
    with hall.db.read() as s:
        rows = s.execute(
            select(AuditEntry.actor_name, AuditEntry.action)
            .where(AuditEntry.actor_name.in_(names), AuditEntry.at >= START)
            .order_by(AuditEntry.at)
        ).all()
    return [(name, action) for name, action in rows]


START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # the fake clock's start (tests/conftest.py)


def later(clock: FakeClock) -> None:
    """The next step a second later, so the audit entries' order is certain."""
    clock.now += timedelta(seconds=1)


def test_lock_then_unlock_with_the_own_password_is_audited(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    later(clock)
    hall.auth.lock_session(clerk)
    clock.now += timedelta(minutes=1)
    again = hall.auth.unlock_session(clerk, DEMO_PASSWORD)
    assert again.staff_id == clerk.staff_id
    assert _actions(hall, "clerk1") == [
        ("clerk1", "auth.login"),
        ("clerk1", "auth.session_locked"),
        ("clerk1", "auth.session_unlocked"),
    ]
    with hall.db.read() as s:
        locked = s.execute(
            select(AuditEntry.counter_id, AuditEntry.staff_id).where(
                AuditEntry.action == "auth.session_locked"
            )
        ).one()
    assert tuple(locked) == (clerk.counter_id, clerk.staff_id)


def test_wrong_passwords_at_the_lock_count_towards_the_lockout(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    hall.auth.lock_session(clerk)
    texts = []
    for _ in range(5):
        with pytest.raises(AuthenticationError) as err:
            hall.auth.unlock_session(clerk, "wrong")
        texts.append(err.value.text)
    assert texts[0] == "密码：用户名或密码错误"
    assert "锁定 15 分钟" in texts[4]
    # locked out: even the right password is refused now, at the lock and at the login
    with pytest.raises(AuthenticationError, match="已锁定至"):
        hall.auth.unlock_session(clerk, DEMO_PASSWORD)
    with pytest.raises(AuthenticationError, match="已锁定至"):
        hall.auth.log_in("clerk1", DEMO_PASSWORD)
    actions = [a for _, a in _actions(hall, "clerk1")]
    assert actions.count("auth.login_failed") == 4 and "auth.locked" in actions


def test_an_empty_password_is_named(hall: HallApp, clerk: Actor) -> None:
    with pytest.raises(ValidationError) as err:
        hall.auth.unlock_session(clerk, "")
    assert err.value.field == "密码"


def test_a_deactivated_clerk_cannot_unlock(hall: HallApp, clerk: Actor) -> None:
    hall.auth.lock_session(clerk)
    with hall.db.unit_of_work() as s:
        s.execute(update(Staff).where(Staff.id == clerk.staff_id).values(active=False))
    with pytest.raises(AuthenticationError, match="已停用"):
        hall.auth.unlock_session(clerk, DEMO_PASSWORD)
    assert ("clerk1", "auth.unlock_refused_inactive") in _actions(hall, "clerk1")


def test_another_staff_member_takes_over_and_the_first_is_logged_out(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    later(clock)
    hall.auth.lock_session(clerk)
    later(clock)
    other = hall.auth.switch_session(clerk, "clerk2", DEMO_PASSWORD)
    assert other.username == "clerk2"
    with hall.db.read() as s:
        after = s.scalars(
            select(AuditEntry.after).where(
                AuditEntry.action == "auth.logout", AuditEntry.actor_name == "clerk1"
            )
        ).one()
    assert after == {"reason": "switched", "by": "clerk2"}
    assert ("clerk2", "auth.login") in _actions(hall, "clerk2")


def test_a_failed_take_over_leaves_the_first_signed_in(hall: HallApp, clerk: Actor) -> None:
    with pytest.raises(AuthenticationError):
        hall.auth.switch_session(clerk, "clerk2", "wrong")
    with pytest.raises(AuthenticationError):
        hall.auth.switch_session(clerk, "nobody", "wrong")
    actions = _actions(hall, "clerk1", "clerk2")
    assert ("clerk1", "auth.logout") not in actions
    assert ("clerk2", "auth.login_failed") in actions


def test_the_locked_ones_own_name_at_the_take_over_unlocks(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    later(clock)
    again = hall.auth.switch_session(clerk, "clerk1", DEMO_PASSWORD)
    assert again.staff_id == clerk.staff_id
    actions = [a for _, a in _actions(hall, "clerk1")]
    assert actions == ["auth.login", "auth.session_unlocked"]
