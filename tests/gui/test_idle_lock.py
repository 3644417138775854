"""The idle lock, as the clerk meets it: nobody touches the counter for the idle time, every
window of the session goes and the lock screen asks for the password; the right password
brings the open 开户 wizard back on its page with what was typed, a wrong one is refused and
counted, and another staff member may take over (the first one's work is discarded)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import AuditEntry, Customer
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.devices.id_reader import SimulatedIdCardReader
from hall_app.domain.enums import TicketStatus
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_wizard import card_of, next_page, tick
from tests.integration.test_open_mobile import _customer_without_mobile
from ui.app import Session
from ui.lock.controller import SessionLock
from ui.lock.idle import IdleWatcher
from ui.main_window.window import MainWindow
from ui.ops import Operations

WAIT = 10_000
IDLE = 5 * 60.0  # the default: five minutes
SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"


class FakeTime:
    """The idle lock's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def locking(
    hall: HallApp, ops: Operations, qtbot: QtBot, fake_time: FakeTime
) -> Iterator[tuple[Session, SimulatedIdCardReader]]:
    reader = SimulatedIdCardReader([])
    settings = replace(hall.settings, rules=replace(hall.settings.rules, idle_lock_minutes=5))
    s = Session(replace(hall, id_reader=reader, settings=settings), ops)
    s.idle_clock = fake_time
    yield s, reader
    ops.wait_idle()
    if s.lock is not None:
        s.lock.stop()
    if s.window is not None:
        s.window.leave_confirmed = True
        s.window.close()
    if s.login is not None:
        s.login.close()


def _visible_windows() -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if w.isVisible()]


def _texts(widget: QWidget) -> str:
    parts = [widget.windowTitle()]
    parts += [label.text() for label in widget.findChildren(QLabel)]
    parts += [field.text() for field in widget.findChildren(QLineEdit)]
    return "\n".join(parts)


def _idle(qtbot: QtBot, session: Session, fake_time: FakeTime, seconds: float) -> None:
    fake_time.now += seconds
    lock = session.lock
    assert lock is not None
    lock.watcher.check()  # what its timer does at most a second later


def _lock(qtbot: QtBot, session: Session, fake_time: FakeTime) -> SessionLock:
    _idle(qtbot, session, fake_time, IDLE + 1)
    lock = session.lock
    assert lock is not None and lock.screen is not None
    screen = lock.screen
    qtbot.waitUntil(lambda: QApplication.activeWindow() is screen, timeout=WAIT)
    assert QApplication.focusWidget() is screen.password  # the clerk just types
    return lock


def _log_in(qtbot: QtBot, session: Session) -> MainWindow:
    """As tests.gui.test_customer_search._logged_in, without handing the window to qtbot
    (a take-over deletes it; the fixture closes what is left)."""
    login = session.show_login()
    qtbot.keyClicks(login.username, "clerk1")
    qtbot.keyClicks(login.password, DEMO_PASSWORD)
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: session.window is not None, timeout=WAIT)
    assert session.window is not None
    return session.window


def _wizard_on_number_page(
    qtbot: QtBot, session: Session, reader: SimulatedIdCardReader
) -> tuple[object, str]:
    hall = session.hall
    assert hall is not None
    customer_id = _customer_without_mobile(hall)
    reader.present(card_of(hall, customer_id))
    hall.queue.issue_ticket(hall.auth.log_in("super2", DEMO_PASSWORD), "general")
    window = _log_in(qtbot, session)
    qtbot.keyClick(window, Qt.Key.Key_F2)  # call the ticket
    qtbot.waitUntil(lambda: window.queue.current is not None, timeout=WAIT)
    qtbot.keyClick(window, Qt.Key.Key_F5)  # the customer is at the counter
    qtbot.waitUntil(
        lambda: window.queue.current.status is TicketStatus.SERVING,  # type: ignore[union-attr]
        timeout=WAIT,
    )
    qtbot.keyClick(window, Qt.Key.Key_F9)  # read the ID card
    page = window.customers
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    qtbot.waitUntil(page.open_mobile_button.isEnabled, timeout=WAIT)
    # a busy dialog of a slow read may have taken the activation (offscreen, no window
    # manager gives it back)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)
    qtbot.keyClick(page, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.wizard is not None and window.wizard.isVisible(), timeout=WAIT)
    wizard = window.wizard
    assert wizard is not None
    elig = wizard.eligibility
    qtbot.waitUntil(lambda: elig.verdict.text().startswith("可以办理"), timeout=WAIT)
    tick(qtbot, elig.face_passed)
    next_page(qtbot, wizard)
    assert wizard.current is wizard.number
    qtbot.keyClicks(wizard.number.fields["prefix"], "1398")
    with hall.db.read() as s:
        name = s.get_one(Customer, customer_id).name
    return wizard, name


