"""员工账号 as a supervisor and an admin: unlock, a password reset typed twice, a new account;
then the clerk's login asks for a new password twice before the window opens."""

from __future__ import annotations

import contextlib

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Staff
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import Role
from hall_app.domain.errors import AuthenticationError
from hall_app.services.actor import Actor
from tests.gui.conftest import ShownMessages
from ui.app import Session
from ui.desk.pages import DeskContext, desk_pages
from ui.desk.staff import StaffPage
from ui.desk.staff_dialogs import NewStaffDialog, ResetPasswordDialog
from ui.login.change_password import ChangePasswordDialog
from ui.ops import Operations

WAIT = 10_000


def _page(qtbot: QtBot, hall: HallApp, actor: Actor, ops: Operations) -> StaffPage:
    page = StaffPage(DeskContext(hall, actor, ops))
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    qtbot.waitUntil(lambda: page.rows.rowCount() > 0, timeout=WAIT)
    return page


def _lock(hall: HallApp, username: str) -> None:
    for i in range(hall.settings.rules.login_max_failures):
        with contextlib.suppress(AuthenticationError):
            hall.auth.log_in(username, f"wrong{i}")


def _cell(page: StaffPage, username: str, column: str) -> str:
    col = page.rows._headers.index(column)
    for row in range(page.rows.rowCount()):
        if page.rows.payload(row).username == username:
            return str(page.rows.data(page.rows.index(row, col)))
    raise KeyError(username)


def _row(hall: HallApp, username: str) -> Staff:
    with hall.db.read() as s:
        row = s.scalars(select(Staff).where(Staff.username == username)).one()
        s.expunge(row)
        return row


def test_the_desk_lists_the_staff_page_for_supervisors_only(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    assert [p.shortcut for p in desk_pages(supervisor) if p.key == "staff"] == ["Alt+5"]
    assert [p for p in desk_pages(clerk) if p.key == "staff"] == []


def test_supervisor_unlocks_and_resets_then_the_clerk_chooses_a_password_at_login(
    qtbot: QtBot,
    hall: HallApp,
    supervisor: Actor,
    ops: Operations,
    session: Session,
    shown: ShownMessages,
) -> None:
    _lock(hall, "clerk2")
    _lock(hall, "clerk1")
    page = _page(qtbot, hall, supervisor, ops)
    assert _cell(page, "clerk2", "锁定").startswith("至 ")
    assert "锁定 2 人" in page.count.text()
    # No admin's methods for a supervisor; an admin's account is out of reach.
    assert not page.new_button.isVisible() and not page.role_button.isVisible()
    page.select("admin1")
    assert not page.reset_button.isEnabled() and not page.unlock_button.isEnabled()

    page.select("clerk1")
    qtbot.keyClick(page.table, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _cell(page, "clerk1", "锁定") == "—", timeout=WAIT)
    assert any("已解锁 林晓燕" in t for t in shown.texts())
    assert hall.auth.log_in("clerk1", DEMO_PASSWORD).username == "clerk1"

    page.select("clerk2")
    qtbot.mouseClick(page.reset_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, ResetPasswordDialog)
    qtbot.keyClicks(dialog.new, "Reset2026")
    qtbot.keyClick(dialog.new, Qt.Key.Key_Return)
    assert dialog.focusWidget() is dialog.repeat
    qtbot.keyClicks(dialog.repeat, "Reset2027")
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.error.text() != "", timeout=WAIT)
    assert "两次输入的密码不一致" in dialog.error.text()
    assert not _row(hall, "clerk2").must_change_password  # nothing saved
    qtbot.keyClicks(dialog.repeat, "Reset2026")
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.dialog is None, timeout=WAIT)
    qtbot.waitUntil(lambda: _cell(page, "clerk2", "须改密码") == "是", timeout=WAIT)
    assert _cell(page, "clerk2", "锁定") == "—"  # the reset unlocked it too
    assert any("已重置 陈志强" in t for t in shown.texts())

    # The clerk logs in with the reset password: asked for a new one twice, no window yet.
    login = session.show_login()
    qtbot.addWidget(login)
    qtbot.keyClicks(login.username, "clerk2")
    qtbot.keyClicks(login.password, "Reset2026")
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: login.change_dialog is not None, timeout=WAIT)
    change = login.change_dialog
    assert isinstance(change, ChangePasswordDialog)
    assert session.window is None
    assert not change.old.isVisibleTo(change)  # the password just typed is the old one
    qtbot.keyClicks(change.new, "clerk2abc9")
    qtbot.keyClick(change.new, Qt.Key.Key_Return)
    qtbot.keyClicks(change.repeat, "clerk2abc9")
    qtbot.keyClick(change.repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: change.error.text() != "", timeout=WAIT)
    assert "不能包含用户名" in change.error.text() and session.window is None
    qtbot.keyClicks(change.new, "Mine2026x")
    qtbot.keyClick(change.new, Qt.Key.Key_Return)
    qtbot.keyClicks(change.repeat, "Mine2026x")
    qtbot.keyClick(change.repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: session.window is not None, timeout=WAIT)
    assert session.window is not None
    qtbot.addWidget(session.window)
    assert session.window.actor.username == "clerk2"
    assert not session.window.actor.must_change_password
    assert not _row(hall, "clerk2").must_change_password
    assert hall.auth.log_in("clerk2", "Mine2026x").username == "clerk2"


