"""The supervisor's list of the hall's open install work orders (scheduled, dispatched, or
failed and waiting for a new slot), overdue ones flagged and countable on their own; Enter
opens the work-order dialog, where a supervisor can also 取消工单."""

from __future__ import annotations

import uuid

from PySide6.QtCore import QModelIndex, QSize
from PySide6.QtWidgets import (
    QCheckBox,
    QWidget,
)

from hall_app.app import HallApp
from hall_app.services.actor import Actor
from hall_app.services.workorders import WorkOrderView
from ui import format as fmt
from ui.keys import shortcut
from ui.ops import Changes, Operations
from ui.style import set_role
from ui.widgets.list_dialog import ListDialog
from ui.workorders.dialog import WorkOrderDialog
from ui.workorders.format import appointment

OVERDUE = "⚠ 已超期"


class OpenWorkOrdersDialog(ListDialog):
    def __init__(
        self, app: HallApp, actor: Actor, ops: Operations, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            ops,
            name="openWorkOrders",
            title="在途装机工单",
            headers=[
                "装机工单号",
                "类型",
                "状态",
                "预约时段",
                "承诺日期",
                "超期",
                "装维班组",
                "装机地址",
            ],
            sample=(
                "GD202611240001230",
                "新装",
                "装机失败",
                "11-26（周四）上午 09:00–12:00",
                "2026-11-27*",
                OVERDUE,
                "鼓楼装维一班",
            ),
            refresh_on=Changes.ORDERS,
            size=QSize(1240, 600),
            share=(0.9, 0.8),
            parent=parent,
        )
        self._app, self._actor = app, actor
        self.shown: list[WorkOrderView] = []
        self.work_order_dialog: WorkOrderDialog | None = None
        self.table.setObjectName("openWorkOrderTable")
        self.count.setObjectName("openWorkOrderCount")
        self.table.activated.connect(self._open_index)
        self.overdue_only = QCheckBox("只看已超期 (Ctrl+O)")
        self.overdue_only.setObjectName("overdueOnly")
        self.overdue_only.toggled.connect(lambda _on: self.refresh())
        shortcut(self, "Ctrl+O", self.overdue_only.toggle)
        self.add_control(self.overdue_only)
        self.refresh()

    def refresh(self) -> None:
        service, actor, late = self._app.work_orders, self._actor, self.overdue_only.isChecked()
        self._ops.query(lambda: service.open_work_orders(actor, late), self._show, parent=self)

    def _show(self, views: list[WorkOrderView]) -> None:
        selected = self._selected()
        self.shown = views
        self.rows.set_rows(
            [
                (
                    v.work_order_no,
                    v.kind.label,
                    v.status_label,
                    appointment(v),
                    fmt.day(v.promised_date) + ("*" if v.promised_provisional else ""),
                    OVERDUE if v.overdue else "",
                    v.team_name or "待分配",
                    v.address,
                )
                for v in views
            ],
            views,
        )
        late = sum(1 for v in views if v.overdue)
        what = "已超期的装机工单" if self.overdue_only.isChecked() else "在途装机工单"
        text = f"{what} {len(views)} 张"
        if late and not self.overdue_only.isChecked():
            text += f"，其中 {late} 张已超过承诺装机日期"
        self.count.setText(f"{text}。↑↓ 选择，回车打开工单")
        set_role(self.count, "error" if late else None)
        if views:
            ids = [v.id for v in views]
            self.table.selectRow(
                ids.index(selected) if selected is not None and selected in ids else 0
            )
            self.table.setFocus()

    def _selected(self) -> uuid.UUID | None:
        rows = self.table.selectionModel().selectedRows()
        return self.shown[rows[0].row()].id if rows and rows[0].row() < len(self.shown) else None

    def _open_index(self, index: QModelIndex) -> None:
        view = self.rows.payload(index.row())
        if not isinstance(view, WorkOrderView):
            return
        if self.work_order_dialog is not None:
            self.work_order_dialog.deleteLater()
        app = self._app
        self.work_order_dialog = WorkOrderDialog(
            view,
            app.work_orders,
            self._actor,
            self._ops,
            slots=app.slots,
            documents=app.documents,
            parent=self,
        )
        self.work_order_dialog.open()
