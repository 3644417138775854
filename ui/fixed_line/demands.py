"""The 预约登记 list for the supervisor: addresses not covered yet, who to call back."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hall_app.app import HallApp
from hall_app.services.actor import Actor
from hall_app.services.fixed_line import DemandView
from ui import format as fmt
from ui.keys import shortcut
from ui.ops import ChangeEvent, Changes, Operations
from ui.screen import fit_to_screen
from ui.table import RowsModel, make_table


class DemandListDialog(QDialog):
    def __init__(
        self, app: HallApp, actor: Actor, ops: Operations, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("demandList")
        self.setWindowTitle("预约登记（未覆盖地址）")
        self._app, self._actor, self._ops = app, actor, ops
        self.rows = RowsModel(
            ["登记时间", "地址", "联系人", "联系电话", "需求业务", "状态", "受理人", "备注"]
        )
        self.table = make_table(
            self.rows,
            (
                "2026-11-24 10:30",
                "福建省福州市鼓楼区西洪路230号鼓山花园3栋1单元",
                "欧阳娜娜",
                "133****5807",
                "宽带+固话",
                "待覆盖",
                "欧阳娜娜",
            ),
        )
        self.table.setObjectName("demandTable")
        self.count = QLabel("正在读取…")
        self.count.setObjectName("demandCount")
        refresh = QPushButton("刷新 (F5)")
        refresh.clicked.connect(self.refresh)
        close = QPushButton("关闭 (Esc)")
        close.clicked.connect(self.reject)
        for b in (refresh, close):
            b.setAutoDefault(False)
        shortcut(self, "F5", self.refresh)
        row = QHBoxLayout()
        row.addWidget(self.count, 1)
        row.addWidget(refresh)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        ops.changed.connect(self._on_changed)
        fit_to_screen(self, QSize(1180, 600), share=(0.85, 0.8))
        self.refresh()

    def _on_changed(self, event: ChangeEvent) -> None:
        if event.touches(Changes.CUSTOMER) and self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        service, actor = self._app.fixed_line, self._actor
        self._ops.query(lambda: service.demands(actor), self._show, parent=self)

    def _show(self, rows: list[DemandView]) -> None:
        self.rows.set_rows(
            [
                (
                    fmt.when(d.created_at),
                    d.address,
                    d.contact_name,
                    d.contact_phone_masked,
                    d.wanted,
                    d.status_label,
                    d.staff_name,
                    d.note,
                )
                for d in rows
            ],
            rows,
        )
        self.count.setText(f"共 {len(rows)} 条预约登记（待跟进的在前）")
        if rows:
            self.table.selectRow(0)
            self.table.setFocus()
