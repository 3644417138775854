"""Keyboard paths a clerk needs: the record's tabs, Ctrl+N with nobody open, and a new record
starting on its first tab."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from hall_app.db.models import Order
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_wizard import WAIT
from ui.app import Session

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


def _two_customers(session: Session) -> list[object]:
    assert session.hall is not None
    with session.hall.db.read() as s:
        return list(
            s.execute(
                select(Order.customer_id)
                .group_by(Order.customer_id)
                .order_by(func.count().desc())
                .limit(2)
            ).scalars()
        )


def test_record_tabs_switch_from_the_keyboard_and_a_new_record_starts_on_the_first(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    window = _logged_in(qtbot, session)
    page = window.customers
    tabs = page.record.tabs
    first, second = _two_customers(session)
    page.open_customer(first)  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    page.table.setFocus()  # where the focus is after a search: Ctrl+Tab would stay in it
    assert tabs.currentIndex() == 0
    assert tabs.usesScrollButtons()
    assert "Alt+2" in tabs.tabToolTip(1) and "Ctrl+PgDown" in tabs.tabToolTip(1)

    qtbot.keyClick(page.table, Qt.Key.Key_PageDown, CTRL)
    assert tabs.currentIndex() == 1
    focused = QApplication.focusWidget()
    qtbot.keyClick(focused, Qt.Key.Key_5, ALT)
    assert tabs.currentWidget() is page.record.tables["发票"]
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_PageUp, CTRL)
    assert tabs.currentIndex() == 3
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_1, ALT)
    assert tabs.currentIndex() == 0
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_PageUp, CTRL)  # wraps round
    assert tabs.currentIndex() == tabs.count() - 1

    # the same customer again (a refresh after a change) keeps the tab ...
    tabs.setCurrentWidget(page.record.tables["发票"])
    page.open_customer(first)  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: not session.ops.busy, timeout=WAIT)
    assert tabs.currentWidget() is page.record.tables["发票"]
    # ... another customer starts on 基本资料
    page.open_customer(second)  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: page.current is not None and page.current.id == second, timeout=WAIT)
    assert tabs.currentIndex() == 0
    assert shown.items == []


def test_ctrl_n_with_no_customer_open_says_what_to_do(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    window = _logged_in(qtbot, session)
    page = window.customers
    qtbot.keyClick(page.query, Qt.Key.Key_N, CTRL)
    assert page.field_error.text() == "请先打开客户资料再开户 (F3 查询)"
    assert page.field_error.isVisible()
    assert window.wizard is None and shown.items == []  # inline, no pop-up
    assert QApplication.focusWidget() is page.query
