"""开班 / 日结: open the till with a counted float; at the end of the day count the drawer and
record the difference against what the payments say. A difference needs a reason and the
clerk's confirmation of the amount. One Enter submits once: the amount field's Enter is the
only path (the 开班/日结 button is not a default button), and a submit in flight ignores more."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.money import MAX_AMOUNT_CHARS, to_fen
from hall_app.services.actor import Actor
from hall_app.services.cash import (
    COUNTED_FIELD,
    FLOAT_FIELD,
    MAX_REASON,
    REASON_FIELD,
    CashService,
    CashSessionView,
    difference_label,
)
from ui import format as fmt
from ui import messages
from ui.ops import Changes, Operations
from ui.screen import fit_to_screen


class CashDialog(QDialog):
    def __init__(
        self, service: CashService, actor: Actor, ops: Operations, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("cashDialog")
        self.setWindowTitle("开班 / 日结")
        self._service, self._actor, self._ops = service, actor, ops
        self.state = QLabel("正在读取…")
        self.state.setObjectName("cashState")
        self.state.setWordWrap(True)
        self.amount = QLineEdit()
        self.amount.setObjectName("cashAmount")
        self.amount.setMaxLength(MAX_AMOUNT_CHARS)
        self.amount.returnPressed.connect(self.submit)
        self.reason = QLineEdit()
        self.reason.setObjectName("cashReason")
        self.reason.setMaxLength(MAX_REASON)
        self.reason.setPlaceholderText("有长款或短款时必填，例如：找零多付")
        self.reason.returnPressed.connect(self.submit)
        self.error = QLabel("")
        self.error.setObjectName("cashError")
        self.error.setProperty("role", "error")
        self.action = QPushButton("")
        self.action.setObjectName("cashAction")
        self.action.setAutoDefault(False)  # Enter in the fields submits; not a second time here
        self.action.clicked.connect(self.submit)
        close = QPushButton("关闭 (Esc)")
        close.setAutoDefault(False)
        close.clicked.connect(self.reject)
        self.form = QFormLayout()
        self.amount_label = QLabel("")
        self.form.addRow(self.amount_label, self.amount)
        self.reason_label = QLabel("差异原因：")
        self.form.addRow(self.reason_label, self.reason)
        self.form.addRow("", self.error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.action)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addLayout(self.form)
        layout.addStretch(1)
        layout.addLayout(buttons)
        fit_to_screen(self, QSize(460, 360))
        self.current: CashSessionView | None = None
        self._closed: CashSessionView | None = None
        self._busy = False
        self.refresh()

    def refresh(self) -> None:
        service, actor = self._service, self._actor

        def read() -> tuple[CashSessionView | None, CashSessionView | None]:
            return service.current_session(actor), service.closed_today(actor)

        def show(found: tuple[CashSessionView | None, CashSessionView | None]) -> None:
            till, closed = found
            if self._closed is None:
                self._closed = closed
            self._show(till)

        self._ops.query(read, show, parent=self)

    def _show(self, till: CashSessionView | None) -> None:
        self._busy = False
        self.current = till
        self.amount.clear()
        self.reason.clear()
        self.error.clear()
        self.reason.setVisible(till is not None)
        self.reason_label.setVisible(till is not None)
        if till is None:
            done = self._closed
            prefix = ""
            if done is not None and done.difference_fen is not None:
                verdict = difference_label(done.difference_fen)
                prefix = (
                    f"已日结：应有现金 {fmt.money(done.expected_cash_fen)}，"
                    f"实点 {fmt.money(done.counted_cash_fen or 0)}，{verdict}。\n\n"
                )
            self.state.setText(
                prefix
                + (
                    "今天已日结。再收款时将新开钱箱（备用金记为 0），也可在此重新开班。"
                    if done is not None
                    else "今天尚未开班（首笔收款时也会自动开班，备用金记为 0）。"
                )
            )
            self.amount_label.setText("备用金（元）：")
            self.action.setText("开班")
        else:
            self.state.setText(
                f"{till.counter_name} · {till.staff_name} · 开班 {fmt.when(till.opened_at)}\n"
                f"备用金 {fmt.money(till.opening_float_fen)}　现金收款 {fmt.money(till.cash_fen)}\n"
                f"银行卡 {fmt.money(till.card_fen)}　扫码 {fmt.money(till.qr_fen)}　"
                f"共 {till.payments} 笔\n"
                f"钱箱应有现金：{fmt.money(till.expected_cash_fen)}"
            )
            self.amount_label.setText("实点现金（元）：")
            self.action.setText("日结")
        self.amount.setFocus()

    def submit(self) -> None:
        if self._busy:  # one submit at a time: the answer to this one is on its way
            return
        till = self.current
        field = COUNTED_FIELD if till is not None else FLOAT_FIELD
        try:
            fen = to_fen(self.amount.text())
        except ValidationError as exc:
            self.error.setText(f"{field}：{exc.message}")
            self.amount.setFocus()
            return
        service, actor = self._service, self._actor
        if till is None:
            self._busy = True
            self._ops.mutate(
                lambda: service.open_session(actor, fen),
                self._show,
                self._failed,
                changes=Changes.CASH,
                parent=self,
                always=self._idle,
            )
            return
        expected = till.expected_cash_fen
        difference = fen - expected
        reason = self.reason.text().strip()
        if difference:
            if not reason:
                self.error.setText(
                    f"{REASON_FIELD}：{difference_label(difference)}，请填写原因后再日结"
                )
                self.reason.setFocus()
                return
            self.error.clear()  # the reason is there now: the confirmation is what is asked
            if not messages.confirm(
                self,
                f"钱箱应有现金 {fmt.money(expected)}，实点 {fmt.money(fen)}：\n"
                f"{difference_label(difference)}\n原因：{reason}\n\n确认按此日结？",
                title="确认日结差异",
            ):
                return

        def closed(view: CashSessionView) -> None:
            self._closed = view
            self._show(None)

        self._busy = True
        self._ops.mutate(
            lambda: service.close_session(actor, fen, reason, expected_fen=expected),
            closed,
            self._failed,
            changes=Changes.CASH,
            parent=self,
            always=self._idle,
        )

    def _idle(self) -> None:
        self._busy = False

    def _failed(self, exc: HallError) -> None:
        self.error.setText(exc.text)
