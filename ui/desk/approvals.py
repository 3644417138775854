"""审批 (Alt+1 in the desk): the hall's pending requests from every counter, oldest first —
who asks, at which counter, for what, the customer (masked), why, the amount, when and how
many minutes are left — with 批准 and 驳回 (a reason; required to reject), and today's decided
requests below. It refreshes when an approval changes here and every 5 s (requests come from
other counters through the central database).

Keyboard: ↑/↓ in the list, Ctrl+Enter 批准, Ctrl+R 驳回, F5 刷新."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QSize, QTimer, Signal
from PySide6.QtGui import QShowEvent
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

from hall_app.domain.errors import HallError
from hall_app.services.approvals import ApprovalView
from ui import format as fmt
from ui.desk.pages import DeskContext
from ui.keys import shortcut
from ui.ops import ChangeEvent, Changes
from ui.screen import fit_to_screen
from ui.style import set_role
from ui.table import RowsModel, fit_columns, make_table
from ui.widgets.fields import error_label

REFRESH_MS = 5_000
PENDING_HEADERS = ("申请人", "窗口", "事项", "客户", "内容", "申请原因", "金额", "申请时间", "剩余")
PENDING_SAMPLES = (
    "林晓燕",
    "01 号窗口",
    "30天内再次开户",
    "欧阳** 3501**********888X",  # a masked name and ID number, whole
    "红冲发票 26351000000000059858（¥12,999.00）",
    "客户因工作需要再办一个号码",
    "¥5,499.00",
    "11-24 10:00",
    "30 分钟",
)
DECIDED_HEADERS = ("时间", "申请人", "窗口", "事项", "内容", "结果", "审批人", "理由", "使用")
DECIDED_SAMPLES = (
    "11-24 10:00",
    "林晓燕",
    "01 号窗口",
    "30天内再次开户",
    "红冲发票 26351000000000059858（¥12,999.00）",
    "已批准（现场授权）",
    "黄丽华",
    "原发票抬头与营业执照一致，不予红冲",
    "已使用",
)


def _short(dt: datetime | None) -> str:
    """11-24 10:00: the year is this one's."""
    return fmt.when(dt)[5:]


def _money(fen: int | None) -> str:
    return "" if fen is None else fmt.money(fen)


