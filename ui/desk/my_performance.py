"""我的业绩 (Ctrl+Shift+P from the main window): a clerk's own figures for a day, a week or a
month, the 不满意 they received with the reasons, and their appraisal this month (score and
rank in the hall). The service refuses anyone else's figures to a clerk."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from hall_app.app import HallApp
from hall_app.clock import business_date
from hall_app.domain.appraisal import kpi_text
from hall_app.domain.errors import HallError
from hall_app.services.actor import Actor
from hall_app.services.performance import AppraisalSheet, ClerkPerformance
from ui.desk import perf_common as common
from ui.ops import Operations
from ui.screen import fit_to_screen
from ui.style import set_role
from ui.table import RowsModel, make_table


class MyPerformanceDialog(QDialog):
    def __init__(
        self, app: HallApp, actor: Actor, ops: Operations, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("myPerformance")
        self.setWindowTitle(f"我的业绩 — {actor.full_name}（工号 {actor.employee_no}）")
        self._service, self._actor, self._ops = app.performance, actor, ops
        today = business_date(app.clock())
        self._today = today
        self.period = common.PeriodChooser(today)
        self.figures = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for label in (
            "期间",
            "服务人数",
            "平均办理时长",
            "等候达标率",
            "业务笔数",
            "营业收入",
            "服务评价",
            "满意率",
            "重打单据",
            "被红冲发票",
        ):
            value = QLabel("")
            value.setObjectName(f"my_{label}")
            value.setWordWrap(True)
            self.values[label] = value
            self.figures.addRow(f"{label}：", value)
        self.complaints_model = RowsModel(common.COMPLAINT_HEADERS, self)
        self.complaints_view = make_table(self.complaints_model, common.COMPLAINT_SAMPLES, self)
        self.appraisal_label = QLabel("")
        self.appraisal_label.setObjectName("myAppraisal")
        self.appraisal_label.setWordWrap(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.period)
        layout.addLayout(self.figures)
        layout.addWidget(QLabel("收到的不满意评价："))
        layout.addWidget(self.complaints_view, 1)
        layout.addWidget(self.appraisal_label)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.period.changed.connect(self._load)
        self.period.start()
        self._load_appraisal(today)
        fit_to_screen(self, QSize(760, 620))

    def _load(self, first: date, last: date) -> None:
        service, actor = self._service, self._actor
        self._ops.query(
            lambda: service.clerk(actor, actor.staff_id, first, last),
            self._show,
            self._failed,
            parent=self,
        )

    def _show(self, p: ClerkPerformance) -> None:
        self.shown = p
        for label, value in common.clerk_summary(p):
            self.values[label].setText(value)
        self.complaints_model.set_rows([common.complaint_row(c) for c in p.dissatisfied])

    def _load_appraisal(self, today: date) -> None:
        service, actor = self._service, self._actor
        self._ops.query(
            lambda: service.appraisal(actor, today.year, today.month),
            self._show_appraisal,
            self._failed,
            parent=self,
        )

    def _show_appraisal(self, sheet: AppraisalSheet) -> None:
        if not sheet.rows:
            self.appraisal_label.setText(f"{sheet.title}：本月暂无您的考核数据")
            return
        row = sheet.rows[0]
        parts = "　".join(
            f"{s.kpi.label} {kpi_text(s.kpi, s.value)}（{s.points:.1f}分）" for s in row.scores
        )
        self.appraisal_label.setText(
            f"{sheet.title}（截至今日）：总分 {row.score:.1f}，"
            f"全厅第 {row.rank} 名 / {sheet.hall_size} 人。{parts}"
        )

    def _failed(self, exc: HallError) -> None:
        set_role(self.status, "error")
        self.status.setText(exc.text)
