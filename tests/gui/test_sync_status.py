"""The status bar tells the clerk whether the counter is online, what waits, and when it last
synced; offline, it keeps trying with growing pauses."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.models import AuditEntry, Counter, Invoice, ResourceClash
from hall_app.sync.push import Pusher
from hall_app.sync.service import SyncStatus
from tests.conftest import FakeClock
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_wizard import WAIT
from tests.integration.test_open_mobile import _request
from tests.integration.test_sync_push import _lease_segment
from ui.app import Session
from ui.ops import Operations
from ui.sync.status import SyncStatusLabel

# The first round after enqueue_all sends the whole demo counter (with a year of bills and the
# numbers' SIM cards, tens of thousands of rows), and the rounds in the next ten minutes read
# those bills back (the pull's window behind its mark): far slower than a day's rounds.
FIRST_ROUND = 90_000


def _session(
    template: Path, tmp_path: Path, central: str, clock: FakeClock, ops: Operations
) -> tuple[HallApp, Session]:
    path = tmp_path / "counter.sqlite3"
    shutil.copyfile(template, path)
    env = {"HALL_CENTRAL_URL": central, "HALL_COUNTER": "01"}  # clerk1's window
    hall = build_app(Settings.load(env=env, db_url=f"sqlite:///{path}"), clock=clock)
    return hall, Session(hall, ops)


@pytest.fixture
def closing() -> Iterator[list[tuple[HallApp, Session, Operations]]]:
    opened: list[tuple[HallApp, Session, Operations]] = []
    yield opened
    for hall, session, ops in opened:
        ops.wait_idle()
        if session.window is not None:
            session.window.close()
        hall.close()


@pytest.mark.postgres
def test_online_counter_shows_what_waits_and_syncs(
    qtbot: QtBot,
    central_url: str,
    demo_template: Path,
    tmp_path: Path,
    clock: FakeClock,
    ops: Operations,
    shown: ShownMessages,
    closing: list[tuple[HallApp, Session, Operations]],
) -> None:
    hall, session = _session(demo_template, tmp_path, central_url, clock, ops)
    closing.append((hall, session, ops))
    central = make_engine(central_url)
    Pusher(hall.db, central, clock).enqueue_all()  # the first load goes with the first round
    central.dispose()
    window = _logged_in(qtbot, session)
    status = window.sync_status
    qtbot.waitUntil(lambda: status.text().startswith("联网 · 待同步 0 条"), timeout=FIRST_ROUND)
    hall.orders.open_mobile_number(window.actor, _request(hall, window.actor))
    status.sync_now()
    qtbot.waitUntil(lambda: not status.running, timeout=FIRST_ROUND)
    assert status.text().startswith("联网 · 待同步 0 条 · 上次同步 11-24 10:00")
    assert status.next_delay_s == 15 and hall.sync.status().waiting == 0
    assert "拒收" not in status.text() and hall.sync.status().quarantined == 0


def test_offline_counter_says_so_and_backs_off(
    qtbot: QtBot,
    demo_template: Path,
    tmp_path: Path,
    clock: FakeClock,
    ops: Operations,
    shown: ShownMessages,
    closing: list[tuple[HallApp, Session, Operations]],
) -> None:
    hall, session = _session(demo_template, tmp_path, "postgresql://x@127.0.0.1:1/none", clock, ops)
    closing.append((hall, session, ops))
    window = _logged_in(qtbot, session)
    status = window.sync_status
    qtbot.waitUntil(lambda: status.text().startswith("离线"), timeout=WAIT)
    assert status.failures == 1 and status.next_delay_s == 30
    _lease_segment(hall, window.actor, 30_000_000)  # leased on an earlier, online day
    hall.orders.open_mobile_number(window.actor, _request(hall, window.actor))
    status.sync_now()
    qtbot.waitUntil(lambda: status.failures == 2 and not status.running, timeout=WAIT)
    waiting = hall.sync.status().waiting
    assert waiting > 0 and f"待同步 {waiting:,} 条" in status.text()
    assert "上次同步 从未" in status.text() and status.next_delay_s == 60
    assert not shown.items  # offline is a state, not an error dialog
    assert "连接中断" in status.toolTip() and "60 秒后自动重试" in status.toolTip()  # and why
    # A clash the central database recorded (here as a pull would bring it) is shown too.
    with hall.db.unit_of_work() as s:
        counter = s.scalars(select(Counter).where(Counter.code == "01")).one()
        s.add(ResourceClash(
            hall_id=counter.hall_id, counter_id=counter.id, resource="number",
            resource_key="13800001111", detected_at=clock(), detail="号码 138****1111 …",
        ))  # fmt: skip
    status.sync_now()
    qtbot.waitUntil(lambda: status.failures == 3 and not status.running, timeout=WAIT)
    assert "资源冲突 1 条待主管处理" in status.text()


def test_a_refusal_by_the_central_database_is_named_in_the_status_bar(
    qtbot: QtBot,
    demo_template: Path,
    tmp_path: Path,
    clock: FakeClock,
    ops: Operations,
    closing: list[tuple[HallApp, Session, Operations]],
) -> None:
    hall, session = _session(demo_template, tmp_path, "postgresql://x@127.0.0.1:1/none", clock, ops)
    closing.append((hall, session, ops))
    status = SyncStatusLabel(hall.sync, ops)
    qtbot.addWidget(status)
    qtbot.waitUntil(lambda: not status.running and status.failures == 1, timeout=WAIT)
    refused = "中心数据库拒绝同步（42P01 relation resource_clashes does not exist）"
    status._show(SyncStatus(True, 3, 0, None, refused))
    assert "中心数据库拒绝同步（42P01" in status.text() and refused in status.toolTip()


def _unmasked_views(hall: HallApp) -> int:
    with hall.db.read() as s:
        return len(
            s.scalars(
                select(AuditEntry.id).where(AuditEntry.action == "customer.view_sensitive")
            ).all()
        )


@pytest.mark.postgres
def test_a_sync_round_leaves_the_open_record_alone(
    qtbot: QtBot,
    central_url: str,
    demo_template: Path,
    tmp_path: Path,
    clock: FakeClock,
    ops: Operations,
    shown: ShownMessages,
    closing: list[tuple[HallApp, Session, Operations]],
) -> None:
    """A round pulls no customer, so the record open on the search page is not reloaded after
    each round: the invoice a supervisor selected stays selected, and no unmasked view is
    audited again every 15 seconds."""
    hall, session = _session(demo_template, tmp_path, central_url, clock, ops)
    closing.append((hall, session, ops))
    central = make_engine(central_url)
    Pusher(hall.db, central, clock).enqueue_all()
    central.dispose()
    window = _logged_in(qtbot, session, "super1")
    status = window.sync_status
    qtbot.waitUntil(lambda: status.text().startswith("联网 · 待同步 0 条"), timeout=FIRST_ROUND)
    with hall.db.read() as s:
        customer_id = s.scalars(
            select(Invoice.customer_id).where(Invoice.customer_id.is_not(None)).limit(1)
        ).one()
    assert customer_id is not None
    page = window.customers
    page.open_customer(customer_id)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    invoices = page.record.tables["发票"]
    invoices.selectRow(0)
    views = _unmasked_views(hall)
    status.sync_now()
    qtbot.waitUntil(lambda: not status.running, timeout=FIRST_ROUND)
    ops.wait_idle()
    qtbot.wait(100)  # a reload the round's announcement asked for would have landed
    assert status.text().startswith("联网")
    assert _unmasked_views(hall) == views
    assert [i.row() for i in invoices.selectionModel().selectedRows()] == [0]
