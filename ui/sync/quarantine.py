"""For supervisors: the records the central database refused, with its reason, and one button
to queue them again once the cause is fixed (audited)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hall_app.services.actor import Actor
from hall_app.sync.service import QuarantinedRecord, SyncService
from ui import messages
from ui.ops import Operations
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
        self.setWindowTitle("中心拒收的记录")
        self.resize(900, 420)
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
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        service, actor = self._service, self._actor
        self._ops.run(lambda: service.quarantined(actor), self._show, parent=self)

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
            self.refresh()

        self._ops.run(lambda: service.retry_quarantined(actor), done, parent=self, write=True)
