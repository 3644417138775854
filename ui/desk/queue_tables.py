"""The queue review's tables as rows of display strings, built off the GUI thread (a month's
ticket list runs to thousands of rows): figures per service type and per clerk, the periods,
idle time, business per order type and the tickets themselves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hall_app.clock import local
from hall_app.domain.queue_report import Figures, QueueReport, TicketFacts
from ui import format as fmt

NONE = "—"
Rows = list[tuple[str, ...]]


@dataclass(frozen=True)
class TableSpec:
    """A table's key (its object name), tab title, headers, one sample row for the column
    widths, and the columns that may narrow (column → minimum width)."""

    key: str
    title: str
    headers: tuple[str, ...]
    sample: tuple[str, ...]
    elastic: tuple[tuple[int, int], ...] = ()
    narrow: bool = False  # a few columns: the table as wide as they are, not the page


def duration(seconds: float | None) -> str:
    """A wait or service time as m:ss (h:mm:ss from an hour); — for no data."""
    if seconds is None:
        return NONE
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def pct(value: float | None) -> str:
    return NONE if value is None else f"{value:.1f}%"


def _time(at: datetime | None) -> str:
    return NONE if at is None else local(at).strftime("%H:%M:%S")


# The wait buckets (WAIT_BUCKET_LABELS) in short headers: 0–5, 5–20, 20–60, 60+ minutes.
BUCKET_HEADERS = ("0–5分", "5–20分", "20–60分", "60分+")
FIGURE_HEADERS = (
    "到达",
    "已办",
    "过号",
    "过号率",
    "平均等候",
    "90%等候",
    "最长等候",
    "平均办理",
    "最长办理",
    "达标",
    "达标率",
    *BUCKET_HEADERS,
)
FIGURE_SAMPLE = (
    *("999", "999", "99", "10.0%", "59:59", "59:59", "1:59:59", "59:59"),
    *("1:59:59", "999", "100.0%", "999", "999", "999", "999"),
)


def figure_row(f: Figures, label: str | None = None) -> tuple[str, ...]:
    return (
        label if label is not None else f.label,
        str(f.arrivals),
        str(f.served),
        str(f.no_shows),
        pct(f.no_show_pct),
        duration(f.wait_avg_s),
        duration(f.wait_p90_s),
        duration(f.wait_max_s),
        duration(f.service_avg_s),
        duration(f.service_max_s),
        str(f.within_target),
        pct(f.within_target_pct),
        *(str(n) for n in f.wait_buckets),
    )


SERVICES = TableSpec(
    "reviewByService",
    "按业务类型",
    ("业务类型", *FIGURE_HEADERS),
    ("综合业务", *FIGURE_SAMPLE),
    elastic=((0, 64),),
)
CLERKS = TableSpec(
    "reviewByClerk",
    "按营业员",
    ("营业员", *FIGURE_HEADERS),
    ("欧阳娜娜", *FIGURE_SAMPLE),
    elastic=((0, 56),),
)
PERIODS = TableSpec(
    "reviewPeriods",
    "时段",
    ("时段", "到达", "已办", "期末等候", "开放窗口"),
    ("11月30日 星期日", *("999",) * 4),
    narrow=True,
)
IDLE = TableSpec(
    "reviewIdle", "空闲时间", ("营业员", "有人等候时的空闲"), ("欧阳娜娜", "1:59:59"), narrow=True
)
BUSINESS = TableSpec(
    "reviewBusiness",
    "业务量",
    ("业务类型", "办理业务", "笔数", "票数", "平均办理"),
    ("综合业务（含宽带）", "订购增值业务", "9999", "9999", "59:59"),
    narrow=True,
)
TICKETS = TableSpec(
    "reviewTickets",
    "排队明细",
    (
        "票号",
        "业务类型",
        "取号",
        "叫号",
        "开始",
        "办结",
        "等候",
        "办理",
        "状态",
        "重呼",
        "窗口",
        "营业员",
        "所办业务",
        "金额",
        "评价",
    ),
    (
        "A0123",
        "综合业务",
        "23:59:59",
        "23:59:59",
        "23:59:59",
        "23:59:59",
        "1:59:59",
        "59:59",
        "已完成",
        "9",
        "6号窗口（VIP）",
        "欧阳娜娜",
        "新装移动电话",
        "¥99,999.00",
        "非常满意",
    ),
    elastic=((12, 90),),
)
SPECS = (SERVICES, CLERKS, PERIODS, IDLE, BUSINESS, TICKETS)


def _period_label(report: QueueReport, index: int) -> str:
    start = local(report.periods[index].start)
    if not report.single_day:
        return f"{start.month}月{start.day}日 星期{fmt.WEEKDAYS[start.weekday()]}"
    following = report.periods[index + 1].start if index + 1 < len(report.periods) else None
    end = local(following) if following is not None else None
    return f"{start:%H:%M}–{end:%H:%M}" if end is not None else f"{start:%H:%M} 起"


def _ticket_row(t: TicketFacts, service_labels: dict[str, str]) -> tuple[str, ...]:
    business = "、".join(dict.fromkeys(o.label for o in t.order_types)) or NONE
    return (
        t.ticket_no,
        service_labels.get(t.service_code, t.service_name),
        _time(t.issued_at),
        _time(t.called_at),
        _time(t.started_at),
        _time(t.finished_at),
        duration(t.wait_s),
        duration(t.service_s),
        t.status.label + ("（转移）" if t.transferred else ""),
        str(t.recall_count),
        t.counter_name or NONE,
        t.staff_name or NONE,
        business,
        fmt.money(t.revenue_fen) if t.revenue_fen else NONE,
        t.rating.label if t.rating is not None else NONE,
    )


def table_rows(report: QueueReport) -> dict[str, Rows]:
    """Every table's rows, by the table's key; the figures tables end with the total."""
    names = {f.key: f.label for f in report.by_service}
    total = figure_row(report.total, "合计")
    periods = _periods(report)
    return {
        SERVICES.key: [*(figure_row(f) for f in report.by_service), total],
        CLERKS.key: [figure_row(f) for f in report.by_clerk],
        PERIODS.key: periods,
        IDLE.key: [(c.staff_name, duration(c.idle_s)) for c in report.idle],
        BUSINESS.key: [
            (
                names.get(b.service_code, b.service_code),
                b.label,
                str(b.orders),
                str(b.tickets),
                duration(b.service_avg_s),
            )
            for b in report.business
        ],
        TICKETS.key: [_ticket_row(t, names) for t in report.tickets],
    }


def _periods(report: QueueReport) -> Rows:
    return [
        (
            _period_label(report, i),
            str(p.arrivals),
            str(p.served),
            str(p.waiting_end),
            str(p.counters_open),
        )
        for i, p in enumerate(report.periods)
    ]


def summary(report: QueueReport) -> str:
    """One line over the tables: the whole day's (or month's) figures."""
    if report.empty:
        return report.empty_text
    f = report.total
    parts: Sequence[str] = (
        f"到达 {f.arrivals}",
        f"已办 {f.served}",
        f"过号 {f.no_shows}（{pct(f.no_show_pct)}）",
        f"平均等候 {duration(f.wait_avg_s)}",
        f"90%等候 {duration(f.wait_p90_s)}",
        f"最长等候 {duration(f.wait_max_s)}",
        f"平均办理 {duration(f.service_avg_s)}",
        f"达标率 {pct(f.within_target_pct)}",
    )
    return " · ".join(parts)
