"""Review of issue 13 (staff accounts, central database): the hall's last admin."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hall_app.cli import main as cli_main
from hall_app.db.engine import make_engine
from hall_app.db.models import Staff
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import Role
from hall_app.domain.errors import HallError
from hall_app.services.staff import StaffService
from hall_app.sync.push import Pusher
from tests.conftest import FakeClock, synced_counter
from tests.integration.test_staff_pg import _counter, _staff_id

pytestmark = pytest.mark.postgres


def test_review13_two_admins_demoting_each_other_leave_the_hall_an_admin(
    pg_url: str,
    demo_template: Path,
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """_keep_an_admin counts the other active admins without locking them: on the central
    database two admins demoting each other at the same moment each see the other still an
    admin, both changes commit, and the hall has no admin left."""
    assert cli_main(["--db", "sqlite:///:memory:", "central", "init", "--central", pg_url]) == 0
    desk = synced_counter(demo_template, tmp_path, pg_url, clock)
    other = _counter(demo_template, tmp_path, pg_url, clock, "02")
    central = make_engine(pg_url)
    try:
        Pusher(desk.db, central, clock).enqueue_all()
        desk.sync.run_round()
        other.sync.run_round()
        admin1 = desk.auth.log_in("admin1", DEMO_PASSWORD)
        admin2 = other.auth.log_in("admin2", DEMO_PASSWORD)
        with central.connect() as conn:
            admins = conn.scalar(
                select(func.count())
                .select_from(Staff)
                .where(Staff.role == Role.ADMIN, Staff.active.is_(True))
            )
        assert admins == 2  # the demo's two admins, no other

        both = threading.Barrier(2, timeout=3)
        real = StaffService._keep_an_admin

        def counted_then_wait(session: Any, actor: Any, staff: Any) -> None:
            real(session, actor, staff)
            # both have counted before either commits (or the other waits on a lock)
            with contextlib.suppress(threading.BrokenBarrierError):
                both.wait()

        monkeypatch.setattr(StaffService, "_keep_an_admin", staticmethod(counted_then_wait))
        errors: list[BaseException] = []

        def demote(hall: Any, actor: Any, username: str) -> None:
            try:
                hall.staff.set_role(actor, _staff_id(hall, username), Role.SUPERVISOR)
            except HallError as exc:
                errors.append(exc)

        threads = [
            threading.Thread(target=demote, args=(desk, admin1, "admin2")),
            threading.Thread(target=demote, args=(other, admin2, "admin1")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        with central.connect() as conn:
            left = conn.scalar(
                select(func.count())
                .select_from(Staff)
                .where(Staff.role == Role.ADMIN, Staff.active.is_(True))
            )
        assert left == 1, errors
    finally:
        central.dispose()
        desk.close()
        other.close()
