"""The queue review as an ``.xlsx`` workbook: sheet 指标 (the figures) and sheet 排队明细 (one
row per ticket). The tickets carry no customer data (no name, ID or phone), so there is
nothing to mask; durations are written in seconds so they can be summed."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from hall_app.clock import local
from hall_app.documents.queue_daily import title_of
from hall_app.domain.queue_report import WAIT_BUCKET_LABELS, Figures, QueueReport

FIGURES_SHEET = "指标"
TICKETS_SHEET = "排队明细"
FIGURE_COLUMNS = (
    "分组",
    "到达",
    "完成",
    "过号",
    "过号率%",
    "平均等候(秒)",
    "90%等候(秒)",
    "最长等候(秒)",
    "平均办理(秒)",
    "最长办理(秒)",
    "达标",
    "达标率%",
    *(f"等候{label}" for label in WAIT_BUCKET_LABELS),
)
TICKET_COLUMNS = (
    "排队号",
    "业务类型",
    "目标(分钟)",
    "状态",
    "取号时间",
    "叫号时间",
    "开始时间",
    "结束时间",
    "等候(秒)",
    "走到窗口(秒)",
    "办理(秒)",
    "重呼次数",
    "转移过",
    "窗口",
    "营业员",
    "受理业务",
    "收款(元)",
    "评价",
)
BOLD = Font(bold=True)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _figure_row(f: Figures) -> list[object]:
    return [
        f.label,
        f.arrivals,
        f.served,
        f.no_shows,
        _round(f.no_show_pct),
        _round(f.wait_avg_s),
        _round(f.wait_p90_s),
        _round(f.wait_max_s),
        _round(f.service_avg_s),
        _round(f.service_max_s),
        f.within_target,
        _round(f.within_target_pct),
        *f.wait_buckets,
    ]


def _heading(ws: Worksheet, values: Sequence[object]) -> None:
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        cell.font = BOLD


def write_queue_xlsx(report: QueueReport, out: str | Path | IO[bytes]) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = FIGURES_SHEET
    ws.append([f"{title_of(report)} {report.title_period}"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"筛选：{report.filters}" if report.filters else "筛选：无"])
    if report.empty:
        ws.append([report.empty_text])
    ws.append([])
    ws.append(["按业务类型"])
    _heading(ws, FIGURE_COLUMNS)
    for f in (*report.by_service, report.total):
        ws.append(_figure_row(f))
    ws.append([])
    ws.append(["按营业员"])
    _heading(ws, FIGURE_COLUMNS)
    for f in report.by_clerk:
        ws.append(_figure_row(f))
    ws.append([])
    ws.append(["分时段" if report.single_day else "分日"])
    _heading(ws, ("时段开始", "到达", "完成", "时段末等候", "开放窗口"))
    fmt = "%H:%M" if report.single_day else "%Y-%m-%d"
    for p in report.periods:
        ws.append(
            [local(p.start).strftime(fmt), p.arrivals, p.served, p.waiting_end, p.counters_open]
        )
    ws.append([])
    ws.append(["营业员空闲"])
    _heading(ws, ("营业员", "空闲(秒)"))
    for c in report.idle:
        ws.append([c.staff_name, round(c.idle_s)])
    ws.append([])
    ws.append(["业务量"])
    _heading(ws, ("业务类型", "受理业务", "受理单", "排队号", "平均办理(秒)"))
    names = {f.key: f.label for f in report.by_service}
    for b in report.business:
        ws.append(
            [
                names.get(b.service_code, b.service_code),
                b.label,
                b.orders,
                b.tickets,
                _round(b.service_avg_s),
            ]
        )
    ws.column_dimensions["A"].width = 16

    tickets = wb.create_sheet(TICKETS_SHEET)
    _heading(tickets, TICKET_COLUMNS)
    for t in report.tickets:
        tickets.append(
            [
                t.ticket_no,
                t.service_name,
                t.target_minutes,
                t.status.label,
                *(
                    None if d is None else local(d).replace(tzinfo=None)
                    for d in (t.issued_at, t.called_at, t.started_at, t.finished_at)
                ),
                _round(t.wait_s),
                _round(t.walk_s),
                _round(t.service_s),
                t.recall_count,
                "是" if t.transferred else "",
                t.counter_name or "",
                t.staff_name or "",
                "、".join(o.label for o in t.order_types),
                Decimal(t.revenue_fen) / 100,
                t.rating.label if t.rating is not None else "",
            ]
        )
    for col in "EFGH":
        tickets.column_dimensions[col].width = 19
        for cell in tickets[col][1:]:
            cell.number_format = "yyyy-mm-dd hh:mm:ss"
    for cell in tickets["Q"][1:]:
        cell.number_format = "0.00"
    tickets.freeze_panes = "A2"
    wb.save(out)
