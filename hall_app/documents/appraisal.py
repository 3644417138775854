"""The monthly appraisal sheet (月度考核表) as a PDF (A4 landscape) and an ``.xlsx`` workbook:
each clerk's KPIs (value and points), the score and the rank in the hall, the KPIs' weights and
targets, and the lines for the signatures. Names and employee numbers only: nothing to mask."""

from __future__ import annotations

import io
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from hall_app.clock import fmt_local
from hall_app.documents.fonts import register_cjk_font
from hall_app.domain.appraisal import kpi_text
from hall_app.services.performance import AppraisalSheet

EMPTY_TEXT = "本月无考核数据"


def _weights(sheet: AppraisalSheet) -> str:
    return "；".join(
        f"{k.label} 权重 {k.weight * 100:.0f}% 目标 {'≤' if k.lower_is_better else ''}"
        f"{kpi_text(k, k.target)}"
        for k in sheet.kpis
    )


def render_appraisal_pdf(sheet: AppraisalSheet) -> bytes:
    font = register_cjk_font()
    buffer = io.BytesIO()
    size = landscape(A4)
    width, height = size
    c = Canvas(buffer, pagesize=size, invariant=True)
    c.setTitle(sheet.title)
    c.setAuthor("营业厅前台受理系统")
    left, right = 14 * mm, width - 14 * mm
    columns = [("排名", 14), ("工号", 20), ("姓名", 22)]
    kpi_width = (right - left) / mm - 14 - 20 - 22 - 20
    each = kpi_width / max(1, len(sheet.kpis))
    columns += [(k.label, each) for k in sheet.kpis] + [("总分", 20)]
    row_h = 11 * mm

    def header() -> float:
        c.setFont(font, 10)
        c.drawString(left, height - 12 * mm, sheet.hall_name)
        c.drawRightString(right, height - 12 * mm, f"制表时间：{fmt_local(sheet.made_at)}")
        c.setFont(font, 18)
        c.drawCentredString(width / 2, height - 22 * mm, sheet.title)
        c.setFont(font, 9)
        period = f"考核期间：{sheet.first_day:%Y-%m-%d} 至 {sheet.last_day:%Y-%m-%d}"
        c.drawString(left, height - 30 * mm, f"{period}　参与排名 {sheet.hall_size} 人")
        c.drawString(left, height - 35 * mm, f"考核指标：{_weights(sheet)}")
        y = height - 44 * mm
        x = left
        c.setFont(font, 10)
        c.setLineWidth(0.6)
        c.line(left, y + 6 * mm, right, y + 6 * mm)
        for label, w in columns:
            c.drawCentredString(x + w * mm / 2, y, label)
            x += w * mm
        c.line(left, y - 3 * mm, right, y - 3 * mm)
        return float(y - 3 * mm)

    y = header()
    if not sheet.rows:
        c.setFont(font, 12)
        c.drawCentredString(width / 2, y - 12 * mm, EMPTY_TEXT)
        y -= 16 * mm
    for row in sheet.rows:
        if y - row_h < 40 * mm:
            c.showPage()
            y = header()
        top = y
        cells = [(str(row.rank), ""), (row.employee_no, ""), (row.staff_name, "")]
        cells += [(kpi_text(s.kpi, s.value), f"{s.points:.1f} 分") for s in row.scores]
        cells.append((f"{row.score:.1f}", ""))
        x = left
        for (text, sub), (_label, w) in zip(cells, columns, strict=True):
            centre = x + w * mm / 2
            c.setFont(font, 10)
            c.drawCentredString(centre, top - (5 if sub else 7) * mm, text)
            if sub:
                c.setFont(font, 8)
                c.drawCentredString(centre, top - 9 * mm, sub)
            x += w * mm
        y -= row_h
        c.setLineWidth(0.3)
        c.line(left, y, right, y)
    c.setFont(font, 9)
    c.drawString(
        left,
        y - 8 * mm,
        "说明：各项得分 = 权重 × 达成率 × 100，达成率 = 实际 ÷ 目标（平均办理时长为 目标 ÷ 实际），"
        "最高 100%；无数据的指标不得分。满意率 = (非常满意 + 满意) ÷ 已评价。",
    )
    c.setFont(font, 11)
    sign_y = max(18 * mm, y - 24 * mm)
    c.drawString(left, sign_y, "考核人（值班主管）签字：________________")
    c.drawString(width / 2, sign_y, "被考核人签字：________________　　日期：____________")
    c.showPage()
    c.save()
    return buffer.getvalue()


def write_appraisal_xlsx(sheet: AppraisalSheet, out: str | IO[bytes]) -> None:
    """Sheet 月度考核: one row per clerk, each KPI's value and points, score and rank."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "月度考核"
    ws.append([sheet.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([sheet.hall_name, f"{sheet.first_day:%Y-%m-%d} 至 {sheet.last_day:%Y-%m-%d}"])
    ws.append([f"考核指标：{_weights(sheet)}"])
    ws.append([])
    head = ["排名", "工号", "姓名"]
    for k in sheet.kpis:
        head += [f"{k.label}（{k.unit}）", f"{k.label}得分"]
    head.append("总分")
    ws.append(head)
    for cell in ws[5]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row in sheet.rows:
        values: list[object] = [row.rank, row.employee_no, row.staff_name]
        for s in row.scores:
            value = s.value
            if value is not None and s.kpi.code == "revenue_fen":
                value = value / 100  # yuan
            values += [None if value is None else round(value, 2), round(s.points, 2)]
        values.append(round(row.score, 2))
        ws.append(values)
    if not sheet.rows:
        ws.append([EMPTY_TEXT])
    for letter, w in zip("ABC", (8, 12, 12), strict=True):
        ws.column_dimensions[letter].width = w
    wb.save(out)
