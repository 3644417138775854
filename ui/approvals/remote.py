"""请求远程审批: instead of the supervisor typing their credentials at this counter, the clerk
sends the request to the duty supervisors' inbox (审批, on any counter) and waits here. The
decision arrives by itself: the dialog asks the service every 2 s (off the GUI thread); on
approval it closes and hands back the approval's id, which the clerk's order then redeems; a
rejection or an expiry is shown with its reason and the clerk may ask again.

Keyboard: Enter in the reason sends, Esc withdraws a pending request and closes."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import QSize, QTimer, Signal
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

from hall_app.domain.approvals import kind_label
from hall_app.domain.enums import ApprovalState
from hall_app.domain.errors import HallError
from hall_app.services.actor import Actor
from hall_app.services.approvals import ApprovalRequest, ApprovalService, ApprovalView
from ui import format as fmt
from ui.ops import Changes, Operations
from ui.screen import fit_to_screen
from ui.style import set_role
from ui.widgets.fields import error_label

POLL_MS = 2_000  # how often the clerk's screen asks for the decision
REMOTE_BUTTON = "请求远程审批"
REASON_LIMIT = 200  # approvals.request_reason


class RemoteApprovalDialog(QDialog):
    """Sends ``ask`` (its ``request_reason`` prefilled, editable) and waits for the decision.
    ``approved`` carries the approval id (a ``uuid.UUID``) once a supervisor approved."""

    approved = Signal(object)  # uuid.UUID
    decided = Signal(object)  # ApprovalView, whatever the outcome

    def __init__(
        self,
        service: ApprovalService,
        actor: Actor,
        ops: Operations,
        ask: ApprovalRequest,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("remoteApprovalDialog")
        self.setWindowTitle(f"{REMOTE_BUTTON}：{kind_label(ask.kind)}")
        self._service, self._actor, self._ops, self._ask = service, actor, ops, ask
        self.approval_id: uuid.UUID | None = None  # the request sent, once sent
        self.view: ApprovalView | None = None  # as last read
        self._sending = self._polling = False
        self._received: uuid.UUID | None = None  # the decided request, once written here

        intro = QLabel(
            "申请将发送到全厅值班主管的“审批”页，主管在任一窗口批准后本窗口自动继续，"
            "无须再按任何按键。"
        )
        intro.setWordWrap(True)
        facts = QFormLayout()
        facts.addRow("审批事项：", QLabel(kind_label(ask.kind)))
        what = QLabel(ask.summary)
        what.setObjectName("remoteSummary")
        what.setWordWrap(True)
        facts.addRow("内容：", what)
        if ask.amount_fen is not None:
            facts.addRow("金额：", QLabel(fmt.money(ask.amount_fen)))
        self.reason = QLineEdit(ask.request_reason)
        self.reason.setObjectName("remoteReason")
        self.reason.setMaxLength(REASON_LIMIT)
        self.reason.setPlaceholderText("例如：客户因工作需要再办一个号码")
        self.reason.setAccessibleName("申请原因")
        self.reason.returnPressed.connect(self.send)
        facts.addRow("申请原因：", self.reason)

        self.status = QLabel("填写申请原因后按“发送申请”。")
        self.status.setObjectName("remoteStatus")
        self.status.setWordWrap(True)
        self.error = error_label("remoteError")

        self.close_button = QPushButton("撤回并关闭 (Esc)")
        self.close_button.setObjectName("remoteClose")
        self.close_button.clicked.connect(self.reject)
        self.send_button = QPushButton("发送申请 (Enter)")
        self.send_button.setObjectName("remoteSend")
        self.send_button.clicked.connect(self.send)
        for button in (self.close_button, self.send_button):
            button.setAutoDefault(False)
            button.setDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.close_button)
        buttons.addStretch(1)
        buttons.addWidget(self.send_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(facts)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addLayout(buttons)

        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        fit_to_screen(self, QSize(560, 320))
        self.reason.setFocus()

    @property
    def waiting(self) -> bool:
        return self.view is not None and self.view.state is ApprovalState.PENDING

    # -- sending ----------------------------------------------------------------------------
    def send(self) -> None:
        if self._sending or self.waiting:
            return
        reason = self.reason.text().strip()
        if not reason:
            self.error.setText("申请原因：请填写，主管据此审批")
            self.reason.setFocus()
            return
        self.error.clear()
        service, actor, ask = self._service, self._actor, replace(self._ask, request_reason=reason)
        self._sending = True
        self.send_button.setEnabled(False)

        def failed(exc: HallError) -> None:
            self.error.setText(f"未发送：{exc.text}")

        def again() -> None:
            self._sending = False
            self.send_button.setEnabled(not self.waiting)

        self._ops.mutate(
            lambda: service.request(actor, ask),
            self._sent,
            failed,
            changes=Changes.APPROVALS,
            parent=self,
            label="正在发送审批申请…",
            always=again,
        )

    def _sent(self, view: ApprovalView) -> None:
        self.approval_id = view.id
        self._received = None
        self.reason.setReadOnly(True)
        self.send_button.setText("等待审批中…")
        self._show(view)
        self.timer.start()

    # -- waiting ----------------------------------------------------------------------------
    def poll(self) -> None:
        """Ask for the decision (every 2 s while waiting); one question at a time."""
        approval_id = self.approval_id
        if approval_id is None or self._polling or not self.waiting:
            return
        service, actor = self._service, self._actor
        self._polling = True

        def failed(exc: HallError) -> None:  # the link down a moment: say so, keep asking
            self.error.setText(exc.text)

        def done() -> None:
            self._polling = False

        self._ops.query(
            lambda: service.get(actor, approval_id),
            self._show,
            failed,
            parent=self,
            always=done,
        )

    def _show(self, view: ApprovalView) -> None:
        self.view = view
        self.error.clear()
        if view.state is ApprovalState.PENDING:
            set_role(self.status, "warn")
            self.status.setText(
                f"等待主管审批…\n{_clock(view.requested_at)} 已发送，"
                f"{_clock(view.expires_at)} 前无人审批即过期"
            )
            return
        self.timer.stop()
        if self._received is None:  # decided: taken into this counter's database, once
            self._receive(view)
            return
        self.decided.emit(view)
        if view.state is ApprovalState.APPROVED:
            set_role(self.status, "ok")
            self.status.setText(f"已由 {view.approver_name} 批准")
            self.approved.emit(view.id)
            self.accept()
            return
        set_role(self.status, "error")
        self.reason.setReadOnly(False)
        self.send_button.setText("重新申请 (Enter)")
        self.send_button.setEnabled(True)
        if view.state is ApprovalState.REJECTED:
            self.status.setText(f"{view.approver_name} 驳回：{view.reason}")
        elif view.state is ApprovalState.EXPIRED:
            self.status.setText("申请已过期：无人在时限内审批。可重新申请，或请主管现场授权")
        else:
            self.status.setText(f"申请{view.state.label}")

    def _receive(self, seen: ApprovalView) -> None:
        """The decision read on the read lane is written here (the order redeems the local
        copy), then shown."""
        service, actor, approval_id = self._service, self._actor, seen.id

        def got(view: ApprovalView) -> None:
            self._received = view.id
            self._show(view)

        def failed(exc: HallError) -> None:  # the link dropped in between: ask again
            self.error.setText(exc.text)
            self.view = replace(seen, state=ApprovalState.PENDING)
            self.timer.start()

        self._ops.mutate(
            lambda: service.receive(actor, approval_id),
            got,
            failed,
            changes=Changes.APPROVALS,
            parent=self,
        )

    # -- closing ----------------------------------------------------------------------------
    def reject(self) -> None:
        """Esc or 撤回并关闭: a request still pending is withdrawn (it leaves the inbox)."""
        self.timer.stop()
        approval_id = self.approval_id
        if approval_id is not None and self.waiting:
            service, actor = self._service, self._actor
            self._ops.mutate(
                lambda: service.withdraw(actor, approval_id),
                changes=Changes.APPROVALS,
            )
        super().reject()


def _clock(dt: datetime | None) -> str:
    """10:32: the time of day, in the hall's time zone."""
    return fmt.when(dt)[-5:]
