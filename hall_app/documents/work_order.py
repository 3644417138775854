"""The install work order (装机工单), A4: the numbers as barcodes for the installers' back
office to scan, the customer and the address, the appointment, the equipment and how it is
provided, and the sign-off box the installer brings back."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from hall_app.clock import fmt_local, local
from hall_app.documents.data import WorkOrderDocument
from hall_app.documents.drawing import code128, reprint_stamp, wrap_text
from hall_app.documents.fonts import register_cjk_font
from hall_app.domain.money import format_yuan

WEEKDAYS = "一二三四五六日"
PROVISIONAL_NOTE = "（暂按周一至周五计算）"


def render_work_order(doc: WorkOrderDocument) -> bytes:
    font = register_cjk_font()
    buffer = io.BytesIO()
    width, height = A4
    c = Canvas(buffer, pagesize=A4, invariant=True)
    c.setTitle(f"装机工单 {doc.work_order_no}")
    c.setAuthor("营业厅前台受理系统")
    left, right = 16 * mm, width - 16 * mm
    y = height - 16 * mm

    c.setFont(font, 10)
    c.drawString(left, y, doc.hall_name)
    c.drawRightString(right, y, f"状态：{doc.status}")
    c.setFont(font, 20)
    c.drawCentredString(width / 2, y - 9 * mm, f"装机工单（{doc.kind}）")
    y -= 26 * mm

    # The numbers the back office scans: the work order, the order, the account or landline.
    codes = [
        (doc.work_order_no, "工单号", doc.work_order_no),
        (doc.order_no, "受理单号", doc.order_no),
    ]
    if doc.broadband_account:
        codes.append((doc.broadband_account, "宽带账号", doc.broadband_account))
    if doc.landline_number:
        codes.append((doc.landline_number.replace("-", ""), "固话号码", doc.landline_number))
    gap = 6 * mm
    bar_width = (right - left - 2 * gap) / 3
    for i, (data, label, shown) in enumerate(codes):  # three a row, wide enough to scan
        row_y = y - (i // 3) * 17 * mm
        _barcode(c, font, left + (i % 3) * (bar_width + gap), row_y, data, label, bar_width, shown)
    y -= (14 + 17 * ((len(codes) - 1) // 3)) * mm

    def heading(text: str) -> None:
        nonlocal y
        y -= 3 * mm
        c.setFont(font, 12)
        c.drawString(left, y, text)
        c.line(left, y - 2 * mm, right, y - 2 * mm)
        y -= 8 * mm

    def row(label: str, value: str, x: float = left, advance: bool = True) -> None:
        nonlocal y
        c.setFont(font, 10.5)
        c.drawString(x, y, f"{label}：")
        lines = wrap_text(value, font, 10.5, right - x - 30 * mm) or [""]
        for i, text in enumerate(lines):
            c.drawString(x + 28 * mm, y - i * 5.5 * mm, text)
        if advance:
            y -= (6.5 + 5.5 * (len(lines) - 1)) * mm

    mid = width / 2 + 4 * mm
    heading("一、客户与装机地址")
    row("客户名称", doc.customer_name, advance=False)
    row("联系人", doc.contact_name, mid)
    row("联系电话", doc.contact_phone_masked, advance=False)
    row("接入方式", doc.technology, mid)
    if doc.original_address:
        row("原址", doc.original_address)
        row("新装机地址", doc.address)
    else:
        row("装机地址", doc.address)
    row("所属小区", doc.community)

    heading("二、预约")
    day = doc.window_day
    row(
        "预约时间",
        f"{day:%Y-%m-%d}（周{WEEKDAYS[day.weekday()]}）{doc.window_label} "
        f"{local(doc.window_start):%H:%M}–{local(doc.window_end):%H:%M}",
    )
    promised = f"{doc.promised_date:%Y-%m-%d}"
    if doc.promised_provisional:
        promised += PROVISIONAL_NOTE
    row("承诺装机日期", promised)
    team = doc.team_name
    if doc.team_leader:
        team += f"（班长 {doc.team_leader}{' ' + doc.team_phone if doc.team_phone else ''}）"
    row("装维班组", team or "待分配")
    if doc.reschedules:
        row("改约次数", str(doc.reschedules))

    heading("三、业务")
    row("受理业务", doc.order_type, advance=False)
    row("受理时间", fmt_local(doc.created_at), mid)
    if doc.broadband_account:
        row("宽带账号", doc.broadband_account, advance=not doc.landline_number)
    if doc.landline_number:
        row("固话号码", doc.landline_number, mid if doc.broadband_account else left)
    if doc.plans:
        row("套餐", "；".join(doc.plans))
    row("受理营业员", f"{doc.clerk_name}（工号 {doc.clerk_no}） {doc.counter_name}".strip())

    heading("四、终端设备")
    columns = (("设备", 0), ("序列号", 70), ("提供方式", 118), ("押金", 152))
    c.setFont(font, 10)
    for label, offset in columns:
        c.drawString(left + offset * mm, y, label)
    y -= 6 * mm
    if not doc.equipment:
        c.drawString(left, y, "无（客户自备）")
        y -= 6 * mm
    for item in doc.equipment:
        values = (
            item.name,
            item.serial,
            item.mode,
            format_yuan(item.deposit_fen) if item.deposit_fen else "—",
        )
        for (_, offset), value in zip(columns, values, strict=True):
            c.drawString(left + offset * mm, y, value)
        y -= 6 * mm
    y -= 2 * mm

    heading("五、装维回单")
    box_top = y + 2 * mm
    box_height = 44 * mm
    c.rect(left, box_top - box_height, right - left, box_height)
    c.line(width / 2, box_top - box_height, width / 2, box_top)
    c.setFont(font, 10.5)
    inner = box_top - 8 * mm
    c.drawString(left + 3 * mm, inner, "装维人员签字：")
    c.drawString(left + 3 * mm, inner - 14 * mm, "完工时间：      年    月    日    时    分")
    c.drawString(left + 3 * mm, inner - 28 * mm, "光功率/测速：")
    c.drawString(width / 2 + 3 * mm, inner, "客户签字：")
    c.drawString(
        width / 2 + 3 * mm, inner - 14 * mm, "客户评价：□ 非常满意  □ 满意  □ 一般  □ 不满意"
    )
    c.drawString(width / 2 + 3 * mm, inner - 28 * mm, "未完工原因：")
    y = box_top - box_height - 8 * mm

    c.setFont(font, 8.5)
    notes = (
        f"超过承诺装机日期完工的，按安装费（{format_yuan(doc.installation_fee_fen)}）的 1% 每天"
        "补偿至业务账户余额，完工上报当日自动入账。",
        "装维人员凭本工单上门；完工后请客户签字，回单交营业厅或由装维后台扫描工单号录入。",
    )
    for note in notes:
        for text in wrap_text(note, font, 8.5, right - left):
            c.drawString(left, y, text)
            y -= 4.6 * mm
    if doc.copy_no > 1:
        reprint_stamp(c, font, left + 60 * mm, height - 20 * mm, doc.copy_no)
    c.showPage()
    c.save()
    return buffer.getvalue()


def _barcode(
    c: Canvas,
    font: str,
    x: float,
    y: float,
    data: str,
    label: str,
    width: float,
    shown: str | None = None,
) -> None:
    """A Code128 barcode with its label and the value written beneath."""
    code128(c, x, y, data, width, 10 * mm)
    c.setFont(font, 8.5)
    c.drawString(x, y - 4 * mm, f"{label}：{shown or data}")