def test_no_window_without_the_new_password(
    qtbot: QtBot, hall: HallApp, supervisor: Actor, session: Session
) -> None:
    clerk2 = _row(hall, "clerk2").id
    hall.staff.reset_password(supervisor, clerk2, "Reset2026", "Reset2026")
    login = session.show_login()
    qtbot.addWidget(login)
    qtbot.keyClicks(login.username, "clerk2")
    qtbot.keyClicks(login.password, "Reset2026")
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: login.change_dialog is not None, timeout=WAIT)
    change = login.change_dialog
    assert change is not None
    qtbot.keyClick(change.new, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: login.change_dialog is None, timeout=WAIT)
    assert session.window is None and login.actor is None
    assert "须先设置新密码" in login.error_label.text()
    assert login.login_button.isEnabled()
    assert _row(hall, "clerk2").must_change_password  # still to change at the next login


def test_admin_opens_an_account_and_sets_role_and_counter(
    qtbot: QtBot, hall: HallApp, ops: Operations, shown: ShownMessages
) -> None:
    admin = hall.auth.log_in("admin1", DEMO_PASSWORD)
    page = _page(qtbot, hall, admin, ops)
    assert page.new_button.isVisible()
    before = page.rows.rowCount()
    qtbot.keyClick(page.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = page.dialog
    assert isinstance(dialog, NewStaffDialog)
    qtbot.keyClicks(dialog.username, "clerk9")
    qtbot.keyClick(dialog.username, Qt.Key.Key_Return)
    assert dialog.focusWidget() is dialog.full_name
    dialog.full_name.insert("赵新员")  # typed through the input method
    qtbot.keyClick(dialog.full_name, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.employee_no, "FZ0099")
    qtbot.keyClick(dialog.employee_no, Qt.Key.Key_Return)
    dialog.counter.setCurrentIndex(2)
    counter_name = dialog.counter.currentText()
    qtbot.keyClicks(dialog.password, "start2026a")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.repeat, "start2026a")
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.dialog is None, timeout=WAIT)
    qtbot.waitUntil(lambda: page.rows.rowCount() == before + 1, timeout=WAIT)
    assert _cell(page, "clerk9", "须改密码") == "是"
    assert _cell(page, "clerk9", "默认窗口") in counter_name
    assert any("已新建 赵新员" in t for t in shown.texts())
    assert hall.auth.log_in("clerk9", "start2026a").must_change_password

    page.select("clerk9")
    qtbot.mouseClick(page.role_button, Qt.MouseButton.LeftButton)
    choice = page.dialog
    assert choice is not None and hasattr(choice, "box")
    box = choice.box
    box.setCurrentIndex(box.findText(Role.SUPERVISOR.label))
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _cell(page, "clerk9", "角色") == "值班主管", timeout=WAIT)

    page.activateWindow()
    page.table.setFocus()
    qtbot.waitUntil(page.table.hasFocus, timeout=WAIT)
    qtbot.keyClick(page.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # 停用
    qtbot.waitUntil(lambda: _cell(page, "clerk9", "状态") == "已停用", timeout=WAIT)
    assert page.active_button.text().startswith("启用")
    assert _row(hall, "clerk9").active is False

    page.select("admin1")  # oneself: neither deactivated nor demoted
    assert not page.active_button.isEnabled() and not page.role_button.isEnabled()


def test_supervisor_changes_their_own_password_from_the_page(
    qtbot: QtBot, hall: HallApp, supervisor: Actor, ops: Operations, shown: ShownMessages
) -> None:
    page = _page(qtbot, hall, supervisor, ops)
    qtbot.mouseClick(page.own_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, ChangePasswordDialog)
    assert dialog.old.isVisibleTo(dialog)  # not forced: the old password is asked for
    qtbot.keyClicks(dialog.old, "wrong-one")
    qtbot.keyClick(dialog.old, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.new, "Mine2026x")
    qtbot.keyClick(dialog.new, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.repeat, "Mine2026x")
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.error.text() != "", timeout=WAIT)
    assert "原密码不正确" in dialog.error.text() and dialog.focusWidget() is dialog.old
    qtbot.keyClicks(dialog.old, DEMO_PASSWORD)  # replaces the selected wrong one
    qtbot.keyClick(dialog.old, Qt.Key.Key_Return)
    qtbot.keyClick(dialog.new, Qt.Key.Key_Return)  # the new one twice is still there: sent
    qtbot.waitUntil(lambda: page.dialog is None, timeout=WAIT)
    assert "密码已修改" in shown.texts()
    assert hall.auth.log_in("super1", "Mine2026x").username == "super1"
