"""The central database keeps each counter's audit chain as pushed: append-only, an update or
delete refused and flagged, a counter's edited copy never overwriting the central one."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select, update

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.models import AuditAlert, AuditEntry, SyncOutbox
from hall_app.db.outbox import PENDING
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.services import audit_chain
from hall_app.sync.push import Pusher
from tests.conftest import FakeClock
from tests.integration.test_audit_chain import _chain, _record

pytestmark = pytest.mark.postgres


@pytest.fixture
def central(central_url: str) -> Iterator[Engine]:
    engine = make_engine(central_url)
    yield engine
    engine.dispose()


@pytest.fixture
def counter(demo_template: Path, tmp_path: Path, clock: FakeClock) -> Iterator[HallApp]:
    path = tmp_path / "a.sqlite3"
    shutil.copyfile(demo_template, path)
    app = build_app(Settings.load(env={}, db_url=f"sqlite:///{path}"), clock=clock)
    yield app
    app.close()


def _alerts(central: Engine) -> list[tuple[str, object]]:
    with central.connect() as conn:
        return [
            (r.kind, r.entry_id)
            for r in conn.execute(select(AuditAlert).order_by(AuditAlert.detected_at))
        ]


def test_the_central_audit_log_is_append_only(
    central: Engine, counter: HallApp, clock: FakeClock
) -> None:
    clerk = counter.auth.log_in("clerk1", DEMO_PASSWORD)
    _record(counter.db, 5, clerk)
    pusher = Pusher(counter.db, central, clock)
    pusher.enqueue_all()
    assert pusher.push().quarantined == 0
    report = audit_chain.verify(central, counter_id=clerk.counter_id)
    assert report.ok and report.checked >= 5, report.problem
    assert audit_chain.verify(central).ok
    victim = _chain(counter.db, clerk.counter_id)[-2]

    # Edited at the counter: nothing is queued; sent anyway (a full reload), the central copy
    # stays and the attempt is flagged, once.
    with counter.db.unit_of_work() as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == victim.id).values(after={"x": 1}))
        assert not s.scalar(
            select(func.count()).where(
                SyncOutbox.table_name == "audit_log", SyncOutbox.status == PENDING
            )
        )
    for _ in range(2):
        pusher.enqueue_all()
        assert pusher.push().quarantined == 0
    with central.connect() as conn:
        kept = conn.scalar(select(AuditEntry.after).where(AuditEntry.id == victim.id))
    assert kept == victim.after
    assert _alerts(central) == [("resent_changed", victim.id)]
    assert not audit_chain.verify(counter.db.engine).ok  # the counter's own copy is broken
    assert audit_chain.verify(central).ok  # the central one is whole

    # On the central database itself: an update or delete does nothing, and is flagged.
    with central.begin() as conn:
        conn.execute(update(AuditEntry).where(AuditEntry.id == victim.id).values(action="x"))
        conn.execute(delete(AuditEntry).where(AuditEntry.counter_id == clerk.counter_id))
    with central.connect() as conn:
        assert conn.scalar(select(AuditEntry.action).where(AuditEntry.id == victim.id)) == (
            victim.action
        )
        left = conn.scalar(select(func.count()).where(AuditEntry.counter_id == clerk.counter_id))
        details = conn.scalars(
            select(AuditAlert.detail).where(AuditAlert.kind == "central_delete")
        ).all()
    assert left == report.checked
    kinds = [k for k, _ in _alerts(central)]
    assert kinds.count("central_update") == 1 and kinds.count("central_delete") == left
    assert all("试图删除" in d and "已拒绝" in d for d in details)
    assert audit_chain.verify(central).ok
