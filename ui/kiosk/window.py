"""Kiosk mode (取号机): the customer touches a service and takes a printed ticket slip with a
barcode, the number of people ahead and the estimated wait. Big targets, no keyboard needed.
Staff leave kiosk mode with Ctrl+Shift+L."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hall_app.app import HallApp
from hall_app.domain.errors import HallError
from hall_app.services.actor import Actor
from hall_app.services.queue import TicketView, WaitingCount
from ui.documents.preview import print_pdf
from ui.keys import shortcut
from ui.ops import ChangeEvent, Changes, Operations
from ui.style import set_role

log = logging.getLogger("hall.ui.kiosk")
REFRESH_MS = 10_000
RESULT_SHOWN_MS = 8_000


def default_printer() -> QPrinter:
    """The kiosk's own slip printer: the system default, no dialog."""
    return QPrinter(QPrinter.PrinterMode.HighResolution)


class KioskWindow(QWidget):
    logout_requested = Signal()

    def __init__(
        self,
        app: HallApp,
        actor: Actor,
        ops: Operations,
        printer_factory: Callable[[], QPrinter] = default_printer,
    ) -> None:
        super().__init__()
        self.setObjectName("kioskWindow")
        self.setWindowTitle(f"自助取号 — {actor.hall_name}")
        self._app, self._actor, self._ops = app, actor, ops
        self._printer_factory = printer_factory
        title = QLabel(f"欢迎光临 {actor.hall_name}")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setObjectName("kioskTitle")
        hint = QLabel("请选择您要办理的业务，取号后请留意叫号")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setObjectName("kioskHint")
        self.grid = QGridLayout()
        self.grid.setSpacing(24)
        self.buttons: dict[str, QPushButton] = {}
        self.result = QLabel("")
        self.result.setObjectName("kioskResult")
        self.result.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.result.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(60, 40, 60, 40)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addSpacing(24)
        layout.addLayout(self.grid, 1)
        layout.addWidget(self.result)
        self.last_slip: bytes | None = None
        self.last_ticket: TicketView | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(REFRESH_MS)
        self._clear = QTimer(self)
        self._clear.setSingleShot(True)
        self._clear.timeout.connect(self.result.clear)
        shortcut(self, "Ctrl+Shift+L", self.logout_requested.emit)
        # Tickets issued in this app (its own, a demo arrival, a walk-in) are announced; the
        # poll is for those of other machines.
        ops.changed.connect(self._on_changed)
        self.refresh()

    def _on_changed(self, event: ChangeEvent) -> None:
        if event.touches(Changes.QUEUE):
            self.refresh()

    def refresh(self) -> None:
        queue, actor = self._app.queue, self._actor
        # Counts are a convenience: a typed error (e.g. a dead link) keeps the last ones shown.
        self._ops.query(
            lambda: queue.waiting_counts(actor),
            self._show_counts,
            lambda exc: log.info("waiting counts not refreshed: %s", exc.text),
            parent=self,
        )

    def _show_counts(self, counts: list[WaitingCount]) -> None:
        for i, c in enumerate(counts):
            button = self.buttons.get(c.service_code)
            if button is None:
                button = QPushButton()
                button.setObjectName(f"kiosk_{c.service_code}")
                button.setProperty("service", "1")
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                button.clicked.connect(lambda _c=False, code=c.service_code: self.take(code))
                self.grid.addWidget(button, i // 2, i % 2)
                self.buttons[c.service_code] = button
            button.setText(f"{c.service_name}\n等候 {c.waiting} 人")

    def take(self, service_code: str) -> None:
        """Issue the ticket, render its slip and print it, all off the GUI thread."""
        for button in self.buttons.values():
            button.setEnabled(False)
        set_role(self.result, "busy")
        self.result.setText("正在出票，请稍候…")
        app, actor = self._app, self._actor
        printer = self._printer_factory()
        self._printer = printer  # alive until the worker has printed

        def work() -> tuple[TicketView, bytes, int]:
            ticket = app.queue.issue_ticket(actor, service_code)
            # From here on the ticket stands: whatever fails, the screen shows its number.
            try:
                slip = app.documents.ticket_slip(actor, ticket)
                print_pdf(slip, printer)
            except Exception:
                log.exception("ticket slip could not be printed")
                return ticket, b"", 0
            return ticket, slip, 1

        outcome: list[str] = []

        def done(result: tuple[TicketView, bytes, int]) -> None:
            outcome.append("issued")
            ticket, slip, printed = result
            self.last_ticket, self.last_slip = ticket, slip or None
            self._enable()
            wait = (
                "即将叫号"
                if ticket.estimated_wait_minutes <= 0
                else f"预计等候约 {ticket.estimated_wait_minutes} 分钟"
            )
            take = "请取走号票" if printed else "号票打印失败，请记下您的号码"
            set_role(self.result, "ok" if printed else "warn")
            self.result.setText(
                f"您的号码 {ticket.ticket_no}（{ticket.service_name}）\n"
                f"前面还有 {ticket.waiting_ahead} 人，{wait}。{take}"
            )
            self._clear.start(RESULT_SHOWN_MS)

        def failed(exc: HallError) -> None:
            outcome.append("refused")
            self._enable()
            set_role(self.result, "error")
            self.result.setText(f"暂时无法取号：{exc.message}。请到咨询台取号")
            self._clear.start(RESULT_SHOWN_MS)

        def after() -> None:
            if outcome:
                return
            # A bug: the crash dialog and the log have it; the customer is sent to the desk.
            self._enable()
            set_role(self.result, "error")
            self.result.setText("取号机故障，请到咨询台取号")
            self._clear.start(RESULT_SHOWN_MS)

        self._ops.mutate(
            work, done, failed, changes=Changes.QUEUE, parent=self, always=after, initiator=self
        )

    def _enable(self) -> None:
        for button in self.buttons.values():
            button.setEnabled(True)

    def stop(self) -> None:
        self._timer.stop()
        self._clear.stop()
