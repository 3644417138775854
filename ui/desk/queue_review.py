"""排队日报: the day's (or a month's) queue reviewed. Choose a day (default today), a service
type, a counter or a clerk; the figures per service type and per clerk, the periods, idle time,
the business per order type and the tickets in tables, the four charts, and the export to
.xlsx or a printable PDF.

The report is computed in a reader thread (``ops.query``), its table rows formatted there too;
the charts are drawn there with Agg (``chart_view``); exports are written there. The GUI thread
only sets rows and paints images."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import shiboken6
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hall_app.clock import business_date
from hall_app.domain.errors import DeviceError, HallError
from hall_app.domain.queue_report import QueueReport
from hall_app.services.actor import Actor
from hall_app.services.reports import QueueReportService, ReportChoice, ReportFilters
from ui.desk.chart_view import (
    CHART_KEYS,
    ChartView,
    RenderedChart,
    freeze_loaded,
    render_chart,
    warm_up,
)
from ui.desk.pages import DeskContext
from ui.desk.queue_tables import SPECS, Rows, summary, table_rows
from ui.keys import shortcut
from ui.ops import ChangeEvent, Changes
from ui.style import set_role
from ui.table import RowsModel, fit_columns, make_table

log = logging.getLogger("hall.ui.desk.queue")
DAY, MONTH = "day", "month"
REFRESH_SETTLE_MS = 1500  # today's review follows the queue, at most this often


@dataclass(frozen=True)
class Query:
    """What the review shows: a day or a month, and the filters (None: all)."""

    mode: str
    day: date
    service_code: str | None
    counter_code: str | None
    staff_id: uuid.UUID | None


@dataclass(frozen=True)
class Reviewed:
    """A report with its tables' rows, formatted in the reader thread."""

    query: Query
    report: QueueReport
    rows: dict[str, Rows]


def _ask_save_path(parent: QWidget, title: str, suggested: str, pattern: str) -> str:
    """The save dialog (patched in tests); an empty string when cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, pattern)
    return path


def _export_xlsx(report: QueueReport, path: str) -> str:
    from hall_app.documents.report_xlsx import write_queue_xlsx  # openpyxl: off the GUI thread

    try:
        write_queue_xlsx(report, path)
    except OSError as exc:
        raise DeviceError(f"无法写入 {path}：{exc.strerror or exc}", "导出") from exc
    return path


def _export_pdf(report: QueueReport, path: str) -> str:
    from hall_app.documents.queue_daily import render_daily_pdf  # reportlab, matplotlib

    pdf = render_daily_pdf(report)
    try:
        Path(path).write_bytes(pdf)
    except OSError as exc:
        raise DeviceError(f"无法写入 {path}：{exc.strerror or exc}", "导出") from exc
    return path


Export = Callable[[QueueReport, str], str]


def _review(service: QueueReportService, actor: Actor, q: Query) -> Reviewed:
    """For a reader thread: the report and its tables' rows."""
    filters = {"service_code": q.service_code, "counter_code": q.counter_code}
    if q.mode == MONTH:
        report = service.month(actor, q.day.year, q.day.month, **filters, staff_id=q.staff_id)
    else:
        report = service.day(actor, q.day, **filters, staff_id=q.staff_id)
    return Reviewed(q, report, table_rows(report))


