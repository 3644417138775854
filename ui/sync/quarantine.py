"""For supervisors: the records the central database refused, with its reason, and one button
to queue them again once the cause is fixed (audited); and the numbers and SIMs two counters
both sold (the central copy won), each marked settled with what was done (audited)."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hall_app.clock import fmt_local
from hall_app.services.actor import Actor
from hall_app.sync.service import ClashView, QuarantinedRecord, SyncService
from ui import messages
from ui.ops import ChangeEvent, Changes, Operations
from ui.screen import fit_to_screen
from ui.table import RowsModel, make_table

TABLE_LABELS = {
    "customers": "客户",
    "orders": "受理单",
    "order_lines": "受理单明细",
    "payments": "缴费",
    "invoices": "发票",
    "invoice_lines": "发票明细",
    "subscriptions": "业务号码",
    "queue_tickets": "排队票",
    "audit_log": "审计记录",
}


class QuarantineDialog(QDialog):
    def __init__(
        self, service: SyncService, actor: Actor, ops: Operations, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("quarantineDialog")
        self.setWindowTitle("中心拒收的记录与资源冲突")
        self._service, self._actor, self._ops = service, actor, ops
        self.summary = QLabel("正在读取…")
        self.summary.setObjectName("quarantineSummary")
        self.rows = RowsModel(["数据", "记录编号", "中心数据库的原因", "尝试次数"])
        self.table = make_table(
            self.rows, ("受理单明细", "00000000-0000-0000-0000-000000000000", "23505 " + "x" * 40)
        )
        self.retry_button = QPushButton("修正后全部重新排队")
        self.retry_button.setObjectName("quarantineRetry")
        self.retry_button.clicked.connect(self.retry)
        close = QPushButton("关闭 (Esc)")
        close.setAutoDefault(False)
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.retry_button)
        refused = QWidget()
        refused_layout = QVBoxLayout(refused)
        refused_layout.addWidget(self.table, 1)
        refused_layout.addLayout(buttons)

        self.clash_rows = RowsModel(["资源", "号码 / ICCID", "窗口", "受理单", "发现时间", "说明"])
        self.clash_table = make_table(
            self.clash_rows,
            ("SIM 卡", "89860" + "0" * 15, "6号窗口（VIP）", "SL20261124010001", "11-24 10:00",
             "号码 138****0000 已由2号窗口办理，1号窗口的受理单 … 同时使用了它"),
        )  # fmt: skip
        self.clash_table.horizontalHeader().setStretchLastSection(True)
        self.clash_detail = QLabel("")
        self.clash_detail.setObjectName("clashDetail")
        self.clash_detail.setWordWrap(True)
        self.clash_table.selectionModel().selectionChanged.connect(self._selected)
        self.clash_summary = QLabel("正在读取…")
        self.clash_summary.setObjectName("clashSummary")
        self.resolution = QLineEdit()
        self.resolution.setObjectName("clashResolution")
        self.resolution.setPlaceholderText("处理结果，例如：已联系客户改选 13800000000 …")
        self.resolve_button = QPushButton("标记已处理")
        self.resolve_button.setObjectName("clashResolve")
        self.resolve_button.setAutoDefault(False)
        self.resolve_button.clicked.connect(self.resolve)
        resolve_row = QHBoxLayout()
        resolve_row.addWidget(self.resolution, 1)
        resolve_row.addWidget(self.resolve_button)
        clashes = QWidget()
        clash_layout = QVBoxLayout(clashes)
        clash_layout.addWidget(
            QLabel("两个窗口卖出了同一个号码或同一张卡：以中心为准，请联系客户处理后标记。")
        )
        clash_layout.addWidget(self.clash_table, 1)
        clash_layout.addWidget(self.clash_detail)
        clash_layout.addWidget(self.clash_summary)
        clash_layout.addLayout(resolve_row)

        self.tabs = QTabWidget()
        self.tabs.addTab(refused, "中心拒收")
        self.tabs.addTab(clashes, "资源冲突")
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        ops.changed.connect(self._on_changed)
        fit_to_screen(self, QSize(980, 460), share=(0.6, 0.5))
        self.refresh()

    def refresh(self) -> None:
        service, actor = self._service, self._actor
        self._ops.query(lambda: service.quarantined(actor), self._show, parent=self)
        # With full phone numbers (a supervisor) the list is an audited view: a write.
        self._ops.mutate(
            lambda: service.clashes(actor), self._show_clashes, changes=Changes.NONE, parent=self
        )

    def _on_changed(self, event: ChangeEvent) -> None:
        if event.touches(Changes.SYNC):
            self.refresh()

    def _show_clashes(self, clashes: list[ClashView]) -> None:
        self.clash_rows.set_rows(
            [
                (
                    c.resource,
                    c.key_shown,
                    c.counter_name,
                    c.order_no or "",
                    fmt_local(c.detected_at)[5:],
                    c.detail,
                )
                for c in clashes
            ],
            [c.id for c in clashes],
        )
        self.tabs.setTabText(1, f"资源冲突（{len(clashes)}）" if clashes else "资源冲突")
        if clashes and not self.clash_table.selectionModel().hasSelection():
            self.clash_table.selectRow(0)
        self.resolve_button.setEnabled(bool(clashes))
        self.clash_summary.setText(
            f"共 {len(clashes)} 条待处理：选中一条，填写处理结果后标记"
            if clashes
            else "没有待处理的资源冲突"
        )

    def _selected(self) -> None:
        rows = self.clash_table.selectionModel().selectedRows()
        if rows:
            self.clash_detail.setText(
                str(self.clash_rows.data(self.clash_rows.index(rows[0].row(), 5)))
            )
        else:
            self.clash_detail.setText("")

    def resolve(self) -> None:
        rows = self.clash_table.selectionModel().selectedRows()
        if not rows:
            messages.error(self, "请先选中一条资源冲突", "资源冲突")
            return
        clash_id = self.clash_rows.payload(rows[0].row())
        text = self.resolution.text()
        service, actor = self._service, self._actor

        self._ops.mutate(
            lambda: service.resolve_clash(actor, clash_id, text),
            lambda _: self.resolution.clear(),
            changes=Changes.SYNC | Changes.STOCK,
            parent=self,
        )

    def _show(self, records: list[QuarantinedRecord]) -> None:
        self.rows.set_rows(
            [
                (
                    TABLE_LABELS.get(r.table_name, r.table_name),
                    str(r.row_id),
                    r.error,
                    str(r.attempts),
                )
                for r in records
            ]
        )
        self.retry_button.setEnabled(bool(records))
        self.summary.setText(
            f"共 {len(records)} 条被中心拒收；修正原因后可重新排队"
            if records
            else "没有被拒收的记录"
        )

    def retry(self) -> None:
        service, actor = self._service, self._actor

        def done(n: int) -> None:
            messages.info(self, f"已重新排队 {n} 条，下次同步时发送")

        self._ops.mutate(
            lambda: service.retry_quarantined(actor), done, changes=Changes.SYNC, parent=self
        )