def test_the_idle_time_locks_and_any_input_puts_it_off(
    qtbot: QtBot, locking: tuple[Session, SimulatedIdCardReader], fake_time: FakeTime
) -> None:
    session, _reader = locking
    window = _logged_in(qtbot, session)
    lock = session.lock
    assert lock is not None and lock.watcher.idle_seconds == IDLE and lock.watcher.watching
    _idle(qtbot, session, fake_time, IDLE - 10)
    assert not lock.locked
    qtbot.keyClick(window.customers, Qt.Key.Key_Shift)  # the clerk is there
    _idle(qtbot, session, fake_time, IDLE - 10)
    assert not lock.locked and window.isVisible()
    # the real timer notices without the test's help
    fake_time.now += 20
    qtbot.waitUntil(lambda: lock.locked, timeout=3_000)
    assert not window.isVisible()


def test_the_lock_shows_no_data_and_the_password_brings_the_wizard_back(
    qtbot: QtBot,
    locking: tuple[Session, SimulatedIdCardReader],
    fake_time: FakeTime,
    shown: ShownMessages,
) -> None:
    session, reader = locking
    wizard, name = _wizard_on_number_page(qtbot, session, reader)
    window = session.window
    assert window is not None
    assert name in _texts(window) or name in _texts(wizard)  # type: ignore[arg-type]

    lock = _lock(qtbot, session, fake_time)
    screen = lock.screen
    assert screen is not None
    # nothing of the session is on screen: only the lock, which names the counter and clerk
    assert _visible_windows() == [screen]
    assert screen.title.text() == "已锁定 — 窗口 1号窗口，员工 林晓燕"
    assert name not in _texts(screen)
    image = screen.grab()
    assert not image.isNull()
    SCREENS.mkdir(parents=True, exist_ok=True)
    screen.resize(1366, 768)
    screen.grab().save(str(SCREENS / "idle-lock-1366.png"))

    # a wrong password is refused and counted like a failed login
    qtbot.keyClicks(screen.password, "wrong-one")
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "用户名或密码错误" in screen.error_label.text(), timeout=WAIT)
    assert lock.locked and _visible_windows() == [screen]

    # the right one: everything back where it was
    screen.password.clear()
    qtbot.keyClicks(screen.password, DEMO_PASSWORD)
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not lock.locked, timeout=WAIT)
    assert window.isVisible() and wizard.isVisible()  # type: ignore[attr-defined]
    assert wizard.current is wizard.number  # type: ignore[attr-defined]
    assert wizard.number.fields["prefix"].text() == "1398"  # type: ignore[attr-defined]
    assert lock.watcher.watching  # and it watches again
    hall = session.hall
    assert hall is not None
    with hall.db.read() as s:
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.actor_name == "clerk1")
        ).all()
    assert {"auth.session_locked", "auth.login_failed", "auth.session_unlocked"} <= set(actions)


