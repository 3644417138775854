"""The counter's queue bar: call next (F2), recall (F4), start (F5), no-show (F6),
walk-in (F7), finish (F8), and how many wait for each service type. A finish asks the customer
for an evaluation on the customer screen (ui/queue/evaluation.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QInputDialog, QLabel, QPushButton, QWidget

from hall_app.domain.enums import TicketStatus
from ui.keys import shortcut
from ui.ops import ChangeEvent, Changes, Operations
from ui.queue.evaluation import EvaluationScreen
from ui.queue.transfer import TransferDialog
from ui.style import set_role

if TYPE_CHECKING:
    from hall_app.services.actor import Actor
    from hall_app.services.evaluation import EvaluationService
    from hall_app.services.queue import QueueService, ServiceTypeView, TicketView, WaitingCount

REFRESH_MS = 10_000
log = logging.getLogger("hall.ui.queue")


class QueuePanel(QFrame):
    ticket_changed = Signal(object)  # the current TicketView, or None

    def __init__(
        self,
        service: QueueService,
        actor: Actor,
        ops: Operations,
        parent: QWidget | None = None,
        evaluations: EvaluationService | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("queuePanel")
        self._service = service
        self._actor = actor
        self._ops = ops
        self.current: TicketView | None = None
        self.transfer_dialog: TransferDialog | None = None
        self._evaluations = evaluations
        self.evaluation: EvaluationScreen | None = None  # the customer screen, once needed

        self.ticket_label = QLabel("当前无顾客")
        self.ticket_label.setObjectName("currentTicket")
        self.detail_label = QLabel("")
        self.detail_label.setObjectName("ticketDetail")
        self.waiting_label = QLabel("")
        self.waiting_label.setObjectName("waitingCounts")
        self.notice = QLabel("")
        self.notice.setObjectName("queueNotice")
        for label in (self.detail_label, self.notice):
            label.setWordWrap(True)  # a long message wraps; it never widens the window
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout(self)
        row.addWidget(self.ticket_label)
        row.addWidget(self.detail_label)
        row.addWidget(self.notice)
        row.addStretch(1)
        row.addWidget(self.waiting_label)
        for key, text, slot in (
            ("F2", "叫号", self.call_next),
            ("Shift+F2", "转移", self.transfer),
            ("F4", "重呼", self.recall),
            ("F5", "开始办理", self.start),
            ("F6", "过号", self.no_show),
            ("F7", "散客", self.walk_in),
            ("F8", "办结", self.finish),
        ):
            button = QPushButton(f"{text} ({key})")
            button.setObjectName(f"queue{key}")
            button.clicked.connect(slot)
            row.addWidget(button)
            self.buttons[key] = button
            shortcut(self, key, slot)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh_counts)
        self._timer.start(REFRESH_MS)
        self._render()
        ops.changed.connect(self._on_changed)
        self.refresh_counts()
        service, actor = self._service, self._actor
        self._ops.query(lambda: service.current_ticket(actor), self._resume, parent=self)

    def _resume(self, ticket: TicketView | None) -> None:
        """A ticket called here before a restart is this counter's current one again."""
        if ticket is not None and self.current is None:
            self.current = ticket
            self.ticket_changed.emit(ticket)
            self._render()

    def stop(self) -> None:
        self._timer.stop()
        if self.evaluation is not None:
            self.evaluation.stop()
            self.evaluation.close()

    # -- actions ------------------------------------------------------------------------------
    def call_next(self) -> None:
        if self.current is not None and self.current.status in (
            TicketStatus.CALLED,
            TicketStatus.SERVING,
        ):
            self.say(f"请先办结或过号当前的 {self.current.ticket_no}")
            return
        service, actor = self._service, self._actor
        self._run(lambda: service.call_next(actor), empty_text="目前没有等候的顾客")

    def recall(self) -> None:
        self._on_current(lambda s, a, t: s.recall(a, t))

    def start(self) -> None:
        self._on_current(lambda s, a, t: s.start_service(a, t))

    def no_show(self) -> None:
        self._on_current(lambda s, a, t: s.mark_no_show(a, t))

    def finish(self) -> None:
        self._on_current(lambda s, a, t: s.finish(a, t), self._ask_evaluation)

    def _ask_evaluation(self, ticket: TicketView) -> None:
        """The visit is over: the customer screen asks the customer to rate it."""
        if self._evaluations is None or ticket.status is not TicketStatus.DONE:
            return
        if self.evaluation is None:
            self.evaluation = EvaluationScreen(self._evaluations, self._actor, self._ops, self)
        self.evaluation.ask(ticket)

    def walk_in(self) -> None:
        if self.current is not None and self.current.status in (
            TicketStatus.CALLED,
            TicketStatus.SERVING,
        ):
            self.say(f"请先办结或过号当前的 {self.current.ticket_no}")
            return
        service, actor = self._service, self._actor

        def choose(types: list[ServiceTypeView]) -> None:
            names = {f"{t.letter} {t.name}": t.code for t in types}
            choice, ok = QInputDialog.getItem(self, "散客", "办理业务类型：", list(names), 0, False)
            if ok and choice in names:
                code = names[choice]
                self._run(lambda: service.serve_walk_in(actor, code))

        self._ops.query(lambda: service.service_types(actor), choose, parent=self)

    # -- plumbing -----------------------------------------------------------------------------
    def _on_current(self, action: object, then: Callable[[TicketView], None] | None = None) -> None:
        if self.current is None:
            self.say("当前没有叫到的顾客，请先叫号 (F2)")
            return
        service, actor, ticket_id = self._service, self._actor, self.current.id
        assert callable(action)
        self._run(lambda: action(service, actor, ticket_id), then=then)

    def _run(
        self, fn: object, empty_text: str = "", then: Callable[[TicketView], None] | None = None
    ) -> None:
        assert callable(fn)
        self.say("")
        for button in self.buttons.values():
            button.setEnabled(False)

        def done(ticket: TicketView | None) -> None:
            if ticket is None:
                self.say(empty_text)
            else:
                self.current = ticket
                self.ticket_changed.emit(ticket)
                if then is not None:
                    then(ticket)
            self._render()

        self._ops.mutate(
            fn,
            done,
            lambda exc: self.say(exc.text),
            changes=Changes.QUEUE,
            parent=self,
            always=self._enable,
            initiator=self,
        )

    def say(self, text: str) -> None:
        """A message about the queue keys, in the bar itself: nothing to click away."""
        set_role(self.notice, "warn" if text else None)
        self.notice.setText(text)

    def _on_changed(self, event: ChangeEvent) -> None:
        if event.touches(Changes.QUEUE):
            self.refresh_counts()

    def _enable(self) -> None:
        for button in self.buttons.values():
            button.setEnabled(True)

    def _render(self) -> None:
        t = self.current
        if t is None or t.status in (TicketStatus.DONE, TicketStatus.NO_SHOW):
            if t is not None:
                self.detail_label.setText(f"{t.ticket_no} {t.status.label}")
            self.ticket_label.setText("当前无顾客")
            return
        self.ticket_label.setText(f"{t.ticket_no} {t.service_name}")
        recalls = f"，已重呼 {t.recall_count} 次" if t.recall_count else ""
        walk = "散客，" if t.is_walk_in else ""
        self.detail_label.setText(f"{walk}{t.status.label}{recalls}")

    def refresh_counts(self) -> None:
        service, actor = self._service, self._actor
        self._ops.query(
            lambda: service.waiting_counts(actor),
            self._show_counts,
            lambda exc: log.info("waiting counts not refreshed: %s", exc.text),
            parent=self,
        )

    def _show_counts(self, counts: list[WaitingCount]) -> None:
        self.waiting_label.setText("等候：" + "  ".join(f"{c.letter} {c.waiting}" for c in counts))

    # -- transfer (Shift+F2) ------------------------------------------------------------------
    def transfer(self) -> None:
        """The called ticket to another window or service type (said inline when it cannot)."""
        t = self.current
        if t is not None and t.status is TicketStatus.SERVING:
            self.say(f"转移：{t.ticket_no} 已开始办理，不能再转移")
            return
        if t is None or t.status is not TicketStatus.CALLED:
            self.say("转移：当前没有叫到的顾客，请先叫号 (F2)")
            return
        self.say("")
        if self.transfer_dialog is not None:
            self.transfer_dialog.deleteLater()
        dialog = TransferDialog(self._service, self._actor, self._ops, t, self)
        dialog.transferred.connect(self._transferred)
        # the keyboard back to the counter's window once the dialog has gone
        dialog.finished.connect(lambda _r: QTimer.singleShot(0, self.window().activateWindow))
        self.transfer_dialog = dialog
        dialog.open()

    def _transferred(self, ticket: TicketView, where: str) -> None:
        self.current = None
        self.ticket_changed.emit(None)
        self._render()
        self.detail_label.setText(f"{ticket.ticket_no} 已转至{where}")
        # the counts refresh from the transfer's announcement (_on_changed)
