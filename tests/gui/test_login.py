"""A clerk logs in with the keyboard; wrong passwords and locks are explained in place."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from hall_app.clock import business_date
from ui.app import Session
from ui.format import today_label


def _type_login(qtbot: QtBot, session: Session, user: str, password: str) -> None:
    login = session.login if session.login is not None else session.show_login()
    qtbot.addWidget(login)
    login.username.clear()
    login.password.clear()
    qtbot.keyClicks(login.username, user)
    qtbot.keyClick(login.username, Qt.Key.Key_Return)  # Enter moves to the password
    assert login.focusWidget() is login.password
    qtbot.keyClicks(login.password, password)
    qtbot.keyClick(login.password, Qt.Key.Key_Return)


def test_clerk_logs_in_and_sees_name_counter_and_date(qtbot: QtBot, session: Session) -> None:
    _type_login(qtbot, session, "clerk1", "hall1234")
    qtbot.waitUntil(lambda: session.window is not None, timeout=10_000)
    window = session.window
    assert window is not None
    qtbot.addWidget(window)
    assert "林晓燕" in window.staff_label.text() and "营业员" in window.staff_label.text()
    assert window.counter_label.text() == "窗口：1号窗口"
    today = business_date(session.hall.clock())
    assert window.date_label.text() == today_label(today)
    assert window.nav.count() == 1 and "客户查询" in window.nav.item(0).text()


def test_wrong_password_is_shown_next_to_the_form(qtbot: QtBot, session: Session) -> None:
    _type_login(qtbot, session, "clerk1", "nope")
    login = session.login
    assert login is not None
    qtbot.waitUntil(lambda: login.error_label.text() != "", timeout=10_000)
    assert login.error_label.text() == "密码：用户名或密码错误"
    assert session.window is None
    assert login.login_button.isEnabled()


def test_five_wrong_passwords_lock_the_account(qtbot: QtBot, session: Session) -> None:
    login = session.show_login()
    for attempt in range(5):
        _type_login(qtbot, session, "clerk2", f"bad{attempt}")
        qtbot.waitUntil(lambda: login.login_button.isEnabled(), timeout=10_000)
    assert "锁定 15 分钟" in login.error_label.text()
    _type_login(qtbot, session, "clerk2", "hall1234")
    qtbot.waitUntil(lambda: "已锁定至" in login.error_label.text(), timeout=10_000)
    assert session.window is None


def test_login_pressed_while_starting_goes_ahead_when_ready(qtbot: QtBot, session: Session) -> None:
    hall = session.hall
    session.hall = None  # as right after start: the database is still being opened
    login = session.show_login()
    qtbot.addWidget(login)
    assert "正在打开数据库" in login.subtitle.text()
    qtbot.keyClicks(login.username, "clerk1")
    qtbot.keyClicks(login.password, "hall1234")
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    assert "系统启动中" in login.login_button.text()
    assert not login.login_button.isEnabled()
    assert session.window is None
    session.hall = hall
    assert hall is not None
    login.set_auth(hall.auth, session.subtitle())
    qtbot.waitUntil(lambda: session.window is not None, timeout=10_000)
    assert session.window is not None
    qtbot.addWidget(session.window)
    assert session.window.actor.username == "clerk1"
