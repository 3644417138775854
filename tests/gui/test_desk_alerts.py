"""The desk's 审计警告 page (Alt+7): the hall's open audit alerts, acknowledged with a key; the
acknowledged ones on request; on a synced counter whose central database can not be reached,
this counter's alerts and a note that the central ones are missing."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from hall_app.app import HallApp
from hall_app.db.models import AuditAlert
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.services.actor import Actor
from tests.conftest import FakeClock, synced_counter
from tests.gui.conftest import ShownMessages
from ui.desk.alerts import NOT_SYNCED_NOTE, AuditAlertsPage
from ui.desk.pages import DeskContext, desk_pages
from ui.desk.window import SupervisorDesk
from ui.ops import Operations

WAIT = 15_000
SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"


def _alert(hall: HallApp, actor: Actor, detail: str) -> None:
    with hall.db.unit_of_work() as s:
        s.add(
            AuditAlert(
                detected_at=hall.clock(),
                kind="chain_break",
                counter_id=actor.counter_id,
                seq=7,
                detail=detail,
            )
        )


def _cells(page: AuditAlertsPage, row: int) -> list[str]:
    m = page.model
    return [str(m.data(m.index(row, c))) for c in range(m.columnCount())]


def _open_page(qtbot: QtBot, hall: HallApp, actor: Actor, ops: Operations) -> AuditAlertsPage:
    desk = SupervisorDesk(DeskContext(hall, actor, ops))
    qtbot.addWidget(desk)
    desk.resize(1366, 768)
    desk.show()
    page = desk.go_to_key("alerts")
    assert isinstance(page, AuditAlertsPage)
    qtbot.waitUntil(lambda: page.shown is not None, timeout=WAIT)
    return page


def test_the_supervisor_sees_and_acknowledges_the_halls_alerts(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    supervisor: Actor,
    ops: Operations,
    shown: ShownMessages,
) -> None:
    _alert(hall, clerk, "窗口 01（1号窗口）的审计链：第 7 条审计记录已被修改")
    assert "alerts" in [p.key for p in desk_pages(supervisor)]
    assert "alerts" not in [p.key for p in desk_pages(clerk)]
    page = _open_page(qtbot, hall, supervisor, ops)
    assert page.model.rowCount() == 1
    cells = _cells(page, 0)
    assert cells[1:4] == ["本机", "审计链断裂", clerk.counter_name]
    assert "第 7 条" in cells[4] and cells[5] == "待处理"
    assert page.central.text() == NOT_SYNCED_NOTE
    assert "1 条待处理" in page.status.text()
    assert page.ack_button.isEnabled()  # the first open alert is chosen
    if os.environ.get("HALL_SCREENS"):
        qtbot.wait(200)
        assert page.window().grab().save(str(SCREENS / "desk-alerts-1366.png"))

    qtbot.keyClick(page.table, "\r", modifier=Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=WAIT)
    assert "已确认" in page.status.text()
    assert hall.audit_chain.desk_alerts(supervisor).open == []
    page.with_done.setChecked(True)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=WAIT)
    done = _cells(page, 0)[5]
    assert done.startswith(f"已确认：{supervisor.full_name}（{supervisor.employee_no}）")
    assert not page.ack_button.isEnabled()
    assert shown.items == []
    page.window().close()


def test_offline_the_page_lists_this_counters_alerts_and_says_so(
    qtbot: QtBot,
    demo_template: Path,
    tmp_path: Path,
    clock: FakeClock,
    ops: Operations,
    shown: ShownMessages,
) -> None:
    hall = synced_counter(demo_template, tmp_path, "postgresql://x@127.0.0.1:1/none", clock)
    try:
        boss = hall.auth.log_in("super1", DEMO_PASSWORD)
        _alert(hall, boss, "窗口 01（1号窗口）的审计链：第 7 条审计记录已被修改")
        page = _open_page(qtbot, hall, boss, ops)
        assert page.shown is not None and page.shown.central == "offline"
        assert "中心数据库暂时无法连接" in page.central.text()
        assert page.central.property("role") == "warn"
        assert page.model.rowCount() == 1 and _cells(page, 0)[1] == "本机"
        if os.environ.get("HALL_SCREENS"):
            qtbot.wait(200)
            assert page.window().grab().save(str(SCREENS / "desk-alerts-offline-1366.png"))
        page.ack_button.click()  # a local alert: acknowledged offline too
        qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=WAIT)
        page.window().close()
        ops.wait_idle()
    finally:
        hall.close()
