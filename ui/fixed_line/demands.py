"""The 预约登记 list for the supervisor: addresses not covered yet, who to call back."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QPushButton, QWidget

from hall_app.app import HallApp
from hall_app.domain.enums import DemandStatus
from hall_app.domain.errors import HallError
from hall_app.services.actor import Actor
from hall_app.services.fixed_line import DemandView
from ui import format as fmt
from ui.keys import shortcut
from ui.ops import Changes, Operations
from ui.style import set_role
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
        self.notified = QPushButton("已通知客户 (Ctrl+1)")
        self.notified.setObjectName("demandNotified")
        self.closed = QPushButton("关闭登记 (Ctrl+2)")
        self.closed.setObjectName("demandClosed")
        for button, status in (
            (self.notified, DemandStatus.NOTIFIED),
            (self.closed, DemandStatus.CLOSED),
        ):
            button.setAutoDefault(False)
            button.clicked.connect(lambda _c=False, s=status: self.follow_up(s))
            self.add_control(button)
        shortcut(self, "Ctrl+1", lambda: self.follow_up(DemandStatus.NOTIFIED))
        shortcut(self, "Ctrl+2", lambda: self.follow_up(DemandStatus.CLOSED))
        self.refresh()

    def follow_up(self, status: DemandStatus) -> None:
        """The selected 预约登记 followed up: the customer told, or the request closed."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        demand = self.rows.payload(rows[0].row())
        if not isinstance(demand, DemandView):
            return
        service, actor = self._app.fixed_line, self._actor
        self._ops.mutate(
            lambda: service.follow_up_demand(actor, demand.id, status),
            lambda _view: self.refresh(),
            self._refused,
            changes=Changes.CUSTOMER,
            parent=self,
            label="正在保存跟进结果…",
        )

    def _refused(self, exc: HallError) -> None:
        self.count.setText(exc.text)
        set_role(self.count, "error")

    def refresh(self) -> None:
        service, actor = self._app.fixed_line, self._actor
        # With full phone numbers (a supervisor) the list is an audited view: a write.
        self._ops.mutate(
            lambda: service.demands(actor), self._show, changes=Changes.NONE, parent=self
        )

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
        set_role(self.count, None)
        if rows:
            self.table.selectRow(0)
            self.table.setFocus()