class DecisionDialog(QDialog):
    """The decision's reason: optional to approve, required to reject."""

    chosen = Signal(str)

    def __init__(self, view: ApprovalView, approve: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.approve = approve
        self.setObjectName("approvalDecisionDialog")
        self.setWindowTitle("批准申请" if approve else "驳回申请")
        facts = QFormLayout()
        facts.addRow("申请人：", QLabel(f"{view.requested_by_name}（{view.counter_name}）"))
        facts.addRow("事项：", QLabel(view.kind_label))
        summary = QLabel(view.summary)
        summary.setWordWrap(True)
        facts.addRow("内容：", summary)
        why = QLabel(view.request_reason)
        why.setWordWrap(True)
        facts.addRow("申请原因：", why)
        self.reason = QLineEdit()
        self.reason.setObjectName("decisionReason")
        self.reason.setMaxLength(500)
        self.reason.setPlaceholderText("可不填" if approve else "必填：驳回理由将显示给营业员")
        self.reason.returnPressed.connect(self.confirm)
        facts.addRow("批准意见：" if approve else "驳回理由：", self.reason)
        self.error = error_label("decisionError")
        cancel = QPushButton("取消 (Esc)")
        cancel.clicked.connect(self.reject)
        self.ok_button = QPushButton("确认批准 (Enter)" if approve else "确认驳回 (Enter)")
        self.ok_button.setObjectName("decisionConfirm")
        self.ok_button.clicked.connect(self.confirm)
        for button in (cancel, self.ok_button):
            button.setAutoDefault(False)
            button.setDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(cancel)
        buttons.addStretch(1)
        buttons.addWidget(self.ok_button)
        layout = QVBoxLayout(self)
        layout.addLayout(facts)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addLayout(buttons)
        fit_to_screen(self, QSize(520, 280))
        self.reason.setFocus()

    def confirm(self) -> None:
        reason = self.reason.text().strip()
        if not self.approve and not reason:
            self.error.setText("驳回理由：请填写，营业员将看到它")
            return
        self.chosen.emit(reason)
        self.accept()


class ApprovalsPage(QWidget):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("approvalsPage")
        self._ctx = ctx
        self._loading = self._again = False
        self._busy = False
        self.decision: DecisionDialog | None = None
        self.pending: list[ApprovalView] = []

        self.status = QLabel("正在读取待审批的申请…")
        self.status.setObjectName("approvalsStatus")
        self.status.setWordWrap(True)
        self.model = RowsModel(PENDING_HEADERS, self)
        self.table = make_table(self.model, PENDING_SAMPLES, self)
        self.table.setObjectName("pendingApprovals")
        # 客户 keeps its width; 申请原因 gives way first (each cell whole in its tooltip)
        fit_columns(self.table, {4: 240, 5: 120})
        self.table.selectionModel().selectionChanged.connect(self._chosen)
        self.approve_button = QPushButton("批准 (Ctrl+Enter)")
        self.approve_button.setObjectName("approveButton")
        self.approve_button.clicked.connect(lambda: self.decide(True))
        self.reject_button = QPushButton("驳回 (Ctrl+R)")
        self.reject_button.setObjectName("rejectButton")
        self.reject_button.clicked.connect(lambda: self.decide(False))
        self.refresh_button = QPushButton("刷新 (F5)")
        self.refresh_button.clicked.connect(self.refresh)
        self.error = error_label("approvalsError")
        actions = QHBoxLayout()
        actions.addWidget(self.approve_button)
        actions.addWidget(self.reject_button)
        actions.addWidget(self.error, 1)
        actions.addWidget(self.refresh_button)

        self.decided_model = RowsModel(DECIDED_HEADERS, self)
        self.decided_table = make_table(self.decided_model, DECIDED_SAMPLES, self)
        self.decided_table.setObjectName("decidedApprovals")
        fit_columns(self.decided_table, {4: 160, 7: 140})

        title = QLabel("待审批")
        set_role(title, "muted")
        done = QLabel("今日已处理")
        set_role(done, "muted")
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(title)
        layout.addWidget(self.table, 3)
        layout.addLayout(actions)
        layout.addWidget(done)
        layout.addWidget(self.decided_table, 2)

        for key in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut(self, key, lambda: self.decide(True))
        shortcut(self, "Ctrl+R", lambda: self.decide(False))
        shortcut(self, "F5", self.refresh)
        ctx.ops.changed.connect(self._on_changed)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self._chosen()

    # -- reading ----------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()  # back on this tab: what came in meanwhile

    def _tick(self) -> None:
        if self.isVisible():  # another desk tab in front: no reads every 5 s for nothing
            self.refresh()

    def _on_changed(self, event: ChangeEvent) -> None:
        if event.touches(Changes.APPROVALS):
            self.refresh()

    def refresh(self) -> None:
        if self._loading:  # once this read is back, read again: it may predate the change
            self._again = True
            return
        self._again = False
        service, actor = self._ctx.app.approvals, self._ctx.actor
        self._loading = True

        def failed(exc: HallError) -> None:  # offline a moment: said, the lists kept
            set_role(self.status, "error")
            self.status.setText(exc.text)

        def done() -> None:
            self._loading = False
            if self._again:
                self.refresh()

        self._ctx.ops.query(
            lambda: (service.inbox(actor), service.decided_today(actor)),
            self._show,
            failed,
            parent=self,
            always=done,
        )

    def _show(self, lists: tuple[list[ApprovalView], list[ApprovalView]]) -> None:
        pending, decided = lists
        chosen = self.chosen
        now = self._ctx.app.clock()
        self.pending = pending
        self.model.set_rows(
            [
                (
                    v.requested_by_name,
                    v.counter_name,
                    v.kind_label,
                    v.customer_label,
                    v.summary,
                    v.request_reason,
                    _money(v.amount_fen),
                    _short(v.requested_at),
                    f"{v.minutes_left(now)} 分钟",
                )
                for v in pending
            ],
            pending,
        )
        self.decided_model.set_rows(
            [
                (
                    _short(v.decided_at or v.expires_at),
                    v.requested_by_name,
                    v.counter_name,
                    v.kind_label,
                    v.summary,
                    f"{v.state.label}（现场授权）" if v.inline else v.state.label,
                    v.approver_name,
                    v.reason,
                    "已使用" if v.used_at else "",
                )
                for v in decided
            ],
            decided,
        )
        set_role(self.status, "warn" if pending else "ok")
        self.status.setText(
            f"待审批 {len(pending)} 件（全厅各窗口），今日已处理 {len(decided)} 件"
            if pending
            else f"暂无待审批的申请；今日已处理 {len(decided)} 件"
        )
        keep = next((i for i, v in enumerate(pending) if chosen and v.id == chosen.id), 0)
        if pending:
            self.table.selectRow(keep)
        self._chosen()

    @property
    def chosen(self) -> ApprovalView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.payload(rows[0].row()) if rows else None

    def _chosen(self, *_args: object) -> None:
        ready = self.chosen is not None and not self._busy
        self.approve_button.setEnabled(ready)
        self.reject_button.setEnabled(ready)

    # -- deciding ---------------------------------------------------------------------------
    def decide(self, approve: bool) -> None:
        view = self.chosen
        if view is None or self._busy:
            return
        if view.requested_by_id == self._ctx.actor.staff_id:
            self.error.setText("这是您自己发起的申请，须由另一位值班主管审批")
            return
        self.error.clear()
        if self.decision is not None:
            self.decision.deleteLater()
        self.decision = DecisionDialog(view, approve, self)
        self.decision.chosen.connect(lambda reason: self._decided(view, approve, reason))
        self.decision.open()

    def _decided(self, view: ApprovalView, approve: bool, reason: str) -> None:
        service, actor = self._ctx.app.approvals, self._ctx.actor
        self._busy = True
        self._chosen()

        def ok(result: ApprovalView) -> None:
            set_role(self.status, "ok")
            self.status.setText(
                f"已{result.state.label}：{result.requested_by_name} 的“{result.kind_label}”"
            )

        def failed(exc: HallError) -> None:
            self.error.setText(exc.text)
            self.refresh()  # expired or decided elsewhere: the list catches up

        def again() -> None:
            self._busy = False
            self._chosen()

        self._ctx.ops.mutate(
            lambda: service.decide(actor, view.id, approve, reason),
            ok,
            failed,
            changes=Changes.APPROVALS,
            parent=self,
            label="正在提交审批结果…",
            always=again,
        )
