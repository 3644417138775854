"""Transferring the called ticket (Shift+F2): to another window, or to another service type's
queue. The ticket keeps its number and its place by issue time. Keyboard: ↑↓ choose, Enter
transfers, Esc cancels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.ops import Changes, Operations
from ui.screen import fit_to_screen
from ui.widgets.fields import error_label

if TYPE_CHECKING:
    from hall_app.services.actor import Actor
    from hall_app.services.queue import QueueService, TicketView, TransferTargets

COUNTER, SERVICE = "counter", "service"


class TransferDialog(QDialog):
    transferred = Signal(object, str)  # the TicketView (waiting again), where it went

    def __init__(
        self,
        service: QueueService,
        actor: Actor,
        ops: Operations,
        ticket: TicketView,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("transferDialog")
        self.setWindowTitle(f"转移排队号 {ticket.ticket_no}")
        self._service, self._actor, self._ops, self._ticket = service, actor, ops, ticket
        self._busy = False
        intro = QLabel(
            f"把 {ticket.ticket_no}（{ticket.service_name}）转到另一个窗口或另一类业务：\n"
            "保留原号码和按取号时间的排队顺序。↑↓ 选择，回车转移，Esc 取消。"
        )
        intro.setWordWrap(True)
        self.targets = QListWidget()
        self.targets.setObjectName("transferTargets")
        self.targets.addItem(self._heading("正在读取窗口和业务类型…"))
        self.targets.itemActivated.connect(lambda _item: self.transfer())
        self.error = error_label("transferError")
        # No default button: Enter belongs to the list (one Enter, one transfer).
        self.ok_button = QPushButton("转移 (Enter)")
        self.ok_button.setObjectName("transferOk")
        self.ok_button.setAutoDefault(False)
        self.ok_button.clicked.connect(self.transfer)
        self.ok_button.setEnabled(False)
        cancel = QPushButton("取消 (Esc)")
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.error, 1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.ok_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.targets, 1)
        layout.addLayout(buttons)
        fit_to_screen(self, QSize(460, 420))
        self.targets.setFocus()
        self._ops.query(lambda: service.transfer_targets(actor), self._fill, parent=self)

    @staticmethod
    def _heading(text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)  # not selectable: the arrows skip it
        return item

    def _fill(self, found: TransferTargets) -> None:
        self.targets.clear()
        for heading, kind, rows in (
            ("转到窗口", COUNTER, found.counters),
            ("转到业务类型（重新排队）", SERVICE, found.service_types),
        ):
            self.targets.addItem(self._heading(heading))
            for target in rows:
                if kind == SERVICE and target.code == self._ticket.service_code:
                    continue  # where it already is
                item = QListWidgetItem(f"　{target.name}")
                item.setData(Qt.ItemDataRole.UserRole, (kind, target.code, target.name))
                self.targets.addItem(item)
        for row in range(self.targets.count()):
            if self.targets.item(row).flags() & Qt.ItemFlag.ItemIsSelectable:
                self.targets.setCurrentRow(row)
                break
        self.ok_button.setEnabled(True)

    def chosen(self) -> tuple[str, str, str] | None:
        item = self.targets.currentItem()
        data = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return tuple(data) if data else None

    def transfer(self) -> None:
        choice = self.chosen()
        if self._busy:
            return
        if choice is None:
            self.error.setText("转移：请选择转往的窗口或业务类型")
            return
        kind, code, name = choice
        service, actor, ticket_id = self._service, self._actor, self._ticket.id
        self._busy = True
        self.ok_button.setEnabled(False)
        self.error.clear()

        def work() -> TicketView:
            if kind == COUNTER:
                return service.transfer(actor, ticket_id, counter_code=code)
            return service.transfer(actor, ticket_id, service_code=code)

        def done(ticket: TicketView) -> None:
            self.transferred.emit(ticket, name)
            self.accept()

        def again() -> None:  # refused or failed: the clerk may choose again
            self._busy = False
            self.ok_button.setEnabled(True)

        self._ops.mutate(
            work,
            done,
            lambda exc: self.error.setText(exc.text),
            changes=Changes.QUEUE,
            parent=self,
            label="正在转移…",
            always=again,
            initiator=self,
        )
