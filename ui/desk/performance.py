"""The desk's 员工考核 page (Alt+4): the period's figures per clerk, the 不满意 evaluations with
today's alerts above everything, and the monthly appraisal sheet to print or export.

Everything is read through ``ops.query`` off the GUI thread; the alerts refresh from the
EVALUATIONS announcement (a press at this computer) and every 30 s (presses at the other
counters reach the central database, not this app's announcements)."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QTimer
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hall_app.clock import business_date
from hall_app.documents.appraisal import render_appraisal_pdf, write_appraisal_xlsx
from hall_app.domain.appraisal import kpi_text
from hall_app.domain.errors import HallError
from hall_app.services.evaluation import EvaluationAlert
from hall_app.services.performance import AppraisalSheet, HallPerformance
from ui import format as fmt
from ui import messages
from ui.desk import perf_common as common
from ui.desk.pages import DeskContext
from ui.documents.preview import print_pdf
from ui.ops import ChangeEvent, Changes
from ui.style import set_role
from ui.table import RowsModel, make_table

log = logging.getLogger("hall.ui.desk.performance")
ALERTS_MS = 30_000


class PerformancePage(QWidget):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("performancePage")
        self._ctx = ctx
        app, actor = ctx.app, ctx.actor
        self._performance, self._evaluations, self._actor = (
            app.performance,
            app.evaluations,
            actor,
        )
        today = business_date(app.clock())
        self._today = today
        self.hall_figures: HallPerformance | None = None
        self.sheet: AppraisalSheet | None = None

        self.alert_banner = QLabel("今日暂无不满意评价")
        self.alert_banner.setObjectName("alertBanner")
        self.alert_banner.setWordWrap(True)
        self.period = common.PeriodChooser(today)
        self.refresh_button = common.button("刷新", "performanceRefresh")
        self.refresh_button.clicked.connect(self.refresh_all)
        self.status = QLabel("")
        self.status.setObjectName("performanceStatus")
        top = QHBoxLayout()
        top.addWidget(self.period)
        top.addWidget(self.refresh_button)
        top.addStretch(1)
        top.addWidget(self.status)

        self.clerks_model = RowsModel(common.CLERK_HEADERS, self)
        self.clerks_view = make_table(self.clerks_model, common.CLERK_SAMPLES, self)
        self.clerks_view.setObjectName("clerkTable")
        self.clerks_view.horizontalHeader().setStretchLastSection(False)
        self.total_label = QLabel("")
        self.total_label.setObjectName("hallTotal")
        clerks = QWidget()
        col = QVBoxLayout(clerks)
        col.addWidget(self.total_label)
        col.addWidget(self.clerks_view, 1)

        self.complaints_model = RowsModel(common.COMPLAINT_HEADERS, self)
        self.complaints_view = make_table(self.complaints_model, common.COMPLAINT_SAMPLES, self)
        self.complaints_view.setObjectName("complaintTable")

        self.tabs = QTabWidget()
        self.tabs.addTab(clerks, "员工业绩")
        self.tabs.addTab(self.complaints_view, "不满意评价")
        self.tabs.addTab(self._appraisal_tab(today), "月度考核表")

        layout = QVBoxLayout(self)
        layout.addWidget(self.alert_banner)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

        self.period.changed.connect(lambda _f, _l: self.refresh())
        ctx.ops.changed.connect(self._on_changed)
        self._alerts_timer = QTimer(self)
        self._alerts_timer.timeout.connect(self.refresh_alerts)
        self._alerts_timer.start(ALERTS_MS)
        self.period.start()  # the first refresh
        self.refresh_alerts()
        self.load_appraisal()

    def _appraisal_tab(self, today: date) -> QWidget:
        tab = QWidget()
        self.month = QDateEdit(QDate(today.year, today.month, 1))
        self.month.setObjectName("appraisalMonth")
        self.month.setDisplayFormat("yyyy年MM月")
        self.month.setMaximumDate(QDate(today.year, today.month, today.day))
        self.month.dateChanged.connect(lambda _d: self.load_appraisal())
        self.print_button = common.button("打印", "appraisalPrint")
        self.pdf_button = common.button("导出 PDF", "appraisalPdf")
        self.xlsx_button = common.button("导出 Excel", "appraisalXlsx")
        self.print_button.clicked.connect(self.print_sheet)
        self.pdf_button.clicked.connect(self.export_pdf)
        self.xlsx_button.clicked.connect(self.export_xlsx)
        self.sheet_title = QLabel("")
        self.sheet_title.setObjectName("appraisalTitle")
        self.weights_label = QLabel("")
        self.weights_label.setObjectName("appraisalWeights")
        self.weights_label.setWordWrap(True)
        self.sheet_model = RowsModel(common.appraisal_headers(None), self)
        self.sheet_view = make_table(self.sheet_model, None, self)
        self.sheet_view.setObjectName("appraisalTable")
        row = QHBoxLayout()
        row.addWidget(QLabel("考核月份："))
        row.addWidget(self.month)
        row.addWidget(self.sheet_title)
        row.addStretch(1)
        for b in (self.print_button, self.pdf_button, self.xlsx_button):
            row.addWidget(b)
        col = QVBoxLayout(tab)
        col.addLayout(row)
        col.addWidget(self.weights_label)
        col.addWidget(self.sheet_view, 1)
        return tab

    # -- reading ------------------------------------------------------------------------------
    def refresh_all(self) -> None:
        """刷新: the figures of the period and the month's appraisal sheet read again."""
        self.refresh()
        self.load_appraisal()

    def refresh(self) -> None:
        first, last = self.period.days()
        service, actor = self._performance, self._actor
        self.status.setText("正在统计…")
        self._ctx.ops.query(
            lambda: service.hall(actor, first, last), self._show_hall, self._failed, parent=self
        )

    def _show_hall(self, h: HallPerformance) -> None:
        self.hall_figures = h
        self.status.setText("")
        self.clerks_model.set_rows([common.clerk_row(p) for p in h.clerks], list(h.clerks))
        t = h.total
        self.total_label.setText(
            f"全厅：到达 {t.arrivals}　服务 {t.served}　过号 {t.no_shows}　"
            f"平均办理 {common.minutes(t.service_avg_s)}　"
            f"等候达标率 {common.pct(t.within_target_pct)}　不满意 {len(h.dissatisfied)}"
        )
        self.complaints_model.set_rows([common.complaint_row(c) for c in h.dissatisfied])
        self.tabs.setTabText(1, f"不满意评价（{len(h.dissatisfied)}）")

    def refresh_alerts(self) -> None:
        service, actor = self._evaluations, self._actor
        today = business_date(self._ctx.app.clock())
        self._ctx.ops.query(
            lambda: service.alerts(actor, today),
            self._show_alerts,
            lambda exc: log.info("alerts not refreshed: %s", exc.text),
            parent=self,
        )

    def _show_alerts(self, alerts: list[EvaluationAlert]) -> None:
        if not alerts:
            set_role(self.alert_banner, None)
            self.alert_banner.setText("今日暂无不满意评价")
            return
        latest = alerts[0]
        reason = latest.note or "未填写原因"
        set_role(self.alert_banner, "error")
        self.alert_banner.setText(
            f"⚠ 今日不满意评价 {len(alerts)} 条。最新：{fmt.when(latest.rated_at)} "
            f"{latest.counter_name} {latest.staff_name} {latest.ticket_no}（{reason}）"
        )

    def load_appraisal(self) -> None:
        d = self.month.date()
        year, month = d.year(), d.month()
        service, actor = self._performance, self._actor
        self._ctx.ops.query(
            lambda: service.appraisal(actor, year, month),
            self._show_sheet,
            self._failed,
            parent=self,
        )

    def _show_sheet(self, sheet: AppraisalSheet) -> None:
        self.sheet = sheet
        self.sheet_title.setText(f"{sheet.title}（{sheet.hall_size} 人参与排名）")
        self.weights_label.setText(
            "考核指标："
            + "；".join(
                f"{k.label} 权重 {k.weight * 100:.0f}% 目标 "
                f"{'≤' if k.lower_is_better else ''}{kpi_text(k, k.target)}"
                for k in sheet.kpis
            )
        )
        model = RowsModel(common.appraisal_headers(sheet), self)
        model.set_rows(common.appraisal_rows(sheet))
        self.sheet_model = model
        self.sheet_view.setModel(model)
        self.sheet_view.resizeColumnsToContents()  # a handful of rows, once per month chosen

    def _failed(self, exc: HallError) -> None:
        set_role(self.status, "error")
        self.status.setText(exc.text)

    def _on_changed(self, event: ChangeEvent) -> None:
        if event.touches(Changes.EVALUATIONS):
            self.refresh_alerts()
            self.load_appraisal()  # its satisfaction, score and rank changed

    # -- the appraisal sheet out ----------------------------------------------------------------
    def _suggested(self, suffix: str) -> str:
        assert self.sheet is not None
        return f"员工月度考核表_{self.sheet.year}{self.sheet.month:02d}.{suffix}"

    def export_pdf(self) -> None:
        sheet = self.sheet
        if sheet is None:
            return
        path = common.ask_save_path(self, "导出 PDF", self._suggested("pdf"), "PDF 文件 (*.pdf)")
        if path:
            self._ctx.ops.query(
                lambda: Path(path).write_bytes(render_appraisal_pdf(self._fresh(sheet))),
                lambda _n: self._saved(path),
                parent=self,
            )

    def export_xlsx(self) -> None:
        sheet = self.sheet
        if sheet is None:
            return
        path = common.ask_save_path(
            self, "导出 Excel", self._suggested("xlsx"), "Excel 工作簿 (*.xlsx)"
        )
        if path:
            self._ctx.ops.query(
                lambda: write_appraisal_xlsx(self._fresh(sheet), path),
                lambda _n: self._saved(path),
                parent=self,
            )

    def print_sheet(self) -> None:
        sheet = self.sheet
        if sheet is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if common.choose_printer(self, printer):
            self._ctx.ops.query(
                lambda: render_appraisal_pdf(self._fresh(sheet)),
                lambda pdf: self._printed(print_pdf(pdf, printer)),
                parent=self,
            )

    def _fresh(self, sheet: AppraisalSheet) -> AppraisalSheet:
        """``sheet``'s month read again (in the reader thread): what is printed or exported
        is what the figures are now, not what they were when the sheet was shown."""
        return self._performance.appraisal(self._actor, sheet.year, sheet.month)

    def _saved(self, path: str) -> None:
        set_role(self.status, "ok")
        self.status.setText(f"已保存：{path}")

    def _printed(self, pages: int) -> None:
        set_role(self.status, "ok")
        self.status.setText(f"已打印 {pages} 页")
        if pages == 0:
            messages.warning(self, "考核表没有可打印的页面")
