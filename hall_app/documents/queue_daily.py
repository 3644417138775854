"""The printable queue daily report (排队日报), A4: the day's figures, the four charts, the
figures per service type and per clerk, the periods, idle time and the business done."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Image,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from hall_app.clock import fmt_local, local
from hall_app.documents.charts import CHARTS, figure_png
from hall_app.documents.fonts import register_cjk_font
from hall_app.domain.money import format_yuan
from hall_app.domain.queue_report import (
    WAIT_BUCKET_LABELS,
    Figures,
    QueueReport,
    fmt_duration,
    fmt_pct,
)

FIGURE_HEADER = (
    "分组",
    "到达",
    "完成",
    "过号",
    "过号率",
    "平均等候",
    "90%等候",
    "最长等候",
    "平均办理",
    "最长办理",
    "达标",
    "达标率",
)
CHART_PX = (585, 330)  # each chart's PNG (3.9 × 2.2 in at 150 dpi), printed 88 mm wide
CHART_DPI = 150


def figure_row(f: Figures) -> list[str]:
    return [
        f.label,
        str(f.arrivals),
        str(f.served),
        str(f.no_shows),
        fmt_pct(f.no_show_pct),
        fmt_duration(f.wait_avg_s),
        fmt_duration(f.wait_p90_s),
        fmt_duration(f.wait_max_s),
        fmt_duration(f.service_avg_s),
        fmt_duration(f.service_max_s),
        str(f.within_target),
        fmt_pct(f.within_target_pct),
    ]


def title_of(report: QueueReport) -> str:
    return "排队日报" if report.single_day else "排队月报"


def render_daily_pdf(
    report: QueueReport,
    *,
    hall_name: str = "",
    made_at: datetime | None = None,
    charts: bool = True,
) -> bytes:
    """The report as A4 PDF bytes; ``charts=False`` leaves out the four charts (the figures
    tables alone, e.g. the bench's baseline)."""
    font = register_cjk_font()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=f"{title_of(report)} {report.title_period}",
        author="营业厅前台受理系统",
        invariant=True,
    )
    h1 = ParagraphStyle("h1", fontName=font, fontSize=18, leading=24, alignment=1)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)
    story: list[Flowable] = [Paragraph(f"{hall_name} {title_of(report)}".strip(), h1)]
    line = f"日期：{report.title_period}"
    if report.filters:
        line += f"　　筛选：{report.filters}"
    if made_at is not None:
        line += f"　　制表时间：{fmt_local(made_at)}"
    story += [Paragraph(line, body), Spacer(1, 3 * mm)]
    if report.empty:
        story.append(Spacer(1, 20 * mm))
        story.append(Paragraph(report.empty_text, h1))
        doc.build(story)
        return buffer.getvalue()

    t = report.total
    story.append(Paragraph("概况", h2))
    story.append(
        Paragraph(
            f"取号 {t.arrivals} 张，完成 {t.served} 张，"
            f"过号 {t.no_shows} 张（{fmt_pct(t.no_show_pct)}）；"
            f"平均等候 {fmt_duration(t.wait_avg_s)}，"
            f"90% 的客户等候不超过 {fmt_duration(t.wait_p90_s)}，"
            f"最长 {fmt_duration(t.wait_max_s)}；平均办理 {fmt_duration(t.service_avg_s)}；"
            f"达标率 {fmt_pct(t.within_target_pct)}。等候时长分布："
            + "，".join(
                f"{label} {n} 张"
                for label, n in zip(WAIT_BUCKET_LABELS, t.wait_buckets, strict=True)
            )
            + "。（等候 = 最后一次叫号 − 取号；办理 = 结束 − 开始；时长为 分:秒）",
            body,
        )
    )
    if charts:
        story.append(_charts(report))
    story.append(Paragraph("按业务类型", h2))
    story.append(_table(font, [FIGURE_HEADER, *map(figure_row, (*report.by_service, t))]))
    if report.by_clerk:
        story.append(Paragraph("按营业员", h2))
        story.append(_table(font, [FIGURE_HEADER, *map(figure_row, report.by_clerk)]))
    story.append(Paragraph("分时段（每30分钟）" if report.single_day else "分日", h2))
    fmt = "%H:%M" if report.single_day else "%Y-%m-%d"
    story.append(
        _table(
            font,
            [
                ("时段", "到达", "完成", "时段末等候", "开放窗口"),
                *(
                    (
                        local(p.start).strftime(fmt),
                        str(p.arrivals),
                        str(p.served),
                        str(p.waiting_end),
                        str(p.counters_open),
                    )
                    for p in report.periods
                ),
            ],
        )
    )
    if report.idle:
        story.append(Paragraph("营业员空闲（有本窗口业务的客户等候时）", h2))
        story.append(
            _table(
                font,
                [
                    ("营业员", "空闲时长"),
                    *((c.staff_name, fmt_duration(c.idle_s)) for c in report.idle),
                ],
            )
        )
    if report.business:
        names = {f.key: f.label for f in report.by_service}
        story.append(Paragraph("业务量（排队号关联的受理单）", h2))
        story.append(
            _table(
                font,
                [
                    ("业务类型", "受理业务", "受理单", "排队号", "平均办理"),
                    *(
                        (
                            names.get(b.service_code, b.service_code),
                            b.label,
                            str(b.orders),
                            str(b.tickets),
                            fmt_duration(b.service_avg_s),
                        )
                        for b in report.business
                    ),
                ],
                text_columns=2,
            )
        )
    revenue = sum(x.revenue_fen for x in report.tickets)
    story.append(Spacer(1, 2 * mm))
    story.append(Paragraph(f"关联收款合计：{format_yuan(revenue)}", body))
    doc.build(story)
    return buffer.getvalue()


def _charts(report: QueueReport) -> Table:
    width = 88 * mm
    height = width * CHART_PX[1] / CHART_PX[0]
    images = [
        Image(io.BytesIO(figure_png(draw, report, CHART_PX, CHART_DPI)), width, height)
        for _name, draw in CHARTS
    ]
    grid = Table([images[:2], images[2:]], colWidths=[width + 2 * mm] * 2)
    grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return grid


def _table(font: str, rows: Sequence[Sequence[str]], text_columns: int = 1) -> Table:
    table = Table([list(r) for r in rows], repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 7.5),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
                ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#b0b8c4")),
                ("ALIGN", (text_columns, 0), (-1, -1), "RIGHT"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return table
