"""Red-lettering a blue invoice: a supervisor does it; a clerk asks a supervisor remotely
from here (请求远程审批) and the red invoice is issued by itself once approved. First the
reason, then a confirmation of what will be issued (the invoice it cancels, the negative
amounts, the reason), then the red invoice is issued. Its number is only given out at issue,
from the segment (numbers are never skipped), so the red invoice itself is previewed right
after: see ``CustomerSearchPage``.

Keyboard: Enter after the reason goes on to the confirmation, Ctrl+Enter issues, Alt+← goes
back to the reason, Esc cancels."""

from __future__ import annotations

import html
import uuid

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hall_app.domain.approvals import RED_LETTER
from hall_app.domain.enums import ApprovalState
from hall_app.domain.errors import HallError
from hall_app.domain.money import capital_amount
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor
from hall_app.services.approvals import ApprovalRequest, ApprovalService, ApprovalView
from hall_app.services.customers import InvoiceView
from hall_app.services.invoicing import InvoiceService, RedLetterResult, red_letter_subject
from ui import format as fmt
from ui.approvals.remote import REMOTE_BUTTON, RemoteApprovalDialog
from ui.keys import shortcut
from ui.ops import Changes, Operations
from ui.screen import fit_to_screen
from ui.widgets.fields import error_label

REASON_FIELD = "红冲原因"