def test_another_staff_member_takes_over_and_the_first_ones_work_is_discarded(
    qtbot: QtBot,
    locking: tuple[Session, SimulatedIdCardReader],
    fake_time: FakeTime,
    shown: ShownMessages,
) -> None:
    session, reader = locking
    wizard, name = _wizard_on_number_page(qtbot, session, reader)
    first = session.window
    lock = _lock(qtbot, session, fake_time)
    screen = lock.screen
    assert screen is not None
    qtbot.keyClick(screen, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    assert screen.switch_box.isVisible()
    qtbot.keyClicks(screen.other_user, "clerk2")
    qtbot.keyClick(screen.other_user, Qt.Key.Key_Return)
    qtbot.keyClicks(screen.other_password, DEMO_PASSWORD)
    qtbot.keyClick(screen.other_password, Qt.Key.Key_Return)
    assert any("未保存的业务将被放弃" in text for text in shown.texts())  # asked first
    qtbot.waitUntil(
        lambda: session.window is not None and session.window is not first, timeout=WAIT
    )
    window = session.window
    assert window is not None and window.actor.username == "clerk2" and window.isVisible()
    assert session.lock is not None and session.lock is not lock and not session.lock.locked
    # discarded with the first one's window
    qtbot.waitUntil(lambda: not shiboken6.isValid(wizard), timeout=WAIT)
    assert name not in "\n".join(_texts(w) for w in _visible_windows())
    hall = session.hall
    assert hall is not None
    with hall.db.read() as s:
        after = s.scalars(
            select(AuditEntry.after).where(
                AuditEntry.action == "auth.logout", AuditEntry.actor_name == "clerk1"
            )
        ).all()
    assert {"reason": "switched", "by": "clerk2"} in after


def test_no_idle_time_never_locks(qtbot: QtBot) -> None:
    watcher = IdleWatcher(0, clock=FakeTime())
    watcher.start()
    assert not watcher.enabled and not watcher.watching
    fired: list[int] = []
    watcher.idle.connect(lambda: fired.append(1))
    watcher.check()
    assert fired == []


def test_what_happens_while_locked_stays_hidden_and_is_told_after(
    qtbot: QtBot,
    locking: tuple[Session, SimulatedIdCardReader],
    fake_time: FakeTime,
    shown: ShownMessages,
) -> None:
    """A message that pops up while locked is hidden and told after unlocking; a dialog that
    its own code closed while locked does not come back; locking takes no time to speak of."""
    session, _reader = locking
    window = _logged_in(qtbot, session)
    dialog = QDialog(window)
    dialog.setWindowTitle("某个对话框")
    dialog.open()
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    menu = QWidget(dialog, Qt.WindowType.ToolTip)  # a tooltip (a menu, alike) is open
    menu.show()
    qtbot.waitUntil(menu.isVisible, timeout=WAIT)
    started = time.perf_counter()
    lock = _lock(qtbot, session, fake_time)
    assert lock.hidden == [window, dialog]  # an open tooltip or menu is just gone
    assert not menu.isVisible()
    box = QMessageBox(
        QMessageBox.Icon.Warning, "提示", "同步失败：中心库暂时无法连接", parent=window
    )
    box.show()  # e.g. a background write's failure
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=WAIT)
    dialog.reject()  # its own code ends it meanwhile
    screen = lock.screen
    assert screen is not None and _visible_windows() == [screen]
    qtbot.keyClicks(screen.password, DEMO_PASSWORD)
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not lock.locked, timeout=WAIT)
    assert window.isVisible() and not dialog.isVisible() and not menu.isVisible()
    assert ("warning", "提示", "同步失败：中心库暂时无法连接") in shown.items
    assert time.perf_counter() - started < 10  # the whole round, with the argon2 check


def test_locking_itself_is_quick_on_the_gui_thread(
    qtbot: QtBot, locking: tuple[Session, SimulatedIdCardReader], fake_time: FakeTime
) -> None:
    session, _reader = locking
    _logged_in(qtbot, session)
    lock = session.lock
    assert lock is not None
    # five minutes without input: nothing is under way any more
    qtbot.waitUntil(lambda: not session.ops.busy, timeout=WAIT)
    qtbot.wait(300)
    fake_time.now += IDLE + 1
    started = time.perf_counter()
    lock.watcher.check()
    took = time.perf_counter() - started
    assert lock.locked
    assert took < 0.05, f"locking took {took * 1000:.0f} ms on the GUI thread"


def test_a_closed_session_never_locks(
    qtbot: QtBot, locking: tuple[Session, SimulatedIdCardReader], fake_time: FakeTime
) -> None:
    """The main window closed (the app quitting, a test's end): the lock of that session
    stops instead of hiding whatever windows are open then."""
    session, _reader = locking
    window = _logged_in(qtbot, session)
    lock = session.lock
    assert lock is not None
    window.leave_confirmed = True
    window.close()
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    fake_time.now += IDLE + 1
    lock.watcher.check()
    assert not lock.locked and other.isVisible() and not lock.watcher.watching


def test_a_take_over_by_someone_who_must_change_their_password_asks_for_it_first(
    qtbot: QtBot,
    locking: tuple[Session, SimulatedIdCardReader],
    fake_time: FakeTime,
    shown: ShownMessages,
) -> None:
    session, _reader = locking
    hall = session.hall
    assert hall is not None
    supervisor = hall.auth.log_in("super1", DEMO_PASSWORD)
    clerk2 = next(v for v in hall.staff.list_staff(supervisor) if v.username == "clerk2")
    hall.staff.reset_password(supervisor, clerk2.id, "Reset2026x", "Reset2026x")
    first = _log_in(qtbot, session)
    lock = _lock(qtbot, session, fake_time)
    screen = lock.screen
    assert screen is not None
    screen.show_switch()
    qtbot.keyClicks(screen.other_user, "clerk2")
    qtbot.keyClicks(screen.other_password, "Reset2026x")
    qtbot.keyClick(screen.other_password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.change_dialog is not None, timeout=WAIT)
    dialog = screen.change_dialog
    assert dialog is not None and session.window is first  # nobody's window yet
    qtbot.keyClicks(dialog.new, "Mine2026ok")
    qtbot.keyClicks(dialog.repeat, "Mine2026ok")
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: session.window is not None and session.window is not first, timeout=WAIT
    )
    window = session.window
    assert window is not None and window.actor.username == "clerk2"
    assert not window.actor.must_change_password
