"""The supervisor's desk (主管工作台): a supervisor opens it from the main window (F12 or the
navigation), a clerk's window has none."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from ui.app import Session
from ui.desk.pages import desk_pages


def _nav_texts(session: Session) -> list[str]:
    window = session.window
    assert window is not None
    return [window.nav.item(i).text() for i in range(window.nav.count())]


def test_a_clerk_has_no_desk(qtbot: QtBot, session: Session, shown: ShownMessages) -> None:
    window = _logged_in(qtbot, session, "clerk1")
    assert not any("主管工作台" in text for text in _nav_texts(session))
    qtbot.keyClick(window, Qt.Key.Key_F12)
    assert window.desk is None
    assert window.pages.count() == 1
    assert desk_pages(window.actor) == []


def test_a_supervisor_opens_the_desk_with_f12(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    window = _logged_in(qtbot, session, "super1")
    assert "主管工作台  (F12)" in _nav_texts(session)
    assert window.desk is None  # built when first opened
    qtbot.keyClick(window.customers.query, Qt.Key.Key_F12)
    desk = window.desk
    assert desk is not None and desk.isVisible()
    assert window.pages.currentWidget().isAncestorOf(desk)
    assert [p.key for p in desk.pages] == [p.key for p in desk_pages(window.actor)]
    qtbot.keyClick(desk, Qt.Key.Key_F3)
    assert window.customers.isVisible() and not desk.isVisible()
    window.nav.setCurrentRow(1)  # the navigation entry
    assert desk.isVisible()
    assert shown.items == []
