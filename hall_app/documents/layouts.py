"""The three layouts. Each returns PDF bytes with the Chinese font embedded."""

from __future__ import annotations

import io
from decimal import Decimal

from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from hall_app.clock import fmt_local
from hall_app.documents.data import OrderDocument, TicketSlip
from hall_app.documents.drawing import code128, qr_code, reprint_stamp, wrap_text
from hall_app.documents.fonts import register_cjk_font
from hall_app.domain.money import capital_amount, format_yuan


def _canvas(size: tuple[float, float], title: str) -> tuple[Canvas, io.BytesIO, str]:
    font = register_cjk_font()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=size, invariant=True)
    c.setTitle(title)
    c.setAuthor("营业厅前台受理系统")
    return c, buffer, font


RECEIPT_AMOUNT_WIDTH = 17 * mm  # room kept right of a line's name for its amount


def _rate(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def render_receipt(doc: OrderDocument) -> bytes:
    """80 mm receipt: lines, payment methods, change, the clerk, and a barcode."""
    font = register_cjk_font()
    width = 80 * mm
    left, right = 5 * mm, width - 5 * mm
    # A long name wraps onto more lines beside its amount: the slip is narrow.
    names = [
        wrap_text(line.description, font, 8.5, right - left - RECEIPT_AMOUNT_WIDTH)
        for line in doc.lines
    ]
    numbers = doc.numbers or (
        (("号码", doc.service_number_masked),) if doc.service_number_masked else ()
    )
    prepaid = not doc.refund and any(line.prepaid for line in doc.lines)
    deposit = any(line.deposit for line in doc.lines)
    footnotes = _receipt_footnotes(doc)
    details = [
        wrap_text(f"{label}：{value}", font, 8.5, right - left) for label, value in doc.details
    ]
    rows = (
        sum(len(n) for n in names)
        + 2 * len(doc.payments)
        + len(numbers)
        + deposit
        + sum(len(d) for d in details)
        + len(footnotes)
    )
    height = (120 + 6 * rows) * mm
    title = "退款小票" if doc.refund else "收费小票"
    c, buffer, font = _canvas((width, height), f"{title} {doc.order_no}")
    y = height - 10 * mm

    def text(value: str, size: float = 8.5, centre: bool = False, gap: float = 4.6) -> None:
        nonlocal y
        c.setFont(font, size)
        if centre:
            c.drawCentredString(width / 2, y, value)
        else:
            c.drawString(left, y, value)
        y -= gap * mm

    def pair(label: str, value: str) -> None:
        nonlocal y
        c.setFont(font, 8.5)
        c.drawString(left, y, label)
        c.drawRightString(right, y, value)
        y -= 4.6 * mm

    text(doc.hall_name, 11, centre=True, gap=5.5)
    text(f"业务{title}", 10, centre=True, gap=6)
    text(f"受理单号：{doc.order_no}")
    text(f"业务：{doc.order_type}")
    text(f"时间：{fmt_local(doc.created_at, with_seconds=True)}")
    text(f"客户：{doc.customer_name}  证件：{doc.customer_id_masked}")
    for label, shown in numbers:
        text(f"{label}：{shown}")
    for parts in details:
        for part in parts:
            text(part)
    c.line(left, y + 2 * mm, right, y + 2 * mm)
    y -= 1 * mm
    for line, parts in zip(doc.lines, names, strict=True):
        pair(parts[0], format_yuan(_shown_fen(doc, line.amount_fen)))
        for part in parts[1:]:
            text(f"  {part}")
    c.line(left, y + 2 * mm, right, y + 2 * mm)
    y -= 1 * mm
    pair("退款合计" if doc.refund else "合计", format_yuan(_shown_fen(doc, doc.total_fen)))
    text(f"大写：{capital_amount(_shown_fen(doc, doc.total_fen))}")
    for p in doc.payments:
        pair(f"{p.method}退款" if p.amount_fen < 0 else p.method, format_yuan(abs(p.amount_fen)))
        if p.tendered_fen is not None:
            pair("  实收 / 找零", f"{format_yuan(p.tendered_fen)} / {format_yuan(p.change_fen)}")
        elif p.reference:
            text(f"  参考号：{p.reference}")
    if doc.invoice is not None:
        text(f"发票号码：{doc.invoice.invoice_no}")
    text(f"营业员：{doc.clerk_name}（{doc.clerk_no}） {doc.counter_name}")
    code128(c, left, y - 12 * mm, doc.order_no, right - left, 11 * mm)
    y -= 15 * mm
    text(doc.order_no, 7, centre=True)
    text(
        "请妥善保管本小票，预存话费发票随消费开具" if prepaid else "请妥善保管本小票",
        7.5,
        centre=True,
    )
    if deposit:
        text("设备押金不开具发票，拆机归还设备后凭本小票退还", 7.5, centre=True)
    for note in footnotes:
        text(note, 7.5, centre=True)
    if doc.copy_no > 1:
        reprint_stamp(c, font, right - 82, height - 30 * mm, doc.copy_no)
    c.showPage()
    c.save()
    return buffer.getvalue()


def _shown_fen(doc: OrderDocument, fen: int) -> int:
    """An amount as the document shows it: under a 退款 heading the money going back is
    positive (a deduction from it negative), never 负… in the capital amount."""
    return -fen if doc.refund else fen


def _fitting(c: Canvas, font: str, value: str, room: float, size: float) -> float:
    """The largest size (down to 7 pt) at which ``value`` fits in ``room`` points."""
    while size > 7 and c.stringWidth(value, font, size) > room:
        size -= 0.5
    return size


def _receipt_footnotes(doc: OrderDocument) -> list[str]:
    notes = []
    if any(line.financed for line in doc.lines):
        notes.append("分期款项按《分期付款合同》逐期归还")
    if any(line.repayment for line in doc.lines):
        notes.append("分期本金不另开发票（购机时已按售价开票）")
        if doc.invoice is not None:
            notes.append("分期手续费已开具增值税电子发票")
    if doc.refund:
        notes.append("退款按原支付方式退回，请当面核对金额")
    return notes


def render_acceptance(doc: OrderDocument) -> bytes:
    """A4 business acceptance form: customer (ID masked), order, fees, terms, signature,
    Code128 of the order number."""
    width, height = A4
    c, buffer, font = _canvas(A4, f"业务受理单 {doc.order_no}")
    left = 18 * mm
    y = height - 22 * mm
    c.setFont(font, 18)
    c.drawCentredString(width / 2, y, "业务受理单")
    code128(c, width - 78 * mm, y - 4 * mm, doc.order_no, 60 * mm, 12 * mm)
    c.setFont(font, 8)
    c.drawCentredString(width - 48 * mm, y - 8 * mm, doc.order_no)
    y -= 16 * mm

    def row(label: str, value: str, size: float = 10.5) -> None:
        nonlocal y
        c.setFont(font, size)
        c.drawString(left, y, f"{label}：")
        c.drawString(left + 32 * mm, y, value)
        y -= 7 * mm

    def heading(value: str) -> None:
        nonlocal y
        y -= 2 * mm
        c.setFont(font, 12)
        c.drawString(left, y, value)
        c.line(left, y - 2 * mm, width - left, y - 2 * mm)
        y -= 9 * mm

    heading("一、客户信息")
    row("客户名称", doc.customer_name)
    row("证件号码", doc.customer_id_masked)
    row("联系电话", doc.customer_phone_masked)
    heading("二、业务信息")
    row("受理业务", doc.order_type)
    if doc.numbers:
        for label, shown in doc.numbers:
            row(label, shown)
    elif doc.service_number_masked:
        row("业务号码", doc.service_number_masked)
    if doc.plan_name:
        row("套餐", doc.plan_name)
    for label, value in doc.details:
        row(label, value)
    row("受理时间", fmt_local(doc.created_at, with_seconds=True))
    row("受理营业厅", f"{doc.hall_name} {doc.counter_name}")
    row("营业员", f"{doc.clerk_name}（工号 {doc.clerk_no}）")
    heading("三、退款" if doc.refund else "三、费用")
    amount_x = left + 110 * mm
    for line in doc.lines:  # a long name (a handset with its IMEI) is set smaller
        c.setFont(font, _fitting(c, font, line.description, amount_x - left - 24 * mm, 10))
        c.drawString(left, y, line.description)
        c.drawRightString(amount_x, y, format_yuan(_shown_fen(doc, line.amount_fen)))
        if line.note:  # a long note is set smaller to stay inside the margin
            room = width - left - amount_x - 4 * mm
            size = 10.0
            while size > 7 and c.stringWidth(line.note, font, size) > room:
                size -= 0.5
            c.setFont(font, size)
            c.drawString(amount_x + 4 * mm, y, line.note)
        y -= 7 * mm
    c.setFont(font, 10.5)
    c.drawString(left, y, "退款合计" if doc.refund else "合计")
    c.drawRightString(amount_x, y, format_yuan(_shown_fen(doc, doc.total_fen)))
    c.drawString(amount_x + 4 * mm, y, capital_amount(_shown_fen(doc, doc.total_fen)))
    y -= 7 * mm
    heading("四、业务条款")
    for paragraph in (doc.terms or "").splitlines() or ["—"]:
        for text in wrap_text(paragraph, font, 9, width - 2 * left):
            if y < 22 * mm:  # long terms (an installment schedule) go on over the page
                c.showPage()
                c.setFont(font, 9)
                c.drawString(left, height - 14 * mm, f"业务受理单 {doc.order_no}（续）")
                y = height - 22 * mm
            c.setFont(font, 9)
            c.drawString(left, y, text)
            y -= 5.2 * mm
    y -= 4 * mm
    if y < 32 * mm:  # the signature stays whole
        c.showPage()
        y = height - 24 * mm
    c.setFont(font, 10.5)
    c.drawString(left, y, "客户签名：")
    if doc.signature_png:
        c.drawImage(
            ImageReader(io.BytesIO(doc.signature_png)),
            left + 22 * mm,
            y - 13 * mm,  # its top (y + 5 mm) stays clear of the terms' last line (y + 9.2 mm)
            width=55 * mm,
            height=18 * mm,
            mask="auto",
            preserveAspectRatio=True,
        )
    c.drawString(width / 2 + 10 * mm, y, f"日期：{fmt_local(doc.created_at)[:10]}")
    if doc.copy_no > 1:
        reprint_stamp(c, font, width - 40 * mm, height - 40 * mm, doc.copy_no)
    c.showPage()
    c.save()
    return buffer.getvalue()


def render_invoice(doc: OrderDocument) -> bytes:
    """Laid out like a fully digital e-invoice (数电票)."""
    inv = doc.invoice
    assert inv is not None, "the order has no invoice"
    size = landscape(A5)
    width, height = size
    c, buffer, font = _canvas(size, f"电子发票 {inv.invoice_no}")
    left, right = 12 * mm, width - 12 * mm
    c.setFont(font, 16)
    c.setFillColorRGB(0.55, 0.1, 0.1)
    title = "电子发票（普通发票）" if inv.kind == "蓝字发票" else "电子发票（红字发票）"
    c.drawCentredString(width / 2, height - 16 * mm, title)
    c.setFillColorRGB(0, 0, 0)
    c.setFont(font, 9)
    c.drawRightString(right, height - 12 * mm, f"发票号码：{inv.invoice_no}")
    c.drawRightString(right, height - 17 * mm, f"开票日期：{fmt_local(inv.issued_at)[:10]}")
    qr_code(
        c,
        left,
        height - 30 * mm,
        20 * mm,
        f"01,32,,{inv.invoice_no},{inv.total_fen / 100:.2f},{fmt_local(inv.issued_at)[:10]}",
    )
    y = height - 38 * mm
    c.rect(left, y - 14 * mm, right - left, 16 * mm)
    c.line(width / 2, y - 14 * mm, width / 2, y + 2 * mm)
    c.drawString(left + 2 * mm, y - 3 * mm, f"购买方名称：{inv.buyer_name}")
    c.drawString(left + 2 * mm, y - 9 * mm, f"统一社会信用代码/纳税人识别号：{inv.buyer_tax_id}")
    c.drawString(width / 2 + 2 * mm, y - 3 * mm, f"销售方名称：{inv.seller_name}")
    c.drawString(
        width / 2 + 2 * mm, y - 9 * mm, f"统一社会信用代码/纳税人识别号：{inv.seller_tax_id}"
    )
    y -= 22 * mm
    columns = (
        ("项目名称", 0),
        ("数量", 64),
        ("单价", 82),
        ("金额", 104),
        ("税率/征收率", 128),
        ("税额", 156),
    )
    c.setFont(font, 8.5)
    for label, offset in columns:
        c.drawString(left + 2 * mm + offset * mm, y, label)
    y -= 6 * mm
    for line in inv.lines:
        values = (
            line.item_name,
            str(line.quantity),
            format_yuan(line.unit_price_fen).replace("¥", ""),
            format_yuan(line.amount_fen).replace("¥", ""),
            _rate(line.rate),
            format_yuan(line.tax_fen).replace("¥", ""),
        )
        for (_, offset), value in zip(columns, values, strict=True):
            c.drawString(left + 2 * mm + offset * mm, y, value)
        y -= 5.5 * mm
    c.drawString(left + 2 * mm, y, "合　　计")
    c.drawString(left + 2 * mm + 104 * mm, y, format_yuan(inv.amount_fen))
    c.drawString(left + 2 * mm + 156 * mm, y, format_yuan(inv.tax_fen))
    y -= 8 * mm
    c.setFont(font, 9.5)
    c.drawString(left + 2 * mm, y, f"价税合计（大写）：{capital_amount(inv.total_fen)}")
    c.drawString(width / 2 + 30 * mm, y, f"（小写）{format_yuan(inv.total_fen)}")
    y -= 8 * mm
    c.setFont(font, 8.5)
    c.drawString(left + 2 * mm, y, f"备注：受理单号 {doc.order_no} {inv.remarks}")
    c.drawString(left + 2 * mm, 10 * mm, f"开票人：{inv.issuer}")
    c.rect(left, y - 4 * mm, right - left, height - 38 * mm - y + 6 * mm)
    if doc.copy_no > 1:
        reprint_stamp(c, font, right - 64, 8 * mm, doc.copy_no)
    c.showPage()
    c.save()
    return buffer.getvalue()


def render_ticket_slip(slip: TicketSlip) -> bytes:
    """80 mm queue ticket: the number large, the service, who is ahead, the estimated wait,
    and a barcode the counter can scan."""
    width, height = 80 * mm, 105 * mm
    c, buffer, font = _canvas((width, height), f"排队号 {slip.ticket_no}")
    y = height - 11 * mm
    c.setFont(font, 11)
    c.drawCentredString(width / 2, y, slip.hall_name)
    y -= 7 * mm
    c.setFont(font, 9)
    c.drawCentredString(width / 2, y, f"取号时间：{fmt_local(slip.issued_at)}")
    y -= 17 * mm
    c.setFont(font, 34)
    c.drawCentredString(width / 2, y, slip.ticket_no)
    y -= 9 * mm
    c.setFont(font, 12)
    c.drawCentredString(width / 2, y, slip.service_name)
    y -= 9 * mm
    c.setFont(font, 10)
    c.drawCentredString(width / 2, y, f"您前面还有 {slip.waiting_ahead} 人等候")
    y -= 6 * mm
    wait = (
        "预计等候：即将叫号"
        if slip.estimated_wait_minutes <= 0
        else f"预计等候约 {slip.estimated_wait_minutes} 分钟"
    )
    c.drawCentredString(width / 2, y, wait)
    y -= 16 * mm
    code128(c, 10 * mm, y, slip.barcode, width - 20 * mm, 12 * mm)
    y -= 4 * mm
    c.setFont(font, 7.5)
    c.drawCentredString(width / 2, y, slip.barcode)
    y -= 6 * mm
    c.drawCentredString(width / 2, y, "请留意叫号屏幕与语音提示，过号请重新取号")
    c.showPage()
    c.save()
    return buffer.getvalue()
