"""Working the queue from the keyboard: F2 calls, F4 recalls, F6 no-show, F8 finishes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

import ui.queue.panel as panel_module
from hall_app.db.models import QueueTicket, ServiceType
from hall_app.domain.enums import TicketStatus
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from ui import messages
from ui.app import Session


def test_call_recall_no_show_then_finish_the_next(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    hall = session.hall
    assert hall is not None
    reception = hall.auth.log_in("super2", "hall1234")
    first = hall.queue.issue_ticket(reception, "general")
    second = hall.queue.issue_ticket(reception, "billing")
    window = _logged_in(qtbot, session)  # clerk1 at window 1: general and billing
    panel = window.queue
    qtbot.waitUntil(lambda: "A 1" in panel.waiting_label.text(), timeout=10_000)

    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: panel.current is not None, timeout=10_000)
    assert panel.ticket_label.text() == "A001 综合业务"
    for expected in (1, 2):
        qtbot.keyClick(window, Qt.Key.Key_F4)
        qtbot.waitUntil(lambda e=expected: panel.current.recall_count == e, timeout=10_000)
    assert "已重呼 2 次" in panel.detail_label.text()
    qtbot.keyClick(window, Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: panel.current.status is TicketStatus.NO_SHOW, timeout=10_000)
    assert panel.ticket_label.text() == "当前无顾客"

    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: panel.current.ticket_no == "B001", timeout=10_000)
    qtbot.keyClick(window, Qt.Key.Key_F2)  # still serving B001: refused, nothing called
    assert panel.notice.text() == "请先办结或过号当前的 B001"
    assert shown.items == []  # said in the bar, no pop-up
    qtbot.keyClick(window, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: panel.current.status is TicketStatus.DONE, timeout=10_000)
    session.ops.wait_idle()
    with hall.db.read() as s:
        missed = s.get_one(QueueTicket, first.id)
        done = s.get_one(QueueTicket, second.id)
        assert (missed.ticket_no, missed.status) == ("A001", TicketStatus.NO_SHOW)
        assert missed.recall_count == 2
        assert (done.ticket_no, done.status) == ("B001", TicketStatus.DONE)
        assert done.finished_at is not None and done.counter_id == window.actor.counter_id


def test_f2_with_nobody_waiting_says_so(qtbot: QtBot, session: Session) -> None:
    window = _logged_in(qtbot, session)
    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: "没有等候" in window.queue.notice.text(), timeout=10_000)
    assert window.queue.current is None


def test_keys_out_of_order_are_answered_in_the_bar_not_in_pop_ups(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    window = _logged_in(qtbot, session)
    panel = window.queue
    for key in (Qt.Key.Key_F4, Qt.Key.Key_F5, Qt.Key.Key_F6, Qt.Key.Key_F8):
        panel.say("")
        qtbot.keyClick(window, key)
        assert panel.notice.text() == "当前没有叫到的顾客，请先叫号 (F2)"
    assert shown.items == []
    qtbot.keyClick(window, Qt.Key.Key_F2)  # nobody waiting: said in the same place
    qtbot.waitUntil(lambda: "没有等候" in panel.notice.text(), timeout=10_000)
    assert shown.items == []


def test_closing_the_window_mid_visit_asks_first(
    qtbot: QtBot, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    hall = session.hall
    assert hall is not None
    reception = hall.auth.log_in("super2", "hall1234")
    hall.queue.issue_ticket(reception, "general")
    window = _logged_in(qtbot, session)
    asked: list[str] = []
    answer = [False]

    def fake_show(kind: messages.Kind, parent: object, title: str, text: str) -> bool:
        assert kind is messages.Kind.QUESTION_DEFAULT_NO  # a stray Enter keeps the visit
        asked.append(text)
        return answer[0]

    monkeypatch.setattr(messages, "_show", fake_show)
    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: window.queue.current is not None, timeout=10_000)
    session.ops.wait_idle()
    qtbot.waitUntil(lambda: not session.ops.busy, timeout=10_000)
    assert not window.close()  # the clerk said no: the window stays
    assert window.isVisible() and asked == ["正在为 A001 办理业务，确定要退出系统吗？"]
    qtbot.mouseClick(window.findChild(QPushButton, "logoutButton"), Qt.MouseButton.LeftButton)
    assert session.window is window and len(asked) == 2 and "退出登录" in asked[1]
    answer[0] = True
    assert window.close()


def test_closing_an_idle_window_asks_nothing(qtbot: QtBot, session: Session) -> None:
    window = _logged_in(qtbot, session)
    assert window.close()  # no ticket, no wizard, no write under way; a real box would hang


def test_walk_in_offers_the_service_types_of_the_database(
    qtbot: QtBot, session: Session, shown: ShownMessages, monkeypatch: pytest.MonkeyPatch
) -> None:
    hall = session.hall
    assert hall is not None
    with hall.db.unit_of_work() as s:  # a type the code has never heard of
        s.add(ServiceType(code="enterprise", letter="E", name="政企业务", target_minutes=20))
    offered: list[list[str]] = []

    def pick(parent: object, title: str, label: str, items: list[str], *a: object) -> object:
        offered.append(list(items))
        return "E 政企业务", True

    monkeypatch.setattr(panel_module.QInputDialog, "getItem", pick)
    window = _logged_in(qtbot, session)
    qtbot.keyClick(window, Qt.Key.Key_F7)
    qtbot.waitUntil(lambda: window.queue.current is not None, timeout=10_000)
    assert offered and "E 政企业务" in offered[0] and "A 综合业务" in offered[0]
    current = window.queue.current
    assert current.service_code == "enterprise" and current.ticket_no == "E001"
    assert current.status is TicketStatus.SERVING and not shown.items


def test_a_ticket_called_before_a_restart_is_picked_up_again(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    """The service allows one ticket at a time: the queue bar must show the one this window
    still holds (called before the app was restarted), or F2 would be refused for good."""
    hall = session.hall
    assert hall is not None
    clerk = hall.auth.log_in("clerk1", "hall1234")
    held = hall.queue.issue_ticket(clerk, "general")
    assert hall.queue.call_next(clerk) is not None  # the app closed with A001 called
    nxt = hall.queue.issue_ticket(clerk, "general")
    window = _logged_in(qtbot, session)
    panel = window.queue
    qtbot.waitUntil(lambda: panel.current is not None, timeout=10_000)
    assert panel.current.id == held.id and panel.ticket_label.text() == "A001 综合业务"
    qtbot.keyClick(window, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: panel.current.status is TicketStatus.DONE, timeout=10_000)
    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: panel.current.id == nxt.id, timeout=10_000)
    assert not shown.items


def test_calling_the_next_ticket_clears_the_previous_customer(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    hall = session.hall
    assert hall is not None
    reception = hall.auth.log_in("super2", "hall1234")
    hall.queue.issue_ticket(reception, "general")
    hall.queue.issue_ticket(reception, "general")
    window = _logged_in(qtbot, session)
    page = window.customers
    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: window.queue.current is not None, timeout=10_000)
    qtbot.keyClicks(page.query, "zs")
    qtbot.keyClick(page.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.results.rowCount() > 0, timeout=10_000)
    page.open_customer(page.results.payload(0))
    qtbot.waitUntil(lambda: page.current is not None, timeout=10_000)
    qtbot.keyClick(window, Qt.Key.Key_F5)  # the same visit goes on: the record stays
    qtbot.waitUntil(lambda: window.queue.current.status is TicketStatus.SERVING, timeout=10_000)
    assert page.current is not None
    qtbot.keyClick(window, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: window.queue.current.status is TicketStatus.DONE, timeout=10_000)
    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: window.queue.current.ticket_no == "A002", timeout=10_000)
    assert page.current is None and page.results.rowCount() == 0 and page.query.text() == ""
    assert page.hint.text() == "A002：请查询客户或读身份证 (F9)"
    assert shown.items == []
