"""On a synced hall a staff change is made on the central database and reaches every other
counter with its pull: a reset password (to be changed at the next login), a new account, an
unlock of a lock that counter set; offline, the change is refused and nothing is saved."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from hall_app.app import HallApp, build_app
from hall_app.cli import main as cli_main
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.models import AuditEntry, Staff
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import Role
from hall_app.domain.errors import AuthenticationError, StorageError
from hall_app.services.staff import NewStaff
from hall_app.sync.push import Pusher
from tests.conftest import FakeClock, synced_counter

pytestmark = pytest.mark.postgres


def _counter(template: Path, tmp_path: Path, central: str, clock: FakeClock, code: str) -> HallApp:
    path = tmp_path / f"counter{code}.sqlite3"
    shutil.copyfile(template, path)
    env = {"HALL_CENTRAL_URL": central, "HALL_COUNTER": code}
    return build_app(Settings.load(env=env, db_url=f"sqlite:///{path}"), clock=clock)


def _lock(hall: HallApp, username: str) -> None:
    for i in range(hall.settings.rules.login_max_failures):
        with pytest.raises(AuthenticationError):
            hall.auth.log_in(username, f"wrong{i}")
    with pytest.raises(AuthenticationError, match="已锁定"):
        hall.auth.log_in(username, DEMO_PASSWORD)


def _staff_id(hall: HallApp, username: str) -> uuid.UUID:
    with hall.db.read() as s:
        return s.scalars(select(Staff.id).where(Staff.username == username)).one()


def test_a_change_made_centrally_reaches_the_other_counter(
    pg_url: str, demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    assert cli_main(["--db", "sqlite:///:memory:", "central", "init", "--central", pg_url]) == 0
    desk = synced_counter(demo_template, tmp_path, pg_url, clock)  # window 01: the supervisor
    other = _counter(demo_template, tmp_path, pg_url, clock, "02")  # window 02
    central = make_engine(pg_url)
    try:
        Pusher(desk.db, central, clock).enqueue_all()
        desk.sync.run_round()  # the first load
        other.sync.run_round()
        _lock(other, "clerk2")  # locked at window 02, which the desk knows nothing of
        _lock(other, "clerk1")
        supervisor = desk.auth.log_in("super1", DEMO_PASSWORD)
        admin = desk.auth.log_in("admin1", DEMO_PASSWORD)
        clerk2 = _staff_id(desk, "clerk2")
        view = desk.staff.reset_password(supervisor, clerk2, "Reset2026", "Reset2026")
        assert view.must_change_password
        desk.staff.unlock(supervisor, _staff_id(desk, "clerk1"))
        counter = desk.staff.counters(admin)[1]
        desk.staff.create(
            admin,
            NewStaff(
                "clerk9", "赵新员", "FZ0099", Role.CLERK, counter.id, "start2026a", "start2026a"
            ),
        )
        with central.connect() as conn:  # the change is the central database's
            row = conn.execute(
                select(Staff.must_change_password, Staff.locked_until).where(
                    Staff.username == "clerk2"
                )
            ).one()
            assert row.must_change_password and row.locked_until is not None  # the unlock stamp
            assert conn.execute(select(Staff.id).where(Staff.username == "clerk9")).one()
        # Window 02 still has the old password and its lock until it pulls.
        with pytest.raises(AuthenticationError, match="已锁定"):
            other.auth.log_in("clerk2", "Reset2026")
        other.sync.run_round()
        clerk = other.auth.log_in("clerk2", "Reset2026")  # the reset also lifted the lock
        assert clerk.must_change_password
        assert other.auth.log_in("clerk1", DEMO_PASSWORD).username == "clerk1"  # unlocked
        new = other.auth.log_in("clerk9", "start2026a")
        assert new.must_change_password and new.counter_id is not None
        with other.db.read() as s:
            lifted = s.scalars(
                select(AuditEntry.entity_id).where(AuditEntry.action == "sync.pulled_unlock")
            ).all()
        assert set(lifted) == {str(clerk2), str(_staff_id(other, "clerk1"))}
        # The clerk chooses a new password at window 02: made centrally, it reaches window 01.
        other.staff.change_own_password(clerk, "Reset2026", "Mine2026x", "Mine2026x")
        desk.sync.run_round()
        assert not desk.auth.log_in("clerk2", "Mine2026x").must_change_password
        # A lock set after the unlock is not lifted by the pull reading the same row again.
        _lock(other, "clerk1")
        other.sync.run_round()
        with pytest.raises(AuthenticationError, match="已锁定"):
            other.auth.log_in("clerk1", DEMO_PASSWORD)
        # Offline, a synced hall refuses: a change made here alone would be undone by a pull.
        desk.link.mark_offline()
        with pytest.raises(StorageError, match="与中心数据库断开"):
            desk.staff.set_role(admin, _staff_id(desk, "clerk9"), Role.SUPERVISOR)
        with desk.db.read() as s:
            assert s.scalars(select(Staff.role).where(Staff.username == "clerk9")).one() is (
                Role.CLERK
            )
    finally:
        central.dispose()
        desk.close()
        other.close()
