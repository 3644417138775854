"""The customer screen's evaluation (服务评价): once the clerk finishes a ticket (F8), four big
buttons ask the customer to rate the visit while a countdown runs. One press counts; 不满意
then asks for a reason (choices or a typed one); then thanks. When the window passes without
a press, 未评价 is recorded. The screen goes to a second monitor when the counter has one
(the customer's), full screen; otherwise it is a window that leaves the keyboard to the clerk.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hall_app.domain.enums import Rating
from hall_app.domain.errors import HallError
from hall_app.services.evaluation import DISSATISFIED_REASONS, PRESSED, REASON_LIMIT
from ui.ops import Changes, Operations
from ui.screen import fit_to_screen
from ui.style import set_role

if TYPE_CHECKING:
    from hall_app.services.actor import Actor
    from hall_app.services.evaluation import EvaluationService, EvaluationView
    from hall_app.services.queue import TicketView

log = logging.getLogger("hall.ui.evaluation")
THANKS_MS = 4_000
TICK_MS = 250


class EvaluationScreen(QWidget):
    """The customer-facing window; ``ask(ticket)`` after each finish."""

    def __init__(
        self,
        service: EvaluationService,
        actor: Actor,
        ops: Operations,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("evaluationScreen")
        self.setWindowTitle(f"服务评价 — {actor.hall_name}")
        # On the clerk's only screen it must never take the keyboard from the counter.
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self._stay_on_top = False  # set for the clerk's only screen (see _show_on_customer_screen)
        self._service, self._actor, self._ops = service, actor, ops
        self.ticket: TicketView | None = None  # the visit being rated now
        self._deadline = 0.0  # time.monotonic() when the current window ends
        self._reasons: list[QPushButton] = []
        # Each asked ticket's 未评价 fires at its own window end (a quick next finish does
        # not lose the previous one).
        self._no_answer: dict[uuid.UUID, QTimer] = {}

        self.pages = QStackedWidget()
        self.pages.addWidget(self._welcome_page())
        self.pages.addWidget(self._rating_page())
        self.pages.addWidget(self._reason_page())
        self.pages.addWidget(self._thanks_page())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        layout.addWidget(self.pages)
        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self._tick)
        self._back = QTimer(self)
        self._back.setSingleShot(True)
        self._back.timeout.connect(self._welcome)
        fit_to_screen(self, QSize(1000, 640))

    # -- pages --------------------------------------------------------------------------------
    def _welcome_page(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        title = QLabel(f"欢迎光临 {self._actor.hall_name}")
        title.setObjectName("evaluationTitle")
        who = QLabel(f"{self._actor.counter_name}　营业员 {self._actor.full_name}")
        who.setObjectName("evaluationHint")
        for label in (title, who):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            col.addWidget(label)
        return page

    def _rating_page(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        title = QLabel("请您对本次服务进行评价")
        title.setObjectName("evaluationTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.served_label = QLabel("")
        self.served_label.setObjectName("evaluationHint")
        self.served_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        grid = QGridLayout()
        grid.setSpacing(24)
        self.buttons: dict[Rating, QPushButton] = {}
        for i, rating in enumerate(PRESSED):
            button = QPushButton(rating.label)
            button.setObjectName(f"rate_{rating.value}")
            button.setProperty("rating", rating.value)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the customer touches, never types
            button.clicked.connect(lambda _c=False, r=rating: self.press(r))
            grid.addWidget(button, 0, i)
            self.buttons[rating] = button
        self.countdown = QLabel("")
        self.countdown.setObjectName("evaluationCountdown")
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.rating_notice = QLabel("")
        self.rating_notice.setObjectName("evaluationNotice")
        self.rating_notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.rating_notice.setWordWrap(True)
        col.addWidget(title)
        col.addWidget(self.served_label)
        col.addSpacing(24)
        col.addLayout(grid, 1)
        col.addWidget(self.countdown)
        col.addWidget(self.rating_notice)
        return page

    def _reason_page(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        title = QLabel("很抱歉让您不满意，请告诉我们原因")
        title.setObjectName("evaluationTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        grid = QGridLayout()
        grid.setSpacing(16)
        for i, text in enumerate(DISSATISFIED_REASONS):
            button = QPushButton(text)
            button.setObjectName("evaluationReason")
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            grid.addWidget(button, i // 3, i % 3)
            self._reasons.append(button)
        self.reason_text = QLineEdit()
        self.reason_text.setObjectName("evaluationReasonText")
        self.reason_text.setPlaceholderText("其他原因（可选）")
        self.reason_text.setMaxLength(80)
        self.submit_button = QPushButton("提交")
        self.submit_button.setObjectName("evaluationSubmit")
        self.submit_button.clicked.connect(self.submit_reason)
        row = QHBoxLayout()
        row.addWidget(self.reason_text, 1)
        row.addWidget(self.submit_button)
        self.reason_countdown = QLabel("")
        self.reason_countdown.setObjectName("evaluationCountdown")
        self.reason_countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.reason_notice = QLabel("")
        self.reason_notice.setObjectName("evaluationNotice")
        self.reason_notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.reason_notice.setWordWrap(True)
        col.addWidget(title)
        col.addSpacing(16)
        col.addLayout(grid)
        col.addLayout(row)
        col.addStretch(1)
        col.addWidget(self.reason_countdown)
        col.addWidget(self.reason_notice)
        return page

    def _thanks_page(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        self.thanks = QLabel("感谢您的评价，欢迎再次光临！")
        self.thanks.setObjectName("evaluationTitle")
        self.thanks.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thanks.setWordWrap(True)
        col.addWidget(self.thanks)
        return page

    # -- the visit ----------------------------------------------------------------------------
    def ask(self, ticket: TicketView) -> None:
        """The clerk finished ``ticket``: ask the customer, for the configured window."""
        self.ticket = ticket
        window_s = self._service.window.total_seconds()
        self._deadline = time.monotonic() + window_s
        self.served_label.setText(
            f"{ticket.ticket_no}　{self._actor.counter_name}　营业员 {self._actor.full_name}"
        )
        self.rating_notice.setText("")
        for button in self.buttons.values():
            button.setEnabled(True)
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(lambda t=ticket.id: self._window_passed(t))
        timer.start(int(window_s * 1000) + 200)  # just after the service's own window ends
        self._no_answer[ticket.id] = timer
        self._back.stop()
        self.pages.setCurrentIndex(1)
        self._tick()
        self._ticker.start()
        self._show_on_customer_screen()

    def press(self, rating: Rating) -> None:
        """The customer's one press."""
        ticket = self.ticket
        if ticket is None or self.pages.currentIndex() != 1:
            return
        for button in self.buttons.values():
            button.setEnabled(False)  # one press counts
        self._cancel_no_answer(ticket.id)
        service, actor, ticket_id = self._service, self._actor, ticket.id

        def done(_view: EvaluationView) -> None:
            if rating is Rating.DISSATISFIED:
                self._ask_reason()
            else:
                self._thank("感谢您的评价，欢迎再次光临！")

        self._ops.mutate(
            lambda: service.rate(actor, ticket_id, rating),
            done,
            self._refused,
            changes=Changes.EVALUATIONS,
            parent=self,
            initiator=self,
        )

    def _ask_reason(self) -> None:
        for button in self._reasons:
            button.setChecked(False)
        self.reason_text.clear()
        self.reason_notice.setText("")
        self.submit_button.setEnabled(True)
        self._deadline = time.monotonic() + self._service.window.total_seconds()
        self.pages.setCurrentIndex(2)
        self._tick()
        self._ticker.start()

    def submit_reason(self) -> None:
        ticket = self.ticket
        if ticket is None or self.pages.currentIndex() != 2:
            return
        chosen = [b.text() for b in self._reasons if b.isChecked()]
        typed = self.reason_text.text().strip()
        note = "；".join([*chosen, typed] if typed else chosen)[:REASON_LIMIT]
        if not note:
            set_role(self.reason_notice, "warn")
            self.reason_notice.setText("请选择或填写原因后提交")
            return
        self.submit_button.setEnabled(False)
        service, actor, ticket_id = self._service, self._actor, ticket.id
        self._ops.mutate(
            lambda: service.give_reason(actor, ticket_id, note),
            lambda _v: self._thank("感谢您的意见，我们会尽快改进！"),
            self._reason_refused,
            changes=Changes.EVALUATIONS,
            parent=self,
            initiator=self,
        )

    def _thank(self, text: str) -> None:
        self._ticker.stop()
        self.thanks.setText(text)
        self.pages.setCurrentIndex(3)
        self._back.start(THANKS_MS)

    def _welcome(self) -> None:
        """Between visits: the welcome on the customer's monitor; on the clerk's only screen
        the window goes away until the next finish."""
        self._ticker.stop()
        self.ticket = None
        self.pages.setCurrentIndex(0)
        if len(QGuiApplication.screens()) < 2:
            self.hide()

    def _tick(self) -> None:
        left = max(0, int(self._deadline - time.monotonic() + 0.999))
        if self.pages.currentIndex() == 1:
            self.countdown.setText(f"请在 {left} 秒内选择")
            if left == 0:
                for button in self.buttons.values():
                    button.setEnabled(False)
                self._ticker.stop()
        elif self.pages.currentIndex() == 2:
            self.reason_countdown.setText(f"剩余 {left} 秒")
            if left == 0:  # the press stands, without a reason
                self._thank("感谢您的评价，欢迎再次光临！")

    def _window_passed(self, ticket_id: uuid.UUID) -> None:
        """No press in the window: 未评价."""
        self._no_answer.pop(ticket_id, None)
        service, actor = self._service, self._actor

        def done(_view: EvaluationView) -> None:
            if self.ticket is not None and self.ticket.id == ticket_id:
                self._thank("本次未评价，感谢您的光临！")

        self._ops.mutate(
            lambda: service.no_answer(actor, ticket_id),
            done,
            lambda exc: log.info("no answer not recorded for %s: %s", ticket_id, exc.text),
            changes=Changes.EVALUATIONS,
            parent=self,
            initiator=self,
        )

    def _cancel_no_answer(self, ticket_id: uuid.UUID) -> None:
        timer = self._no_answer.pop(ticket_id, None)
        if timer is not None:
            timer.stop()
            timer.deleteLater()

    def _refused(self, exc: HallError) -> None:
        set_role(self.rating_notice, "warn")
        self.rating_notice.setText(exc.message)
        self._ticker.stop()
        self._back.start(THANKS_MS)

    def _reason_refused(self, exc: HallError) -> None:
        set_role(self.reason_notice, "warn")
        self.reason_notice.setText(exc.message)
        self._back.start(THANKS_MS)

    def stop(self) -> None:
        self._ticker.stop()
        self._back.stop()
        for timer in self._no_answer.values():
            timer.stop()

    def _show_on_customer_screen(self) -> None:
        """Full screen on the second monitor (the customer's) when there is one."""
        screens = QGuiApplication.screens()
        if len(screens) > 1:
            other = next((s for s in screens if s != QGuiApplication.primaryScreen()), None)
            if other is not None:
                self.setGeometry(other.geometry())
                self.showFullScreen()
        else:
            # The clerk's only screen: the window must stay above the clerk's window it hands
            # the keyboard back to, or the window manager stacks it underneath.
            if not self._stay_on_top:
                self._stay_on_top = True
                self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
            if not self.isVisible():
                self.show()
            self.raise_()
        parent = self.parentWidget()
        if parent is not None:  # the keyboard stays with the clerk's window (F2 calls next)
            parent.window().activateWindow()
