"""Transferring the called ticket from the keyboard: Shift+F2, arrows, Enter (or Esc)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.db.models import Counter, QueueTicket, ServiceType
from hall_app.domain.enums import TicketStatus
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_wizard import WAIT
from ui.app import Session
from ui.main_window.window import MainWindow
from ui.queue.transfer import TransferDialog

SHIFT = Qt.KeyboardModifier.ShiftModifier


def _called(qtbot: QtBot, session: Session) -> tuple[MainWindow, object]:
    hall = session.hall
    assert hall is not None
    ticket = hall.queue.issue_ticket(hall.auth.log_in("super2", "hall1234"), "general")
    window = _logged_in(qtbot, session)
    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: window.queue.current is not None, timeout=WAIT)
    return window, ticket.id


def _dialog(qtbot: QtBot, window: MainWindow) -> TransferDialog:
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)
    qtbot.keyClick(window, Qt.Key.Key_F2, SHIFT)
    dialog = window.queue.transfer_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.chosen() is not None, timeout=WAIT)
    return dialog


def _move_to(qtbot: QtBot, dialog: TransferDialog, kind: str, code: str) -> str:
    for _ in range(dialog.targets.count()):
        chosen = dialog.chosen()
        assert chosen is not None
        if chosen[:2] == (kind, code):
            return chosen[2]
        qtbot.keyClick(dialog.targets, Qt.Key.Key_Down)
    raise AssertionError(f"{kind} {code} not offered")


def test_shift_f2_sends_the_called_ticket_to_another_window(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    window, ticket_id = _called(qtbot, session)
    dialog = _dialog(qtbot, window)
    offered = [dialog.targets.item(i).text() for i in range(dialog.targets.count())]
    assert offered[0] == "转到窗口"  # a heading, never chosen: the first window is
    assert dialog.chosen() is not None and dialog.chosen()[0] == "counter"  # type: ignore[index]
    assert window.actor.counter_name not in " ".join(offered[:5])  # not to itself
    name = _move_to(qtbot, dialog, "counter", "04")
    qtbot.keyClick(dialog.targets, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    panel = window.queue
    assert panel.current is None and panel.ticket_label.text() == "当前无顾客"
    assert panel.detail_label.text() == f"A001 已转至{name}"
    assert session.hall is not None
    session.ops.wait_idle()
    with session.hall.db.read() as s:
        t = s.get_one(QueueTicket, ticket_id)
        target = s.get_one(Counter, t.target_counter_id)
        assert (t.status, t.ticket_no, target.code) == (TicketStatus.WAITING, "A001", "04")
    # the ticket waits again: the bar's counts follow from the transfer's announcement
    qtbot.waitUntil(lambda: "A 1" in panel.waiting_label.text(), timeout=WAIT)
    assert shown.items == []


def test_a_ticket_goes_to_another_service_type_and_esc_cancels(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    window, ticket_id = _called(qtbot, session)
    dialog = _dialog(qtbot, window)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert window.queue.current is not None  # still called here
    assert session.hall is not None
    with session.hall.db.read() as s:
        assert s.get_one(QueueTicket, ticket_id).status is TicketStatus.CALLED

    dialog = _dialog(qtbot, window)
    codes = [
        d[1]
        for i in range(dialog.targets.count())
        if (d := dialog.targets.item(i).data(Qt.ItemDataRole.UserRole)) and d[0] == "service"
    ]
    assert "general" not in codes and "fixed" in codes  # not to where it already is
    _move_to(qtbot, dialog, "service", "fixed")
    qtbot.keyClick(dialog.targets, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.queue.current is None, timeout=WAIT)
    session.ops.wait_idle()
    with session.hall.db.read() as s:
        t = s.get_one(QueueTicket, ticket_id)
        code = s.scalar(select(ServiceType.code).where(ServiceType.id == t.service_type_id))
        assert (t.status, code, t.target_counter_id) == (TicketStatus.WAITING, "fixed", None)
    assert shown.items == []


def test_shift_f2_with_nobody_called_says_so_inline(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    window = _logged_in(qtbot, session)
    qtbot.keyClick(window, Qt.Key.Key_F2, SHIFT)
    assert window.queue.transfer_dialog is None
    assert window.queue.notice.text() == "转移：当前没有叫到的顾客，请先叫号 (F2)"
    assert window.queue.buttons["Shift+F2"].text() == "转移 (Shift+F2)"
    assert shown.items == []