class QueueReviewPage(QWidget):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queueReviewPage")
        self._ctx = ctx
        self._service = ctx.app.reports
        self.reviewed: Reviewed | None = None
        self._asked = 0  # the latest query's number: an older answer arriving late is dropped
        self.exported: list[str] = []

        self.mode = QComboBox()
        self.mode.setObjectName("reviewMode")
        self.mode.addItem("日报", DAY)
        self.mode.addItem("月报", MONTH)
        self.date = QDateEdit()
        self.date.setObjectName("reviewDate")
        self.date.setCalendarPopup(True)
        today = business_date(ctx.app.clock())
        self.date.setMaximumDate(QDate(today.year, today.month, today.day))
        first = date.fromisoformat(ctx.app.settings.rules.hall_first_day)
        self.date.setMinimumDate(QDate(first.year, first.month, first.day))
        self.date.setDate(QDate(today.year, today.month, today.day))
        self.service = self._combo("reviewService", "全部业务类型", 9)
        self.counter = self._combo("reviewCounter", "全部窗口")
        self.clerk = self._combo("reviewClerk", "全部营业员", 7)
        self.query_button = QPushButton("查询 (Ctrl+R)")
        self.query_button.setObjectName("reviewQuery")
        self.xlsx_button = QPushButton("导出 Excel (Ctrl+E)")
        self.xlsx_button.setObjectName("reviewXlsx")
        self.pdf_button = QPushButton("导出 PDF (Ctrl+P)")
        self.pdf_button.setObjectName("reviewPdf")
        for button in (self.query_button, self.xlsx_button, self.pdf_button):
            button.setAutoDefault(False)
        self.status = QLabel("")
        self.status.setObjectName("reviewStatus")
        self.status.setWordWrap(True)
        self.summary = QLabel("")
        self.summary.setObjectName("reviewSummary")
        self.summary.setWordWrap(True)

        filters = QHBoxLayout()
        for text, widget in (
            ("报表(&M)", self.mode),
            ("日期(&D)", self.date),
            ("业务类型(&T)", self.service),
            ("窗口(&W)", self.counter),
            ("营业员(&Y)", self.clerk),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget)
        filters.addWidget(self.query_button)
        filters.addStretch(1)
        heading = QHBoxLayout()
        heading.addWidget(self.summary, 1)
        heading.addWidget(self.xlsx_button)
        heading.addWidget(self.pdf_button)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("reviewTabs")
        self.tabs.setUsesScrollButtons(True)
        self.tabs.addTab(self._charts_tab(), "图表")
        self.models: dict[str, RowsModel] = {}
        self.tables: dict[str, QTableView] = {}
        for spec in SPECS:
            model = RowsModel(spec.headers, self)
            view = make_table(model, spec.sample)
            view.setObjectName(spec.key)
            if spec.elastic:
                fit_columns(view, dict(spec.elastic))
            self.models[spec.key] = model
            self.tables[spec.key] = view
            self.tabs.addTab(self._narrowed(view) if spec.narrow else view, spec.title)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 6, 4, 4)
        layout.addLayout(filters)
        layout.addLayout(heading)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)

        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.query_button.clicked.connect(self.refresh)
        self.xlsx_button.clicked.connect(self.export_xlsx)
        self.pdf_button.clicked.connect(self.export_pdf)
        # Ctrl+R/E/P while the page is shown (wherever the focus is in the window, e.g. back
        # from a busy dialog); Enter only from inside the page (a list elsewhere takes it)
        shortcut(self, "Ctrl+R", self.refresh)
        shortcut(self, "Ctrl+E", self.export_xlsx)
        shortcut(self, "Ctrl+P", self.export_pdf)
        inside = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for key in ("Return", "Enter"):
            shortcut(self, key, self.refresh, inside)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(REFRESH_SETTLE_MS)
        self._settle.timeout.connect(self._refresh_if_today)
        ctx.ops.changed.connect(self._on_changed)
        self._set_exportable(False)
        self._say("")
        actor, service = ctx.actor, self._service
        self._warm = False  # matplotlib loaded in a reader thread: the charts may be drawn
        ctx.ops.query(warm_up, lambda _none: self._warmed())
        ctx.ops.query(
            lambda: service.filters(actor), self._show_filters, self._refused, parent=self
        )
        self.refresh()

    # -- building --------------------------------------------------------------------------
    def _combo(self, name: str, everything: str, chars: int = 6) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.addItem(everything, None)
        combo.setMinimumContentsLength(chars)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        return combo

    @staticmethod
    def _narrowed(view: QTableView) -> QWidget:
        """A table of a few columns as wide as they are, at the left of its tab."""
        header = view.horizontalHeader()
        header.setStretchLastSection(False)
        width = sum(view.columnWidth(c) for c in range(header.count()))
        view.setMaximumWidth(width + view.verticalScrollBar().sizeHint().width() + 4)
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(view, 1)
        row.addStretch(0)
        return holder

    def _charts_tab(self) -> QWidget:
        tab = QWidget()
        grid = QGridLayout(tab)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        self.charts: dict[str, ChartView] = {}
        for i, key in enumerate(CHART_KEYS):
            view = ChartView(key)
            view.wants_render.connect(self._render_one)
            self.charts[key] = view
            grid.addWidget(view, i // 2, i % 2)
        return tab

    def _show_filters(self, choices: ReportFilters) -> None:
        for combo, items in (
            (self.service, choices.service_types),
            (self.counter, choices.counters),
            (self.clerk, choices.clerks),
        ):
            self._fill(combo, items)

    @staticmethod
    def _fill(combo: QComboBox, items: tuple[ReportChoice, ...]) -> None:
        chosen = combo.currentData()
        while combo.count() > 1:
            combo.removeItem(1)
        for item in items:
            combo.addItem(item.label, item.code)
        index = combo.findData(chosen)
        combo.setCurrentIndex(max(index, 0))

    def _mode_changed(self) -> None:
        month = self.mode.currentData() == MONTH
        self.date.setDisplayFormat("yyyy-MM" if month else "yyyy-MM-dd")

    # -- the report ------------------------------------------------------------------------
    def query(self) -> Query:
        d = self.date.date()
        staff = self.clerk.currentData()
        return Query(
            mode=str(self.mode.currentData()),
            day=date(d.year(), d.month(), d.day()),
            service_code=self.service.currentData(),
            counter_code=self.counter.currentData(),
            staff_id=uuid.UUID(staff) if staff else None,
        )

    def refresh(self) -> None:
        """The review for the chosen day or month and filters, computed in a reader thread."""
        asked = self._asked = self._asked + 1
        q, actor, service = self.query(), self._ctx.actor, self._service

        self._say("")  # the status bar says 处理中… meanwhile
        self.query_button.setEnabled(False)
        self._ctx.ops.query(
            lambda: _review(service, actor, q),
            lambda r: self._show(asked, r),
            lambda exc: self._refused(exc, asked),
            parent=self,
            always=lambda: self.query_button.setEnabled(True),
        )

    def _show(self, asked: int, reviewed: Reviewed) -> None:
        if asked != self._asked:
            return  # a later query is under way
        self.reviewed = reviewed
        report = reviewed.report
        for key, model in self.models.items():
            model.set_rows(reviewed.rows[key])
        heading = f"{report.title_period}{('（' + report.filters + '）') if report.filters else ''}"
        self.summary.setText(f"{heading}　{summary(report)}")
        set_role(self.summary, "muted" if report.empty else None)
        self._say("")
        self._set_exportable(True)
        for view in self.charts.values():
            view.show_text(report.empty_text if report.empty else "正在绘制…")
        if not report.empty:
            for key in self.charts:
                self._render_one(key)

    def _warmed(self) -> None:
        freeze_loaded()
        self._warm = True
        if self.reviewed is not None and not self.reviewed.report.empty:
            for key in self.charts:
                self._render_one(key)

    def _render_one(self, key: str) -> None:
        reviewed = self.reviewed
        if reviewed is None or reviewed.report.empty or not self._warm:
            return
        view = self.charts[key]
        size, ratio = view.render_size()
        report, asked = reviewed.report, self._asked
        self._ctx.ops.query(
            lambda: render_chart(key, report, size, ratio),
            lambda chart: self._show_chart(asked, chart),
            parent=self,
        )

    def _show_chart(self, asked: int, chart: RenderedChart) -> None:
        if asked == self._asked:
            self.charts[chart.key].show_chart(chart)

    def _refused(self, exc: HallError, asked: int | None = None) -> None:
        if asked is not None and asked != self._asked:
            return
        self._say(exc.text, "error")

    def _say(self, text: str, role: str | None = None) -> None:
        """The line under the figures: progress, a refusal, an export done (hidden when empty)."""
        self.status.setText(text)
        set_role(self.status, role)
        self.status.setVisible(bool(text))

    def _on_changed(self, event: ChangeEvent) -> None:
        """Today's review follows this counter's queue work (not a past day's)."""
        if event.touches(Changes.QUEUE | Changes.EVALUATIONS | Changes.ORDERS):
            self._settle.start()

    def _refresh_if_today(self) -> None:
        q = self.query()
        today = business_date(self._ctx.app.clock())
        current = (
            q.day == today
            if q.mode == DAY
            else (q.day.year, q.day.month)
            == (
                today.year,
                today.month,
            )
        )
        if current and self.isVisible():
            self.refresh()

    # -- export ----------------------------------------------------------------------------
    def _set_exportable(self, on: bool) -> None:
        self.xlsx_button.setEnabled(on)
        self.pdf_button.setEnabled(on)

    def _suggested(self, suffix: str) -> str:
        assert self.reviewed is not None
        first = self.reviewed.report.first_day
        if self.reviewed.query.mode == DAY:
            return f"排队日报-{first.isoformat()}.{suffix}"
        return f"排队月报-{first:%Y-%m}.{suffix}"

    def export_xlsx(self) -> None:
        self._export("导出 Excel", "xlsx", "Excel 工作簿 (*.xlsx)", _export_xlsx)

    def export_pdf(self) -> None:
        self._export("导出 PDF", "pdf", "PDF 文件 (*.pdf)", _export_pdf)

    def _export(self, title: str, suffix: str, pattern: str, write: Export) -> None:
        if self.reviewed is None or not self.xlsx_button.isEnabled():
            return
        path = _ask_save_path(self, title, self._suggested(suffix), pattern)
        if not path:
            return
        if not path.lower().endswith(f".{suffix}"):
            path += f".{suffix}"
        report = self.reviewed.report
        focused = self.focusWidget()
        self._set_exportable(False)
        self._ctx.ops.query(
            lambda: write(report, path),
            self._exported,
            self._refused,
            parent=self,
            label=f"正在{title}…",
            always=lambda: self._after_export(focused),
        )

    def _after_export(self, focused: QWidget | None) -> None:
        """The buttons back, and the focus where it was (a busy dialog may have taken it)."""
        self._set_exportable(self.reviewed is not None)
        if focused is not None and shiboken6.isValid(focused) and focused.isVisible():
            focused.setFocus()

    def _exported(self, path: str) -> None:
        self.exported.append(path)
        self._say(f"已导出：{path}", "ok")
        log.info("queue review exported to %s", path)

    def stop(self) -> None:
        self._settle.stop()
        with contextlib.suppress(RuntimeError, TypeError):  # already disconnected
            self._ctx.ops.changed.disconnect(self._on_changed)
