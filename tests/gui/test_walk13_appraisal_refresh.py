"""Walk-through of issue 13: 员工考核 (Alt+4) after a 不满意 pressed at a counter.

The alert came in and 刷新 updated 员工业绩 (陈志强 5 served, 80.0 % satisfied), but the tab
月度考核表 kept the sheet loaded when the page opened (陈志强 4 人, 100.0 %, the same score
and rank), and 打印 / 导出 PDF / 导出 Excel write that stale sheet: it is read only when the
month is changed."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from hall_app.app import HallApp
from hall_app.clock import business_date
from hall_app.domain.enums import Rating
from hall_app.services.actor import Actor
from tests.conftest import FakeClock
from ui.desk.pages import DeskContext
from ui.desk.performance import PerformancePage
from ui.ops import Operations
from ui.queue.evaluation import EvaluationScreen


def test_refresh_reads_the_appraisal_sheet_again(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    supervisor: Actor,
    clock: FakeClock,
    ops: Operations,
) -> None:
    page = PerformancePage(DeskContext(hall, supervisor, ops))
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    qtbot.waitUntil(
        lambda: page.sheet is not None and page.hall_figures is not None, timeout=20_000
    )
    served_before = page.hall_figures.total.served  # type: ignore[union-attr]

    hall.queue.issue_ticket(clerk, "general")
    clock.now += timedelta(minutes=2)
    called = hall.queue.call_next(clerk)
    assert called is not None
    clock.now += timedelta(minutes=9)
    done = hall.queue.finish(clerk, called.id)
    screen = EvaluationScreen(hall.evaluations, clerk, ops)
    qtbot.addWidget(screen)
    screen.ask(done)
    qtbot.mouseClick(screen.buttons[Rating.DISSATISFIED], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "今日不满意评价 1 条" in page.alert_banner.text(), timeout=10_000)
    screen.stop()

    qtbot.mouseClick(page.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: page.hall_figures is not None and page.hall_figures.total.served > served_before,
        timeout=20_000,
    )
    ops.wait_idle()
    qtbot.wait(100)
    today = business_date(clock())
    fresh = hall.performance.appraisal(supervisor, today.year, today.month)
    assert page.sheet is not None
    shown = {r.staff_name: (r.score, r.rank) for r in page.sheet.rows}
    assert shown == {r.staff_name: (r.score, r.rank) for r in fresh.rows}
