"""敏感信息查看记录: every time a full ID or phone number was shown, for the supervisor to review
by business day, all staff or one (查看人): when, who, at which window, on which screen, and
whose (masked)."""

from __future__ import annotations

import uuid
from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hall_app.clock import business_date, fmt_local
from hall_app.domain.errors import HallError
from hall_app.services.sensitive_views import LIMIT, SensitiveView, Viewer
from ui.desk.pages import DeskContext
from ui.keys import shortcut
from ui.style import set_role
from ui.table import RowsModel, fit_columns, make_table

HEADERS = ("时间", "查看人", "窗口", "界面", "客户（已脱敏）")
SAMPLES = (
    "2026-11-24 16:45:12",
    "黄丽华（S0001）",
    "6号窗口（VIP）",
    "宽带预约登记",
    "张**（3501**********1234）",
)


def view_row(v: SensitiveView) -> list[str]:
    return [fmt_local(v.at, with_seconds=True), v.staff_name, v.counter_name, v.screen, v.subject]


class SensitiveViewsPage(QWidget):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sensitiveViews")
        self._ctx = ctx
        self._asked = 0  # the latest query's number: a late older answer is dropped
        self.shown: list[SensitiveView] | None = None
        today = business_date(ctx.app.clock())
        self.date = QDateEdit()
        self.date.setObjectName("sensitiveDate")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.setMaximumDate(QDate(today.year, today.month, today.day))
        self.date.setDate(QDate(today.year, today.month, today.day))
        self.viewer = QComboBox()
        self.viewer.setObjectName("sensitiveViewer")
        self.viewer.setToolTip("只看某位员工的查看记录")
        self.viewer.addItem("全部员工", None)
        self.viewer.setMinimumContentsLength(12)
        self.viewer.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.query_button = QPushButton("查询 (Ctrl+R)")
        self.query_button.setObjectName("sensitiveQuery")
        self.count = QLabel("")
        self.count.setObjectName("sensitiveCount")
        self.status = QLabel("")
        self.status.setObjectName("sensitiveStatus")
        self.status.setWordWrap(True)
        self.model = RowsModel(HEADERS, self)
        self.table = make_table(self.model, SAMPLES, self)
        fit_columns(self.table, {4: 1})

        bar = QHBoxLayout()
        bar.addWidget(QLabel("营业日："))
        bar.addWidget(self.date)
        viewer_label = QLabel("查看人：")
        viewer_label.setBuddy(self.viewer)
        bar.addWidget(viewer_label)
        bar.addWidget(self.viewer)
        bar.addWidget(self.query_button)
        bar.addStretch(1)
        bar.addWidget(self.count)
        layout = QVBoxLayout(self)
        note = QLabel(
            "每次显示完整证件号码或电话号码都会记入审计日志；此处按营业日列出查看人、窗口、界面和客户。"
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

        self.query_button.clicked.connect(self.refresh)
        self.date.dateChanged.connect(lambda _d: self.refresh())
        self.viewer.currentIndexChanged.connect(lambda _i: self.refresh())
        shortcut(self, "Ctrl+R", self.refresh)
        self._ctx.ops.query(  # refused: the list's own query says why, in the status line
            lambda: ctx.app.sensitive_views.viewers(ctx.actor),
            self._fill_viewers,
            lambda _exc: None,
            parent=self,
        )
        self.refresh()

    def _fill_viewers(self, viewers: list[Viewer]) -> None:
        self.viewer.blockSignals(True)  # filling is no new query
        for v in viewers:
            self.viewer.addItem(v.label, str(v.staff_id))  # a Qt string: findData finds it
        self.viewer.blockSignals(False)

    def staff_id(self) -> uuid.UUID | None:
        chosen = self.viewer.currentData()
        return uuid.UUID(chosen) if isinstance(chosen, str) else None

    def day(self) -> date:
        d = self.date.date()
        return date(d.year(), d.month(), d.day())

    def refresh(self) -> None:
        service, actor, day = self._ctx.app.sensitive_views, self._ctx.actor, self.day()
        staff_id, who = self.staff_id(), self.viewer.currentText()
        self._asked += 1
        asked = self._asked
        self._ctx.ops.query(
            lambda: service.views(actor, day, staff_id=staff_id),
            lambda rows: self._show(asked, day, rows, who if staff_id else ""),
            self._failed,
            parent=self,
        )

    def _show(self, asked: int, day: date, rows: list[SensitiveView], who: str) -> None:
        if asked != self._asked:
            return
        self.shown = rows
        self.model.set_rows([view_row(v) for v in rows], rows)
        more = f"（仅显示最近 {LIMIT} 条）" if len(rows) >= LIMIT else ""
        by = f" {who}" if who else ""
        self.count.setText(f"{day.isoformat()}{by} 共 {len(rows)} 次查看{more}")
        set_role(self.status, "")
        empty = f"{who} 在该营业日没有" if who else "该营业日没有"
        self.status.setText("" if rows else f"{empty}查看完整号码的记录")

    def _failed(self, exc: HallError) -> None:
        set_role(self.status, "error")
        self.status.setText(exc.text)
