"""开班 / 日结: open the till with a counted float; at the end of the day count the drawer and
record the difference against what the payments say."""

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
from hall_app.domain.money import to_fen
from hall_app.services.actor import Actor
from hall_app.services.cash import CashService, CashSessionView
from ui import format as fmt
from ui import messages
from ui.ops import Operations
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
        self.state.setStyleSheet("font-size: 12pt;")
        self.state.setWordWrap(True)
        self.amount = QLineEdit()
        self.amount.setObjectName("cashAmount")
        self.amount.returnPressed.connect(self.submit)
        self.error = QLabel("")
        self.error.setObjectName("cashError")
        self.error.setStyleSheet("color: #c0392b;")
        self.action = QPushButton("")
        self.action.setObjectName("cashAction")
        self.action.clicked.connect(self.submit)
        close = QPushButton("关闭 (Esc)")
        close.setAutoDefault(False)
        close.clicked.connect(self.reject)
        self.form = QFormLayout()
        self.amount_label = QLabel("")
        self.form.addRow(self.amount_label, self.amount)
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
        self.refresh()

    def refresh(self) -> None:
        service, actor = self._service, self._actor
        self._ops.run(lambda: service.current_session(actor), self._show, parent=self)

    def _show(self, till: CashSessionView | None) -> None:
        self.current = till
        self.amount.clear()
        self.error.clear()
        if till is None:
            done = self._closed
            prefix = ""
            if done is not None and done.difference_fen is not None:
                verdict = (
                    "账实相符"
                    if done.difference_fen == 0
                    else f"{'长款' if done.difference_fen > 0 else '短款'} "
                    f"{fmt.money(abs(done.difference_fen))}"
                )
                prefix = (
                    f"已日结：应有现金 {fmt.money(done.expected_cash_fen)}，"
                    f"实点 {fmt.money(done.counted_cash_fen or 0)}，{verdict}。\n\n"
                )
            self.state.setText(prefix + "今天尚未开班（首笔收款时也会自动开班，备用金记为 0）。")
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
        field = "实点现金" if self.current is not None else "备用金"
        try:
            fen = to_fen(self.amount.text())
        except ValidationError as exc:
            self.error.setText(f"{field}：{exc.message}")
            return
        service, actor = self._service, self._actor
        if self.current is None:
            self._ops.run(
                lambda: service.open_session(actor, fen),
                self._show,
                self._failed,
                parent=self,
                write=True,
            )
            return

        def closed(view: CashSessionView) -> None:
            self._closed = view
            self._show(None)

        self._ops.run(
            lambda: service.close_session(actor, fen), closed, self._failed, parent=self, write=True
        )

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, HallError):
            self.error.setText(exc.text)
            return
        messages.failure(self, exc)
