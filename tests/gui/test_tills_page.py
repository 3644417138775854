"""现金管理 in the desk, as a supervisor: the day's tills, an X report, a Z report printed and
reprinted (重打), and the hall's day close refused while a till is open, then made."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot

from hall_app.app import HallApp
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.services.actor import Actor
from hall_app.services.cash import TillCount
from tests.gui.conftest import ShownMessages
from tests.gui.test_open_mobile_wizard import WAIT
from tests.integration.test_open_mobile import _request
from ui import messages
from ui.desk.pages import DeskContext, desk_pages
from ui.desk.tills import TillsPage
from ui.documents import preview as preview_module
from ui.ops import Operations


def _row_of(page: TillsPage, staff_name: str) -> int:
    return next(i for i, t in enumerate(page.tills) if t.staff_name == staff_name)


def test_the_page_is_on_the_supervisors_desk_only(hall: HallApp, clerk: Actor) -> None:
    supervisor = hall.auth.log_in("super1", DEMO_PASSWORD)
    mine = [(p.key, p.title, p.shortcut) for p in desk_pages(supervisor) if p.key == "tills"]
    assert mine == [("tills", "现金管理", "Alt+3")]
    assert "tills" not in {p.key for p in desk_pages(clerk)}


def test_a_supervisor_closes_the_halls_tills(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    ops: Operations,
    shown: ShownMessages,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    supervisor = hall.auth.log_in("super1", DEMO_PASSWORD)
    other = hall.auth.log_in("clerk2", DEMO_PASSWORD)
    hall.cash.open_session(clerk, 20_000)
    hall.cash.open_session(other, 0)
    hall.orders.open_mobile_number(clerk, _request(hall, clerk))  # 69.50 cash
    hall.cash.record_count(clerk, TillCount({10_000: 2, 5_000: 1, 1_000: 1, 500: 1, 100: 4}))
    hall.cash.close_session(clerk, reason="找零多付")  # 0.50 short

    page = TillsPage(DeskContext(hall, supervisor, ops))
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    page.activateWindow()  # its keys are window shortcuts, as in the desk
    qtbot.waitUntil(page.isActiveWindow, timeout=WAIT)
    qtbot.waitUntil(lambda: len(page.tills) >= 2, timeout=WAIT)
    assert "营业厅尚未日结" in page.summary.text()
    mine = _row_of(page, clerk.full_name)
    assert page.model.data(page.model.index(mine, 2)) == "已日结"
    assert page.model.data(page.model.index(mine, 7)) == "短款 ¥0.50"

    qtbot.keyClick(page, Qt.Key.Key_F9)  # refused while 陈志强's till is open
    assert shown.items and "还有钱箱未日结" in shown.texts()[-1] and "陈志强" in shown.texts()[-1]
    assert not hall.cash.hall_day(supervisor, page.business_day).closed

    page.table.selectRow(_row_of(page, other.full_name))
    qtbot.keyClick(page, Qt.Key.Key_F6)  # the open till's X report
    qtbot.waitUntil(lambda: "X 报表" in page.report.toPlainText(), timeout=WAIT)
    assert "陈志强" in page.report.toPlainText()

    hall.cash.close_session(other, 0)  # at the other counter
    qtbot.keyClick(page, Qt.Key.Key_F5)
    qtbot.waitUntil(
        lambda: all(t.z_no is not None for t in page.tills if t.staff_name == other.full_name),
        timeout=WAIT,
    )
    page.table.selectRow(_row_of(page, clerk.full_name))
    qtbot.keyClick(page, Qt.Key.Key_F8)
    z = next(t for t in page.tills if t.staff_name == clerk.full_name).z_label
    qtbot.waitUntil(lambda: f"日结单 {z}" in page.report.toPlainText(), timeout=WAIT)
    assert "找零多付" in page.report.toPlainText()

    # Printed (saved) once, then again: the second copy is stamped 重打 with its reason.
    saved = iter([tmp_path / "z1.pdf", tmp_path / "z2.pdf"])
    monkeypatch.setattr(preview_module, "_ask_save_path", lambda *_: str(next(saved)))
    monkeypatch.setattr(preview_module, "_ask_reason", lambda *_: "第一份卡纸")
    qtbot.keyClick(page, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.preview is not None, timeout=WAIT)
    assert page.preview is not None
    view = page.preview
    view.save_pdf()
    qtbot.waitUntil(lambda: len(view.issued) == 1 and view.save_button.isEnabled(), timeout=WAIT)
    view.save_pdf()
    qtbot.waitUntil(lambda: len(view.issued) == 2, timeout=WAIT)
    ops.wait_idle()
    first = _text(tmp_path / "z1.pdf")
    again = _text(tmp_path / "z2.pdf")
    assert z in first and "重打 第" not in first
    assert "重打 第1次" in again and "第一份卡纸" in again  # copy 2: the first reprint
    page.preview.close()

    shown.items.clear()
    qtbot.waitUntil(lambda: page.hall is not None and not page.hall.open_tills, timeout=WAIT)
    qtbot.mouseClick(page.buttons["close"], Qt.MouseButton.LeftButton)  # the differences named
    qtbot.waitUntil(lambda: bool(shown.items), timeout=WAIT)  # asked once the service agrees
    assert shown.items and "短款 ¥0.50（找零多付）" in shown.texts()[0]
    qtbot.waitUntil(lambda: "营业厅已日结" in page.summary.text(), timeout=WAIT)
    done = hall.cash.hall_day(supervisor, page.business_day)
    assert done.closed and done.closed_by == supervisor.full_name
    assert not page.buttons["close"].isEnabled()


def _text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()


def test_f9_on_a_day_without_tills_is_refused_before_any_question(
    qtbot: QtBot, hall: HallApp, ops: Operations, shown: ShownMessages
) -> None:
    """营业厅日结 of a day no till was opened: the service refuses it first; no 是/否 question
    about closing 0 tills is asked."""
    supervisor = hall.auth.log_in("super1", DEMO_PASSWORD)
    page = TillsPage(DeskContext(hall, supervisor, ops))
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=WAIT)
    empty = page.business_day - timedelta(days=40)  # before the test demo's history
    assert not hall.cash.hall_day(supervisor, empty).tills
    page.day.setDate(QDate(empty.year, empty.month, empty.day))
    qtbot.waitUntil(
        lambda: page.hall is not None and page.hall.business_date == empty, timeout=WAIT
    )
    qtbot.keyClick(page, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: bool(shown.items), timeout=WAIT)
    ops.wait_idle()
    assert [(kind, text) for kind, _t, text in shown.items] == [
        (str(messages.Kind.ERROR), f"营业厅日结：{empty} 没有钱箱，无需日结")
    ]
    assert not hall.cash.hall_day(supervisor, empty).closed
