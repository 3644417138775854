"""What the supervisor's 员工考核 page and a clerk's 我的业绩 share: the period chooser, the
figures of one clerk as rows, the appraisal table, and the export helpers."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from hall_app.domain.appraisal import kpi_text
from hall_app.domain.enums import Rating
from hall_app.services.performance import (
    PERIODS,
    AppraisalSheet,
    ClerkPerformance,
    Complaint,
    period_days,
)
from ui import format as fmt


def minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f} 分钟"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


CLERK_HEADERS = (
    "工号",
    "姓名",
    "服务人数",
    "平均办理",
    "等候达标率",
    "业务笔数",
    "营业收入",
    "满意率",
    "不满意",
    "未评价",
    "重打",
    "红冲",
)
CLERK_SAMPLES = (
    "FZ0001",
    "林晓燕",
    "1000",
    "14.0 分钟",
    "100.0%",
    "1000",
    "¥500,000.00",
    "100.0%",
    "99",
    "999",
    "99",
    "99",
)


COMPLAINT_HEADERS = ("评价时间", "排队号", "营业员", "不满意原因")
COMPLAINT_SAMPLES = ("2026-11-24 10:00", "A001", "林晓燕", "等候时间太长；办理速度慢")


def complaint_row(c: Complaint) -> list[str]:
    return [fmt.when(c.rated_at), c.ticket_no, c.staff_name, c.note or "（未填写原因）"]


def clerk_row(p: ClerkPerformance) -> list[str]:
    return [
        p.employee_no,
        p.staff_name,
        str(p.tickets.served),
        minutes(p.tickets.service_avg_s),
        pct(p.tickets.within_target_pct),
        str(p.orders_total),
        fmt.money(p.revenue_fen),
        pct(p.satisfied_pct),
        str(p.rating_count(Rating.DISSATISFIED)),
        str(p.rating_count(Rating.NO_ANSWER)),
        str(p.reprints),
        str(p.red_letters),
    ]


def clerk_summary(p: ClerkPerformance) -> list[tuple[str, str]]:
    """One clerk's figures as (label, value) lines, for 我的业绩."""
    ratings = "　".join(f"{r.label} {n}" for r, n in p.ratings)
    orders = "　".join(f"{o.label} {o.orders}" for o in p.orders) or "无"
    return [
        ("期间", f"{fmt.day(p.first_day)} 至 {fmt.day(p.last_day)}"),
        ("服务人数", str(p.tickets.served)),
        ("平均办理时长", minutes(p.tickets.service_avg_s)),
        ("等候达标率", pct(p.tickets.within_target_pct)),
        ("业务笔数", f"{p.orders_total}（{orders}）"),
        ("营业收入", fmt.money(p.revenue_fen)),
        ("服务评价", ratings),
        ("满意率", pct(p.satisfied_pct)),
        ("重打单据", str(p.reprints)),
        ("被红冲发票", str(p.red_letters)),
    ]


def appraisal_headers(sheet: AppraisalSheet | None) -> list[str]:
    kpis = [k.label for k in sheet.kpis] if sheet is not None else []
    return ["排名", "工号", "姓名", *kpis, "总分"]


def appraisal_rows(sheet: AppraisalSheet) -> list[list[str]]:
    return [
        [
            str(r.rank),
            r.employee_no,
            r.staff_name,
            *(f"{kpi_text(s.kpi, s.value)}（{s.points:.1f}分）" for s in r.scores),
            f"{r.score:.1f}",
        ]
        for r in sheet.rows
    ]


class PeriodChooser(QWidget):
    """日 / 周 / 月 and a day in it; ``changed`` carries (first, last)."""

    changed = Signal(object, object)

    def __init__(self, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QComboBox()
        self.kind.setObjectName("periodKind")
        for code, label in PERIODS.items():
            self.kind.addItem(label, code)
        self.kind.setCurrentIndex(2)  # the month so far
        self.anchor = QDateEdit(QDate(today.year, today.month, today.day))
        self.anchor.setObjectName("periodDay")
        self.anchor.setCalendarPopup(True)
        self.anchor.setDisplayFormat("yyyy-MM-dd")
        self.anchor.setMaximumDate(QDate(today.year, today.month, today.day))
        self.range_label = QLabel("")
        self.range_label.setObjectName("periodRange")
        self._today = today
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("期间："))
        row.addWidget(self.kind)
        row.addWidget(self.anchor)
        row.addWidget(self.range_label)
        self.kind.currentIndexChanged.connect(self._emit)
        self.anchor.dateChanged.connect(self._emit)

    def days(self) -> tuple[date, date]:
        d = self.anchor.date()
        first, last = period_days(str(self.kind.currentData()), date(d.year(), d.month(), d.day()))
        return first, min(last, self._today)  # the month so far, never a future day

    def _emit(self) -> None:
        first, last = self.days()
        self.range_label.setText(f"{fmt.day(first)} 至 {fmt.day(last)}")
        self.changed.emit(first, last)

    def start(self) -> None:
        self._emit()


def ask_save_path(parent: QWidget, title: str, suggested: str, pattern: str) -> str:
    """The save dialog (patched in tests); an empty string when cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, pattern)
    return path


def choose_printer(parent: QWidget, printer: QPrinter) -> bool:
    """The system print dialog (patched in tests)."""
    return QPrintDialog(printer, parent).exec() == QDialog.DialogCode.Accepted


def button(text: str, name: str) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    return b
