"""The desk's 员工考核 page as a supervisor: a 不满意 pressed on the customer screen shows at
once in the alerts, the per-clerk table for the day, the appraisal exported as PDF and xlsx;
a clerk's 我的业绩 (Ctrl+Shift+P) shows only their own figures."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from hall_app.app import HallApp
from hall_app.domain.enums import Rating
from hall_app.services.actor import Actor
from tests.conftest import FakeClock
from tests.gui.test_customer_search import _logged_in
from ui.app import Session
from ui.desk import perf_common
from ui.desk.my_performance import MyPerformanceDialog
from ui.desk.pages import DeskContext, desk_pages
from ui.desk.performance import PerformancePage
from ui.ops import Operations
from ui.queue.evaluation import EvaluationScreen


def _served(hall: HallApp, clerk: Actor, clock: FakeClock, minutes: int) -> object:
    hall.queue.issue_ticket(clerk, "general")
    clock.now += timedelta(minutes=2)
    called = hall.queue.call_next(clerk)
    assert called is not None
    clock.now += timedelta(minutes=minutes)
    return hall.queue.finish(clerk, called.id)


def test_the_page_is_the_supervisors_alt_4(hall: HallApp, clerk: Actor, supervisor: Actor) -> None:
    pages = {p.key: p for p in desk_pages(supervisor)}
    assert (pages["performance"].title, pages["performance"].shortcut) == ("员工考核", "Alt+4")
    assert "performance" not in {p.key for p in desk_pages(clerk)}


def test_a_dissatisfied_press_reaches_the_supervisors_page(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    supervisor: Actor,
    clock: FakeClock,
    ops: Operations,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = PerformancePage(DeskContext(hall, supervisor, ops))
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    qtbot.waitUntil(
        lambda: page.sheet is not None and page.hall_figures is not None, timeout=20_000
    )
    assert page.alert_banner.text() == "今日暂无不满意评价"

    done = _served(hall, clerk, clock, minutes=9)
    screen = EvaluationScreen(hall.evaluations, clerk, ops)  # the customer's, same app
    qtbot.addWidget(screen)
    screen.ask(done)  # type: ignore[arg-type]
    qtbot.mouseClick(screen.buttons[Rating.DISSATISFIED], Qt.MouseButton.LeftButton)
    # announced (EVALUATIONS): the page asks again at once, no timer needed
    qtbot.waitUntil(lambda: "今日不满意评价 1 条" in page.alert_banner.text(), timeout=10_000)
    assert "林晓燕" in page.alert_banner.text() and "未填写原因" in page.alert_banner.text()
    screen.stop()

    page.period.kind.setCurrentIndex(0)  # 日: today only
    qtbot.waitUntil(
        lambda: (
            page.hall_figures is not None
            and page.hall_figures.first_day == page.hall_figures.last_day
        ),
        timeout=20_000,
    )
    rows = {
        page.clerks_model.index(r, 1).data(): [
            page.clerks_model.index(r, c).data() for c in range(page.clerks_model.columnCount())
        ]
        for r in range(page.clerks_model.rowCount())
    }
    mine = rows["林晓燕"]
    assert mine[2] == "1" and mine[3] == "9.0 分钟" and mine[8] == "1"  # served, avg, 不满意
    assert page.complaints_model.rowCount() == 1
    assert page.tabs.tabText(1) == "不满意评价（1）"

    pdf, xlsx = tmp_path / "sheet.pdf", tmp_path / "sheet.xlsx"
    answers = iter([str(pdf), str(xlsx)])

    def fake_save(_parent: QWidget, _title: str, _suggested: str, _pattern: str) -> str:
        return next(answers)

    monkeypatch.setattr(perf_common, "ask_save_path", fake_save)
    qtbot.mouseClick(page.pdf_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.status.text() == f"已保存：{pdf}", timeout=10_000)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "员工月度考核表" in text and "林晓燕" in text
    qtbot.mouseClick(page.xlsx_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.status.text() == f"已保存：{xlsx}", timeout=10_000)
    ws = load_workbook(xlsx).active
    assert ws is not None and ws["A1"].value == page.sheet.title  # type: ignore[union-attr]
    ops.wait_idle()


def test_ctrl_shift_p_shows_the_clerk_their_own(
    qtbot: QtBot, session: Session, clock: FakeClock
) -> None:
    hall = session.hall
    assert hall is not None
    window = _logged_in(qtbot, session)
    _served(hall, window.actor, clock, minutes=6)
    qtbot.keyClick(
        window,
        Qt.Key.Key_P,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: window.my_performance_dialog is not None, timeout=10_000)
    dialog = window.my_performance_dialog
    assert isinstance(dialog, MyPerformanceDialog)
    assert dialog.windowTitle() == "我的业绩 — 林晓燕（工号 FZ0001）"
    dialog.period.kind.setCurrentIndex(0)  # today
    qtbot.waitUntil(lambda: dialog.values["服务人数"].text() == "1", timeout=10_000)
    assert dialog.values["平均办理时长"].text() == "6.0 分钟"
    assert dialog.values["服务评价"].text().endswith("未评价 1")
    qtbot.waitUntil(lambda: "全厅第" in dialog.appraisal_label.text(), timeout=10_000)
    dialog.close()
