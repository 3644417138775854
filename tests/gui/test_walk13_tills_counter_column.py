"""Walk-through of issue 13: 现金管理 (Alt+3) at 1366×768.

The tills table showed "6号窗口…" for 郑建国's till: the 窗口 column is sized from the sample
"10号窗口", narrower than the hall's own "6号窗口（VIP）", while the table had room to spare."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from hall_app.app import HallApp
from hall_app.demo.reference import DEMO_PASSWORD
from ui.desk.pages import DeskContext
from ui.desk.tills import TillsPage
from ui.ops import Operations


def test_the_counter_column_shows_the_whole_counter_name(
    qtbot: QtBot, hall: HallApp, ops: Operations
) -> None:
    supervisor = hall.auth.log_in("super1", DEMO_PASSWORD)
    vip = hall.auth.log_in("super2", DEMO_PASSWORD)  # 6号窗口（VIP）
    assert vip.counter_name == "6号窗口（VIP）"
    hall.cash.open_session(vip, 50_000)
    page = TillsPage(DeskContext(hall, supervisor, ops))
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    qtbot.waitUntil(lambda: len(page.tills) >= 1, timeout=10_000)
    view = page.table
    row = next(
        r for r in range(page.model.rowCount()) if page.model.index(r, 0).data() == vip.counter_name
    )
    text = page.model.index(row, 0).data()
    needed = view.fontMetrics().horizontalAdvance(text) + 8  # the cell's margins
    assert view.columnWidth(0) >= needed, (view.columnWidth(0), needed)