class RedLetterDialog(QDialog):
    issued = Signal(object)  # RedLetterResult

    def __init__(
        self,
        invoice: InvoiceView,
        service: InvoiceService,
        actor: Actor,
        ops: Operations,
        parent: QWidget | None = None,
        customer_id: object | None = None,
        approvals: ApprovalService | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("redLetterDialog")
        self.customer_id = customer_id  # whose record the announcement refreshes
        self.setWindowTitle(f"红冲发票 {invoice.invoice_no}")
        self.invoice = invoice
        self._service, self._actor, self._ops = service, actor, ops
        self._busy = False
        # A clerk asks a supervisor remotely; the approval then issues the red invoice.
        self._approvals = approvals if not actor.can(Permission.APPROVE) else None
        self.approval_id: uuid.UUID | None = None
        self.remote_dialog: RemoteApprovalDialog | None = None

        # 1. the reason
        facts = QFormLayout()
        facts.addRow("蓝字发票号码：", QLabel(invoice.invoice_no))
        facts.addRow("开票时间：", QLabel(fmt.when(invoice.issued_at)))
        facts.addRow("价税合计：", QLabel(fmt.money(invoice.total_fen)))
        facts.addRow("税额：", QLabel(fmt.money(invoice.tax_fen)))
        self.reason = QLineEdit()
        self.reason.setObjectName("redLetterReason")
        self.reason.setMaxLength(100)
        self.reason.setPlaceholderText("例如：购买方名称有误，需重开")
        self.reason.returnPressed.connect(self.next)
        facts.addRow(f"{REASON_FIELD}：", self.reason)
        self.reason_error = error_label("redLetterReasonError")
        facts.addRow("", self.reason_error)
        first = QWidget()
        first_layout = QVBoxLayout(first)
        first_layout.addLayout(facts)
        first_layout.addStretch(1)

        # 2. the confirmation
        self.summary = QLabel("")
        self.summary.setObjectName("redLetterSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.issue_error = error_label("redLetterIssueError")
        second = QWidget()
        second_layout = QVBoxLayout(second)
        second_layout.addWidget(self.summary)
        second_layout.addWidget(self.issue_error)
        second_layout.addStretch(1)

        self.pages = QStackedWidget()
        self.pages.addWidget(first)
        self.pages.addWidget(second)
        self.cancel_button = QPushButton("取消 (Esc)")
        self.cancel_button.clicked.connect(self.reject)
        self.back_button = QPushButton("返回修改 (Alt+←)")
        self.back_button.setObjectName("redLetterBack")
        self.back_button.clicked.connect(self.back)
        self.next_button = QPushButton("下一步 (Enter)")
        self.next_button.setObjectName("redLetterNext")
        self.next_button.clicked.connect(self.next)
        self.issue_button = QPushButton(
            "确认开具红字发票 (Ctrl+Enter)"
            if self._approvals is None
            else f"{REMOTE_BUTTON}，批准后开具 (Ctrl+Enter)"
        )
        self.issue_button.setObjectName("redLetterIssue")
        self.issue_button.clicked.connect(self.issue)
        # No default button: Enter in the reason is handled there, once (a default button
        # would take the same Enter a second time).
        for button in (self.cancel_button, self.back_button, self.next_button, self.issue_button):
            button.setAutoDefault(False)
            button.setDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        for button in (self.back_button, self.next_button, self.issue_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addLayout(buttons)
        for key in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut(self, key, self._ctrl_enter)
        shortcut(self, "Alt+Left", self.back)
        self._show_page(0)
        fit_to_screen(self, QSize(600, 400))

    @property
    def confirming(self) -> bool:
        return self.pages.currentIndex() == 1

    def _show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.back_button.setVisible(index == 1)
        self.issue_button.setVisible(index == 1)
        self.next_button.setVisible(index == 0)
        (self.issue_button if index == 1 else self.reason).setFocus()

    def next(self) -> None:
        """From the reason to the confirmation; an empty reason is said, and the dialog stays."""
        reason = self.reason.text().strip()
        if not reason:
            self.reason_error.setText(f"{REASON_FIELD}：请填写原因")
            self.reason.setFocus()
            return
        if len(reason) < 2:
            self.reason_error.setText(f"{REASON_FIELD}：请写明原因（至少 2 个字）")
            self.reason.setFocus()
            return
        self.reason_error.clear()
        self.issue_error.clear()
        inv = self.invoice
        self.summary.setText(
            "<p style='font-size:12pt'><b>将开具一张红字发票（负数发票），"
            "冲销下面这张蓝字发票：</b></p>"
            "<table cellspacing='0' cellpadding='3'>"
            f"<tr><td>冲销的蓝字发票：</td><td><b>{inv.invoice_no}</b>"
            f"（{fmt.when(inv.issued_at)} 开具）</td></tr>"
            f"<tr><td>红字价税合计：</td><td><b style='color:#c0392b'>"
            f"{fmt.money(-inv.total_fen)}</b>（{capital_amount(-inv.total_fen)}）</td></tr>"
            f"<tr><td>红字税额：</td><td>{fmt.money(-inv.tax_fen)}</td></tr>"
            f"<tr><td>{REASON_FIELD}：</td><td>{html.escape(reason)}</td></tr>"
            "</table>"
            "<p>红字发票号码在开具时从本窗口的发票号段取得；开具后原发票标记为“已红冲”，"
            "不能撤销。开具后即显示红字发票预览，可打印或另存。</p>"
        )
        self._show_page(1)

    def back(self) -> None:
        if self.confirming and not self._busy:
            self._show_page(0)

    def _ctrl_enter(self) -> None:
        if self.confirming:
            self.issue()
        else:
            self.next()

    def ask_remote(self) -> None:
        """A clerk: the red-letter request goes to the duty supervisors' inbox; approved, the
        red invoice is issued at once with it."""
        assert self._approvals is not None
        inv = self.invoice
        ask = ApprovalRequest(
            kind=RED_LETTER.code,
            subject_ref=red_letter_subject(inv.invoice_no),
            request_reason=self.reason.text().strip(),
            summary=f"红冲发票 {inv.invoice_no}（{fmt.money(inv.total_fen)}）",
            customer_id=self.customer_id if isinstance(self.customer_id, uuid.UUID) else None,
            amount_fen=inv.total_fen,
        )
        if self.remote_dialog is not None:
            self.remote_dialog.deleteLater()
        self.remote_dialog = RemoteApprovalDialog(
            self._approvals, self._actor, self._ops, ask, self
        )
        self.remote_dialog.decided.connect(self._remote_decided)
        self.remote_dialog.open()

    def _remote_decided(self, view: ApprovalView) -> None:
        if view.state is ApprovalState.APPROVED:
            self.approval_id = view.id
            self.issue()
        else:
            self.issue_error.setText(
                f"远程审批{view.state.label}" + (f"：{view.reason}" if view.reason else "")
            )

    def issue(self) -> None:
        if not self.confirming or self._busy:
            return
        if self._approvals is not None and self.approval_id is None:
            self.ask_remote()
            return
        service, actor, approval_id = self._service, self._actor, self.approval_id
        invoice_no, reason = self.invoice.invoice_no, self.reason.text().strip()
        customer_id = self.customer_id
        self._busy = True
        self.issue_button.setEnabled(False)
        self.back_button.setEnabled(False)

        def done(result: RedLetterResult) -> None:
            self.issued.emit(result)
            self.accept()

        def failed(exc: HallError) -> None:
            if exc.field == REASON_FIELD:
                self._show_page(0)
                self.reason_error.setText(exc.text)
            else:
                self.issue_error.setText(f"未开具：{exc.text}")

        def again() -> None:  # refused or failed: the buttons come back
            self._busy = False
            self.issue_button.setEnabled(True)
            self.back_button.setEnabled(True)

        self._ops.mutate(
            lambda: service.issue_red_letter(actor, invoice_no, reason, approval_id=approval_id),
            done,
            failed,
            # a redeemed approval is used: the supervisors' 审批 page shows it
            changes=Changes.ORDERS | (Changes.APPROVALS if approval_id else Changes.NONE),
            parent=self,
            label="正在开具红字发票…",
            always=again,
            customer=lambda _result: customer_id,
        )
