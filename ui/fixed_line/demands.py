"""The 预约登记 list for the supervisor: addresses not covered yet, who to call back."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QWidget

from hall_app.app import HallApp
from hall_app.services.actor import Actor
from hall_app.services.fixed_line import DemandView
from ui import format as fmt
from ui.ops import Changes, Operations
from ui.widgets.list_dialog import ListDialog


class DemandListDialog(ListDialog):
    def __init__(
        self, app: HallApp, actor: Actor, ops: Operations, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            ops,
            name="demandList",
            title="预约登记（未覆盖地址）",
            headers=[
                "登记时间",
                "地址",
                "联系人",
                "联系电话",
                "需求业务",
                "状态",
                "受理人",
                "备注",
            ],
            sample=(
                "2026-11-24 10:30",
                "福建省福州市鼓楼区西洪路230号鼓山花园3栋1单元",
                "欧阳娜娜",
                "133****5807",
                "宽带+固话",
                "待覆盖",
                "欧阳娜娜",
            ),
            refresh_on=Changes.CUSTOMER,
            size=QSize(1180, 600),
            share=(0.85, 0.8),
            parent=parent,
        )
        self._app, self._actor = app, actor
        self.table.setObjectName("demandTable")
        self.count.setObjectName("demandCount")
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
