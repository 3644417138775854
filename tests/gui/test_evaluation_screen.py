"""The customer screen after F8: the customer presses 不满意 and gives a reason; a visit with no
press is recorded 未评价 when the window passes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from hall_app.app import HallApp
from hall_app.db.models import QueueTicket
from hall_app.domain.enums import Rating, TicketStatus
from hall_app.services.actor import Actor
from hall_app.services.evaluation import EvaluationService
from tests.conftest import FakeClock
from tests.gui.test_customer_search import _logged_in
from ui.app import Session
from ui.ops import Operations
from ui.queue.evaluation import EvaluationScreen


def test_f8_asks_the_customer_who_presses_once_and_says_why(qtbot: QtBot, session: Session) -> None:
    hall = session.hall
    assert hall is not None
    reception = hall.auth.log_in("super2", "hall1234")
    ticket = hall.queue.issue_ticket(reception, "general")
    window = _logged_in(qtbot, session)
    panel = window.queue
    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: panel.current is not None, timeout=10_000)
    assert panel.evaluation is None  # nothing to rate before the finish
    qtbot.keyClick(window, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: panel.evaluation is not None, timeout=10_000)
    screen = panel.evaluation
    assert screen is not None and screen.isVisible() and screen.pages.currentIndex() == 1
    assert "A001" in screen.served_label.text() and "林晓燕" in screen.served_label.text()
    assert screen.countdown.text() == "请在 30 秒内选择"

    qtbot.mouseClick(screen.buttons[Rating.DISSATISFIED], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.pages.currentIndex() == 2, timeout=10_000)
    # one press counts: the buttons are off, and the rating is stored already
    assert not screen.buttons[Rating.VERY_SATISFIED].isEnabled()
    with hall.db.read() as s:
        assert s.get_one(QueueTicket, ticket.id).rating is Rating.DISSATISFIED
    qtbot.mouseClick(screen.submit_button, Qt.MouseButton.LeftButton)  # nothing chosen yet
    assert screen.reason_notice.text() == "请选择或填写原因后提交"
    reason = next(b for b in screen._reasons if b.text() == "等候时间太长")
    qtbot.mouseClick(reason, Qt.MouseButton.LeftButton)
    screen.reason_text.insert("没有座位")  # typed through the IME: no key codes for it
    qtbot.mouseClick(screen.submit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.pages.currentIndex() == 3, timeout=10_000)
    assert screen.thanks.text() == "感谢您的意见，我们会尽快改进！"
    session.ops.wait_idle()
    with hall.db.read() as s:
        t = s.get_one(QueueTicket, ticket.id)
        assert (t.status, t.rating, t.rating_note) == (
            TicketStatus.DONE,
            Rating.DISSATISFIED,
            "等候时间太长；没有座位",
        )
        assert t.staff_id == window.actor.staff_id
    supervisor = hall.auth.log_in("super1", "hall1234")
    alerts = hall.evaluations.alerts(supervisor, ticket.issued_at.date())
    assert [a.note for a in alerts] == ["等候时间太长；没有座位"]


def test_no_press_is_recorded_as_no_answer(
    qtbot: QtBot, hall: HallApp, clerk: Actor, clock: FakeClock, ops: Operations
) -> None:
    quick = EvaluationService(
        hall.db, clock, replace(hall.settings.rules, evaluation_window_seconds=1)
    )
    hall.queue.issue_ticket(clerk, "general")
    called = hall.queue.call_next(clerk)
    assert called is not None
    done = hall.queue.finish(clerk, called.id)
    screen = EvaluationScreen(quick, clerk, ops)
    qtbot.addWidget(screen)
    screen.ask(done)
    assert screen.isVisible() and screen.countdown.text() == "请在 1 秒内选择"
    clock.now += timedelta(seconds=2)  # the service's clock passes the window too
    qtbot.waitUntil(lambda: screen.pages.currentIndex() == 3, timeout=10_000)
    assert screen.thanks.text() == "本次未评价，感谢您的光临！"
    ops.wait_idle()
    with hall.db.read() as s:
        assert s.get_one(QueueTicket, done.id).rating is Rating.NO_ANSWER
    # the clerk's only screen: the window leaves once it has thanked the customer
    qtbot.waitUntil(lambda: not screen.isVisible(), timeout=10_000)
    assert screen.pages.currentIndex() == 0 and screen.ticket is None
    screen.stop()
