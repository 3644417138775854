"""A counter restored from a backup syncs with the hall's central PostgreSQL without doubling
anything it had pushed; its first round takes back what it did after the backup (the recovery
pull), so new work takes numbers nobody has; offline, it numbers nothing until then."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.models import AuditEntry, Counter, Order, PrintRecord
from hall_app.domain.enums import OrderType
from hall_app.domain.errors import ValidationError
from hall_app.services.audit_chain import verify
from hall_app.services.backup import database_path
from hall_app.services.backup import restore as restore_backup
from hall_app.services.documents import DocumentKind
from hall_app.sync.push import SyncUnavailable
from tests.conftest import CentralSnapshots, FakeClock, Snapshot
from tests.integration.test_open_mobile import _request
from tests.integration.test_sync_resources import DEAD
from tests.integration.test_sync_service import _online_start

PASSWORD = "hall1234"


def _counter(url: str, path: Path, clock: FakeClock) -> HallApp:
    env = {"HALL_CENTRAL_URL": url, "HALL_COUNTER": "01"}
    return build_app(Settings.load(env=env, db_url=f"sqlite:///{path}"), clock=clock)


@pytest.fixture
def restored_file(
    central_snapshots: CentralSnapshots,
    restore: Callable[[Snapshot], str],
    tmp_path: Path,
    clock: FakeClock,
) -> Iterator[tuple[str, Path, Engine, int]]:
    """An online counter backed up, then an order opened and pushed, then the counter's
    database restored from the backup (the order lost locally, at the central database).
    Yields the central URL, the counter's file, the central engine and the central order
    count before the restore."""
    snap = central_snapshots.get("online", _online_start)
    assert clock.now == snap.now
    url = restore(snap)
    path = tmp_path / "counter.sqlite3"
    hall = _counter(url, path, clock)
    central = make_engine(url)
    try:
        assert hall.backups is not None
        clerk = hall.auth.log_in("clerk1", PASSWORD)
        made = hall.backups.make()
        before = _an_order(hall)
        hall.orders.open_mobile_number(clerk, _request(hall, clerk))  # after the backup
        # …and an order of before the backup printed, a copy the backup does not hold
        hall.documents.print_document(clerk, before, DocumentKind.RECEIPT, "客户遗失")
        assert hall.sync.run_round().quarantined == 0
        orders = _count(central, "orders")
    finally:
        hall.close()
    # Offline, a walk-in of the window's own series (A01-001), pushed once the link is back
    # and then transferred to the hall's queue (centrally it names no window any more).
    offline = _counter(DEAD, path, clock)
    try:
        clerk = offline.auth.log_in("clerk1", PASSWORD)
        walk_in = offline.queue.serve_walk_in(clerk, "general")
        offline.queue.finish(clerk, walk_in.id)
    finally:
        offline.close()
    assert walk_in.ticket_no.endswith("01-001"), walk_in.ticket_no
    online = _counter(url, path, clock)
    try:
        assert online.sync.run_round().quarantined == 0
    finally:
        online.close()
    with central.begin() as conn:
        moved = conn.execute(
            text("UPDATE queue_tickets SET counter_id = NULL WHERE id = :id"),
            {"id": walk_in.id},
        )
        assert moved.rowcount == 1
    restore_report = restore_backup(made.path, database_path(hall.settings.db_url), clock)
    assert restore_report.kept is not None
    assert restore_report.recovery_needed  # it had synced: numbers wait for the recovery
    try:
        yield url, path, central, orders
    finally:
        central.dispose()


@pytest.fixture
def restored(
    restored_file: tuple[str, Path, Engine, int], clock: FakeClock
) -> Iterator[tuple[HallApp, Engine, int]]:
    """The restored counter started again, online. Yields it, the central engine and the
    central order count before the restore."""
    url, path, central, orders = restored_file
    again = _counter(url, path, clock)
    try:
        yield again, central, orders
    finally:
        again.close()


def _count(central: Engine, table: str) -> int:
    with central.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _doubles(central: Engine) -> dict[str, int]:
    """Business numbers held by more than one row centrally."""
    checks = {
        "orders": "SELECT count(*) - count(DISTINCT order_no) FROM orders",
        "invoices": "SELECT count(*) - count(DISTINCT invoice_no) FROM invoices",
        "payments": "SELECT count(*) - count(DISTINCT id) FROM payments",
        "audit": "SELECT count(*) - count(DISTINCT (counter_id, seq)) FROM audit_log "
        "WHERE seq IS NOT NULL AND counter_id IS NOT NULL",
    }
    with central.connect() as conn:
        return {name: int(conn.execute(text(sql)).scalar_one()) for name, sql in checks.items()}


@pytest.mark.postgres
def test_a_restored_counter_syncs_again_without_doubles(
    restored: tuple[HallApp, Engine, int],
) -> None:
    hall, central, orders = restored
    report = hall.sync.run_round()  # what the backup had queued goes again: upserts
    assert report.quarantined == 0 and report.clashes == 0
    assert hall.sync.status().waiting == 0
    assert _count(central, "orders") == orders
    assert _doubles(central) == {"orders": 0, "invoices": 0, "payments": 0, "audit": 0}
    assert verify(hall.db.engine).ok


@pytest.mark.postgres
def test_new_work_after_a_restore_takes_fresh_numbers(
    restored: tuple[HallApp, Engine, int],
) -> None:
    hall, central, orders = restored
    hall.sync.run_round()
    clerk = hall.auth.log_in("clerk1", PASSWORD)
    hall.orders.open_mobile_number(clerk, _request(hall, clerk, skip=3))
    report = hall.sync.run_round()
    assert report.quarantined == 0 and hall.sync.status().waiting == 0
    assert _count(central, "orders") == orders + 1
    assert _doubles(central) == {"orders": 0, "invoices": 0, "payments": 0, "audit": 0}
    assert verify(central).ok


def _an_order(hall: HallApp) -> uuid.UUID:
    """An order of this window's the backup holds (its latest mobile opening)."""
    with hall.db.read() as s:
        return s.scalars(
            select(Order.id)
            .join(Counter, Counter.id == Order.counter_id)
            .where(Order.order_type == OrderType.OPEN_MOBILE, Counter.code == "01")
            .order_by(Order.created_at.desc())
        ).first() or pytest.fail("no order in the backup")


