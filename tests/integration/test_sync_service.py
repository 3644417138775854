"""The counter's view of sync: status, one round, a dead link remembered, quarantine handed to
a supervisor, and day close refused while records wait."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from hall_app.app import HallApp, build_app
from hall_app.cli import main as cli_main
from hall_app.config import Settings
from hall_app.db.crypto import plain_for
from hall_app.db.engine import make_engine
from hall_app.db.models import AuditEntry, Customer
from hall_app.domain.errors import PermissionDenied, ValidationError
from hall_app.sync.push import Pusher, SyncUnavailable
from hall_app.sync.service import next_delay
from tests.conftest import CentralSnapshots, FakeClock, Snapshot, synced_counter
from tests.integration.test_open_mobile import _request
from tests.integration.test_sync_push import _lease_segment


def test_backoff_doubles_to_five_minutes() -> None:
    assert [next_delay(n) for n in range(6)] == [15, 30, 60, 120, 240, 300]
    assert next_delay(50) == 300


def _online_start(url: str, demo: Path, folder: Path, clock: FakeClock) -> None:
    assert cli_main(["--db", "sqlite:///:memory:", "central", "init", "--central", url]) == 0
    hall = synced_counter(demo, folder, url, clock)
    try:
        central = make_engine(url)
        Pusher(hall.db, central, clock).enqueue_all()  # the first load
        central.dispose()
        hall.sync.run_round()
    finally:
        hall.close()


@pytest.fixture
def online(
    central_snapshots: CentralSnapshots,
    restore: Callable[[Snapshot], str],
    tmp_path: Path,
    clock: FakeClock,
) -> Iterator[HallApp]:
    """A counter after its first load and a round (run once), copied for this test."""
    snap = central_snapshots.get("online", _online_start)
    assert clock.now == snap.now
    url = restore(snap)
    env = {"HALL_CENTRAL_URL": url, "HALL_COUNTER": "01"}
    path = tmp_path / "counter.sqlite3"  # as synced_counter names it
    hall = build_app(Settings.load(env=env, db_url=f"sqlite:///{path}"), clock=clock)
    yield hall
    hall.close()


@pytest.mark.postgres
def test_status_rounds_and_day_close(online: HallApp, clock: FakeClock) -> None:
    hall = online
    status = hall.sync.status()
    assert status.configured and status.waiting == 0 and status.last_success_at == clock()
    clerk = hall.auth.log_in("clerk1", "hall1234")
    hall.orders.open_mobile_number(clerk, _request(hall, clerk))
    waiting = hall.sync.status().waiting
    assert waiting > 10  # order, lines, payment, invoice, subscription, number, SIM, audit…
    with pytest.raises(ValidationError) as err:
        hall.cash.close_session(clerk, 6_950)
    assert err.value.field == "日结" and f"{waiting:,} 条记录未同步" in err.value.text
    report = hall.sync.run_round()
    assert report.sent == waiting and hall.sync.status().waiting == 0
    assert hall.cash.close_session(clerk, 6_950).difference_fen == 0


@pytest.mark.postgres
def test_a_dead_link_is_remembered(demo_template: Path, tmp_path: Path, clock: FakeClock) -> None:
    hall = synced_counter(demo_template, tmp_path, "postgresql://x@127.0.0.1:1/none", clock)
    try:
        clerk = hall.auth.log_in("clerk1", "hall1234")
        _lease_segment(hall, clerk, 30_000_000)  # leased on an earlier, online day
        hall.orders.open_mobile_number(clerk, _request(hall, clerk))
        with pytest.raises(SyncUnavailable):
            hall.sync.run_round()
        status = hall.sync.status()
        assert status.last_error and "连接中断" in status.last_error
        assert status.last_success_at is None and status.waiting > 0
    finally:
        hall.close()


def too_long(row_id: uuid.UUID) -> object:
    """A name longer than the central column takes, written past the counter's own limits (a
    Core update, as an older counter would have), sealed for that row."""
    return plain_for("customers", "name", row_id, "长" * 200)


@pytest.mark.postgres
def test_quarantine_goes_to_a_supervisor(online: HallApp) -> None:
    hall = online
    with hall.db.unit_of_work() as s:
        first = s.scalars(select(Customer.id).limit(1)).one()
        s.execute(update(Customer).where(Customer.id == first).values(name=too_long(first)))
    assert hall.sync.run_round().quarantined == 1
    clerk = hall.auth.log_in("clerk1", "hall1234")
    boss = hall.auth.log_in("super1", "hall1234")
    with pytest.raises(PermissionDenied):
        hall.sync.quarantined(clerk)
    [bad] = hall.sync.quarantined(boss)
    assert bad.table_name == "customers" and bad.row_id == first and "22001" in bad.error
    assert hall.sync.status().quarantined == 1
    with hall.db.unit_of_work() as s:
        s.get_one(Customer, first).name = "张三丰"
    fixed = hall.sync.run_round()  # corrected: queued again by the trigger, and accepted
    assert fixed.quarantined == 0 and hall.sync.status().quarantined == 0
    with hall.db.unit_of_work() as s:  # refused again; retried without a fix: refused again
        s.execute(update(Customer).where(Customer.id == first).values(name=too_long(first)))
    hall.sync.run_round()
    assert hall.sync.retry_quarantined(boss) == 1
    assert hall.sync.status().waiting >= 1 and hall.sync.status().quarantined == 0
    hall.sync.run_round()
    [again] = hall.sync.quarantined(boss)
    assert again.row_id == first and again.attempts == 2
    with hall.db.read() as s:
        retried = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "sync.retry_quarantined")
        ).one()
        assert retried.staff_id == boss.staff_id and retried.after == {"records": 1}


def test_a_counter_alone_has_nothing_to_sync(hall: HallApp, clerk) -> None:  # type: ignore[no-untyped-def]
    assert not hall.sync.configured and not hall.sync.status().configured
    with pytest.raises(ValidationError, match="单机运行"):
        hall.sync.run_round()
    hall.orders.open_mobile_number(clerk, _request(hall, clerk))
    assert hall.cash.close_session(clerk, 6_950).difference_fen == 0  # no central: no wait
