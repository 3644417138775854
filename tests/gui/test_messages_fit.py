"""A message said in a line of the main window never widens it past a 1366×768 screen nor
squeezes the record tabs: the queue bar's notice and the search page's hint and field error
wrap instead of growing their layout (found on the real app: Shift+F2 with nobody called
pushed 办结 (F8) and 退出登录 off a 1366 px screen, and the red-letter hint scrolled the tabs)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_wizard import WAIT
from tests.gui.test_window_sizes import USABLE, _busiest_customer
from ui.app import Session
from ui.screen import FRAME

SHIFT = Qt.KeyboardModifier.ShiftModifier
NOBODY = "当前没有叫到的顾客，请先叫号 (F2)"
LONG = "已开具红字发票 26351000000000004703，冲销发票 26351000000000004702（-¥64.50）" * 2


def test_out_of_order_keys_leave_one_message_that_fits(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    window = _logged_in(qtbot, session)
    panel = window.queue
    qtbot.keyClick(window, Qt.Key.Key_F8)
    assert panel.notice.text() == NOBODY
    qtbot.keyClick(window, Qt.Key.Key_F2, SHIFT)
    # one message, in the bar's notice as for the other keys, not the same words twice
    assert panel.notice.text() == f"转移：{NOBODY}"
    assert NOBODY not in panel.detail_label.text()
    panel.say(LONG)
    qtbot.wait(20)
    assert window.minimumSizeHint().width() + FRAME.width() <= USABLE.width()
    assert panel.minimumSizeHint().width() <= USABLE.width()
    assert shown.items == []


def test_a_long_hint_on_the_search_page_leaves_the_record_tabs_whole(
    qtbot: QtBot, session: Session
) -> None:
    window = _logged_in(qtbot, session)
    page = window.customers
    assert session.hall is not None
    page.open_customer(_busiest_customer(session.hall))  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    qtbot.wait(50)
    tabs = page.record.tabs
    assert tabs.tabBar().sizeHint().width() <= tabs.width()
    page.hint.setText(LONG)
    page.field_error.setText(LONG)
    qtbot.wait(50)
    assert tabs.tabBar().sizeHint().width() <= tabs.width(), (
        tabs.tabBar().sizeHint(),
        tabs.width(),
    )
    assert window.minimumSizeHint().width() + FRAME.width() <= USABLE.width()
