"""现金管理 (Alt+3 in the desk): the tills of a day with their status and variance, a till's
or the hall's X report (nothing closed), a till's Z report as frozen with print and reprint
(重打, with a reason), and the hall's day close with every difference named."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from hall_app.clock import business_date
from hall_app.domain.enums import CashSessionStatus
from hall_app.domain.errors import HallError
from hall_app.domain.money import format_yuan
from hall_app.domain.till import print_label
from hall_app.services.cash import CashService, HallReport
from hall_app.services.documents import PrintedDocument
from hall_app.services.tills import CashSessionView, HallDayView, ZReportView, verdict
from ui import format as fmt
from ui import messages
from ui.desk.pages import DeskContext
from ui.documents.preview import DocumentPreview
from ui.keys import shortcut
from ui.ops import ChangeEvent, Changes
from ui.table import RowsModel, make_table

HEADERS = (
    "窗口",
    "营业员",
    "状态",
    "日结单",
    "现金应有",
    "现金实点",
    "差异合计",
    "结果",
    "签认",
)
SAMPLES = (
    "6号窗口（VIP）",  # the hall's longest counter name
    "欧阳晓燕",
    "已日结",
    "Z00000123",
    "¥12,345.00",
    "¥12,345.00",
    "¥1,000.00",
    "现金短款 ¥4.00",
    "黄丽华",
)


def _money(fen: int | None) -> str:
    return "—" if fen is None else format_yuan(fen)


def _table(head: list[str], rows: list[list[str]], right_from: int = 1) -> str:
    cells = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td align='{'right' if i >= right_from else 'left'}'>{escape(c)}</td>"
            for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table cellspacing='0' cellpadding='3' border='1'><tr>{cells}</tr>{body}</table>"


def x_html(t: CashSessionView) -> str:
    rows = [
        [c.label, _money(c.expected_fen), _money(c.counted_fen) if t.counted else "未点钞"]
        for c in t.checks
    ]
    return (
        f"<h3>X 报表 · {escape(t.counter_name)} · {escape(t.staff_name)}</h3>"
        f"<p>开班 {fmt.when(t.opened_at)} · {t.status.label} · 收款 {t.payments} 笔<br>"
        f"备用金 {_money(t.opening_float_fen)} · 现金收款 {_money(t.cash_fen)} · "
        f"存入 {_money(t.cash_in_fen)} · 支出 {_money(t.cash_out_fen)}</p>"
        + _table(["支付方式", "应有", "实点 / 结算"], rows)
    )


def hall_x_html(r: HallReport) -> str:
    rows = [
        [
            f"{t.counter_name} · {t.staff_name}",
            t.status.label,
            _money(t.expected_cash_fen),
            _money(t.card_fen),
            _money(t.qr_fen),
        ]
        for t in r.tills
    ]
    rows.append(
        [
            "合计",
            f"{r.payments} 笔",
            _money(r.expected_cash_fen),
            _money(r.card_fen),
            _money(r.qr_fen),
        ]
    )
    return (
        f"<h3>营业厅 X 报表 · {fmt.day(r.business_date)}</h3>"
        f"<p>备用金 {_money(r.float_fen)} · 现金收款 {_money(r.cash_fen)} · "
        f"存入 {_money(r.cash_in_fen)} · 支出 {_money(r.cash_out_fen)} · "
        f"充值卡 {_money(r.prepaid_fen)}</p>"
        + _table(["钱箱", "状态", "现金应有", "银行卡", "扫码"], rows, right_from=2)
    )


def z_html(z: ZReportView) -> str:
    c: dict[str, Any] = z.content
    methods = [
        [
            m["label"],
            _money(m["expected_fen"]),
            _money(m["counted_fen"]),
            _money(m["difference_fen"]),
        ]
        for m in c["methods"]
    ]
    moves = "".join(
        f"<li>{escape(m['at'])} {escape(m['label'])} {_money(m['amount_fen'])}："
        f"{escape(m['reason'])}</li>"
        for m in c["movements"]
    )
    voids = "".join(
        f"<li>{escape(v['what'])} {escape(v['order_no'])} {escape(v['method'])} "
        f"{_money(v['amount_fen'])}</li>"
        for v in c["voids"]
    )
    reds = "".join(
        f"<li>{escape(r['invoice_no'])} {_money(r['total_fen'])}</li>" for r in c["red_letters"]
    )
    prints = "".join(
        f"<li>{fmt.when(p.printed_at)} {escape(p.staff_name)} "
        f"{print_label(p.copy_no)}{'' if p.copy_no == 1 else '：' + escape(p.reason)}</li>"
        for p in z.prints
    )
    signed = (
        f"<br>主管签认：{escape(c['signed_off_by'])}（{escape(c['approval'] or '')}）"
        if c["signed_off_by"]
        else ""
    )
    return (
        f"<h3>日结单 {z.z_ref} · {escape(c['counter'])} · {escape(c['staff'])}</h3>"
        f"<p>营业日 {c['business_date']} · {c['opened_at']} 至 {c['closed_at']}<br>"
        f"备用金 {_money(c['float_fen'])} · 收款 {c['payments']} 笔 · "
        f"找零 {_money(c['change_fen'])}（已扣除）</p>"
        + _table(["支付方式", "应有", "实点 / 结算", "差异"], methods)
        + f"<p><b>{escape(c['verdict'])}</b>（差异合计 {_money(c['variance_fen'])}）"
        + (f"<br>原因：{escape(c['reason'])}" if c["reason"] else "")
        + signed
        + "</p>"
        + f"<p>存取现金：</p><ul>{moves or '<li>无</li>'}</ul>"
        + f"<p>撤销与退款：</p><ul>{voids or '<li>无</li>'}</ul>"
        + f"<p>红字发票：</p><ul>{reds or '<li>无</li>'}</ul>"
        + f"<p>打印记录：</p><ul>{prints or '<li>尚未打印</li>'}</ul>"
    )


def hall_day_html(v: HallDayView) -> str:
    methods = [
        [m.label, _money(m.z_fen), _money(m.payments_fen), _money(m.difference_fen)]
        for m in v.methods
    ]
    diffs = "".join(f"<li>{escape(d)}</li>" for d in v.differences)
    state = (
        f"已日结（{escape(v.closed_by or '')} {fmt.when(v.closed_at)}）" if v.closed else "尚未日结"
    )
    return (
        f"<h3>营业厅日结 · {fmt.day(v.business_date)} · {state}</h3>"
        f"<p>钱箱 {len(v.tills)} 个，未日结 {len(v.open_tills)} 个</p>"
        + _table(["支付方式", "日结单合计", "当日收款", "相差"], methods)
        + f"<p>发票：蓝字 {_money(v.blue_fen)} − 红字 {_money(v.red_fen)} = "
        f"{_money(v.invoiced_fen)}；应开票 {_money(v.invoiceable_fen)}"
        f"（预存、押金、分期本金不开票）；收款合计 {_money(v.payments_total_fen)}</p>"
        + f"<p><b>差异</b></p><ul>{diffs or '<li>无差异：日结单、收款与发票一致</li>'}</ul>"
    )


class TillsPage(QWidget):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tillsPage")
        self._ctx = ctx
        self._cash: CashService = ctx.app.cash
        self.day = QDateEdit()
        self.day.setObjectName("tillsDay")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        today = business_date(ctx.app.clock())
        self.day.setDate(QDate(today.year, today.month, today.day))
        self.day.setMaximumDate(QDate(today.year, today.month, today.day))
        self.day.dateChanged.connect(lambda _d: self.refresh())
        self.model = RowsModel(HEADERS, self)
        self.table = make_table(self.model, SAMPLES, self)
        self.table.setObjectName("tillsTable")
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selected())
        self.report = QTextBrowser()
        self.report.setObjectName("tillsReport")
        self.summary = QLabel("")
        self.summary.setObjectName("tillsSummary")
        self.buttons: dict[str, QPushButton] = {}
        bar = QHBoxLayout()
        bar.addWidget(QLabel("营业日："))
        bar.addWidget(self.day)
        for key, text, keys, slot in (
            ("refresh", "刷新 (F5)", "F5", self.refresh),
            ("x", "X 报表 (F6)", "F6", self.show_x),
            ("hall_x", "营业厅 X 报表 (F7)", "F7", self.show_hall_x),
            ("z", "日结单 (F8)", "F8", self.show_z),
            ("print", "打印日结单 (Ctrl+P)", "Ctrl+P", self.print_z),
            ("day", "日结核对 (F4)", "F4", self.show_day),
            ("close", "营业厅日结 (F9)", "F9", self.close_day),
        ):
            button = QPushButton(text)
            button.setObjectName(f"tills_{key}")
            button.setAutoDefault(False)
            button.clicked.connect(slot)
            shortcut(self, keys, slot)
            self.buttons[key] = button
            bar.addWidget(button)
        bar.addStretch(1)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(self.report)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        self.tills: list[CashSessionView] = []
        self.hall: HallDayView | None = None
        self.preview: DocumentPreview | None = None
        ctx.ops.changed.connect(self._on_changed)
        self.refresh()

    def _on_changed(self, event: ChangeEvent) -> None:
        if event.touches(Changes.CASH | Changes.DOCUMENTS):
            self.refresh()

    @property
    def business_day(self) -> date:
        d = self.day.date()
        return date(d.year(), d.month(), d.day())

    def refresh(self) -> None:
        cash, actor, day = self._cash, self._ctx.actor, self.business_day
        self._ctx.ops.query(
            lambda: cash.hall_day(actor, day), self._show, self._failed, parent=self
        )

    def _show(self, view: HallDayView) -> None:
        if view.business_date != self.business_day:
            return  # an answer for a day no longer chosen
        self.hall = view
        keep = self.current()
        self.tills = list(view.tills)
        self.model.set_rows(
            [
                [
                    t.counter_name,
                    t.staff_name,
                    t.status.label,
                    t.z_label,
                    _money(t.expected_cash_fen),
                    _money(t.counted_cash_fen) if t.counted else "未点钞",
                    _money(t.variance_fen) if t.counted else "",
                    verdict(t.checks) if t.counted else "",
                    t.signed_off_by or "",
                ]
                for t in self.tills
            ],
            self.tills,
        )
        if keep is not None:
            for row, t in enumerate(self.tills):
                if t.id == keep.id:
                    self.table.selectRow(row)
        closed = sum(t.status is CashSessionStatus.CLOSED for t in self.tills)
        state = "营业厅已日结" if view.closed else "营业厅尚未日结"
        self.summary.setText(
            f"{fmt.day(view.business_date)}：钱箱 {len(self.tills)} 个，已日结 {closed} 个；"
            f"{state}；差异 {len(view.differences)} 项"
        )
        self.buttons["close"].setEnabled(not view.closed)
        if self.report.toPlainText() == "" or self.report.property("shows") == "day":
            self._report(hall_day_html(view), "day")

    def current(self) -> CashSessionView | None:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= len(self.tills):
            return None
        till = self.model.payload(index.row())
        assert isinstance(till, CashSessionView)
        return till

    def _selected(self) -> None:
        till = self.current()
        if till is None:
            return
        if till.z_no is not None:
            self.show_z()
        else:
            self.show_x()

    def _report(self, html: str, shows: str) -> None:
        self.report.setProperty("shows", shows)
        self.report.setHtml(html)

    def _pick(self) -> CashSessionView | None:
        till = self.current()
        if till is None:
            messages.warning(self, "请先在列表中选择一个钱箱")
        return till

    def show_x(self) -> None:
        till = self._pick()
        if till is None:
            return
        cash, actor = self._cash, self._ctx.actor
        self._ctx.ops.mutate(  # an X report is audited (and counted on the Z report)
            lambda: cash.x_report(actor, till.id),
            lambda v: self._report(x_html(v), "x"),
            self._failed,
            changes=Changes.NONE,
            parent=self,
        )

    def show_hall_x(self) -> None:
        cash, actor, day = self._cash, self._ctx.actor, self.business_day
        self._ctx.ops.query(
            lambda: cash.hall_x_report(actor, day),
            lambda r: self._report(hall_x_html(r), "hall_x"),
            self._failed,
            parent=self,
        )

    def show_z(self) -> None:
        till = self._pick()
        if till is None:
            return
        if till.z_no is None:
            messages.warning(self, f"{till.counter_name} · {till.staff_name} 的钱箱尚未日结")
            return
        cash, actor = self._cash, self._ctx.actor
        self._ctx.ops.query(
            lambda: cash.z_report(actor, till.id),
            lambda z: self._report(z_html(z), "z"),
            self._failed,
            parent=self,
        )

    def print_z(self) -> None:
        till = self._pick()
        if till is None or till.z_no is None:
            if till is not None:
                messages.warning(self, "该钱箱尚未日结，没有日结单")
            return
        cash, actor, till_id = self._cash, self._ctx.actor, till.id

        def shown(doc: PrintedDocument) -> None:
            self.preview = DocumentPreview(
                doc,
                f"日结单 {till.z_label}",
                self._ctx.ops,
                lambda reason: cash.print_z_report(actor, till_id, reason),
                self,
            )
            self.preview.open()

        self._ctx.ops.query(
            lambda: cash.preview_z_report(actor, till_id), shown, self._failed, parent=self
        )

    def show_day(self) -> None:
        """The hall's day as it stands: the Z reports against payments and invoices."""
        if self.hall is not None:
            self._report(hall_day_html(self.hall), "day")

    def close_day(self) -> None:
        view = self.hall
        if view is None or view.closed:
            return
        if view.open_tills:  # known already: said at once
            messages.warning(self, f"还有钱箱未日结：{'、'.join(view.open_tills)}，请先日结")
            return
        cash, actor, day = self._cash, self._ctx.actor, view.business_date
        # the service refuses first (no till, a till opened since): only a possible close is
        # asked to be confirmed
        self._ctx.ops.query(
            lambda: cash.check_hall_close(actor, day),
            self._confirm_close,
            self._failed,
            parent=self,
        )

    def _confirm_close(self, view: HallDayView) -> None:
        named = "\n".join(f"· {d}" for d in view.differences) or "无差异"
        if not messages.confirm(
            self,
            f"日结 {fmt.day(view.business_date)} 全厅 {len(view.tills)} 个钱箱？"
            f"\n\n差异：\n{named}",
            title="营业厅日结",
        ):
            return
        cash, actor, day = self._cash, self._ctx.actor, view.business_date
        self._ctx.ops.mutate(
            lambda: cash.close_hall_day(actor, day),
            lambda v: self._report(hall_day_html(v), "day"),
            self._failed,
            changes=Changes.CASH,
            parent=self,
        )

    def _failed(self, exc: HallError) -> None:
        messages.error(self, exc.text)