def _copies(hall: HallApp, order_id: uuid.UUID) -> int:
    with hall.db.read() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(PrintRecord)
                .where(PrintRecord.order_id == order_id, PrintRecord.document_type == "receipt")
            )
            or 0
        )


def _restores(hall: HallApp, action: str = "backup.recovered") -> list[dict[str, object]]:
    with hall.db.read() as s:
        return [
            dict(e.after or {})
            for e in s.scalars(select(AuditEntry).where(AuditEntry.action == action))
        ]


@pytest.mark.postgres
def test_offline_after_a_restore_numbers_nothing_until_the_recovery_pull(
    restored_file: tuple[str, Path, Engine, int], clock: FakeClock
) -> None:
    url, path, central, orders = restored_file
    offline = _counter(DEAD, path, clock)  # the link is down
    try:
        clerk = offline.auth.log_in("clerk1", PASSWORD)
        request = _request(offline, clerk, skip=3)
        with pytest.raises(ValidationError) as refused:
            offline.orders.open_mobile_number(clerk, request)
        assert refused.value.field == "同步" and "从备份恢复" in refused.value.message
        # The window's own walk-in series and a document's copy count wait for it too: the
        # central database may hold A01-00n and the prints made since the backup.
        with pytest.raises(ValidationError) as walk_in:
            offline.queue.serve_walk_in(clerk, "general")
        assert walk_in.value.field == "同步" and walk_in.value.message.endswith("为临柜客户取号")
        # …and so does calling offline: the copy may show waiting a ticket served centrally
        with pytest.raises(ValidationError) as called:
            offline.queue.call_next(clerk)
        assert called.value.field == "同步" and called.value.message.endswith("叫号")
        printed = _an_order(offline)
        in_backup = _copies(offline, printed)  # the copy printed since is not among them
        with pytest.raises(ValidationError) as reprint:
            offline.documents.print_document(clerk, printed, DocumentKind.RECEIPT, "客户遗失")
        assert reprint.value.field == "同步" and reprint.value.message.endswith("打印单据")
        with pytest.raises(SyncUnavailable):
            offline.sync.run_round()
        with pytest.raises(ValidationError):  # still: the recovery did not happen
            offline.orders.open_mobile_number(clerk, request)
        assert _restores(offline) == []  # the recovery: not yet
        [restored] = _restores(offline, "backup.restored")  # the restore: at once
        assert restored["recovery_needed"] is True and restored["file"]
    finally:
        offline.close()
    again = _counter(url, path, clock)  # the link is back
    try:
        again.sync.run_round()
        [entry] = _restores(again)
        assert entry["recovered_rows"] and entry["recovered_audit"]
        assert len(_restores(again, "backup.restored")) == 1  # renumbered, not doubled
        with again.db.read() as s:
            order = {
                e.action: e.seq
                for e in s.scalars(
                    select(AuditEntry).where(
                        AuditEntry.action.in_(["backup.restored", "backup.recovered"])
                    )
                )
            }
        assert order["backup.restored"] < order["backup.recovered"]
        assert "orders" in entry["recovered_tables"]  # type: ignore[operator]
        clerk = again.auth.log_in("clerk1", PASSWORD)
        again.orders.open_mobile_number(clerk, _request(again, clerk, skip=4))
        # The print made after the backup came back: this copy's number counts it
        copy = again.documents.print_document(clerk, printed, DocumentKind.RECEIPT, "客户遗失")
        assert copy.copy_no == in_backup + 2
        served = again.queue.serve_walk_in(clerk, "general")  # numbered centrally again
        assert served.is_walk_in
        again.queue.finish(clerk, served.id)
        report = again.sync.run_round()
        assert report.quarantined == 0 and again.sync.status().waiting == 0
        assert _count(central, "orders") == orders + 1
        assert _doubles(central) == {"orders": 0, "invoices": 0, "payments": 0, "audit": 0}
        assert verify(central).ok and verify(again.db.engine).ok
    finally:
        again.close()
    # Offline again, the window's series goes on past the walk-in transferred away
    offline = _counter(DEAD, path, clock)
    try:
        clerk = offline.auth.log_in("clerk1", PASSWORD)
        walk_in = offline.queue.serve_walk_in(clerk, "general")
        assert walk_in.ticket_no.endswith("01-002"), walk_in.ticket_no
    finally:
        offline.close()
