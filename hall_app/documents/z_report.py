"""The Z report (日结单), A4: a till's close as frozen at the time, its number, the opening
float, cash in and out with reasons, expected against counted per payment method (the change
already netted out), the count by denomination, the variance and who signed it off, voids
and red-letter invoices, and the prints so far. A reprint is stamped 重打 with its reason.

The reasons are what a clerk typed (a cash movement's, the variance's, a reprint's): an ID or
mobile number in one is printed masked (``redact``), also on a Z report frozen before."""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from hall_app.clock import fmt_local
from hall_app.documents.drawing import code128, reprint_stamp, wrap_text
from hall_app.documents.fonts import register_cjk_font
from hall_app.domain.masking import redact
from hall_app.domain.money import format_yuan
from hall_app.domain.till import print_label
from hall_app.services.tills import ZReportView


def _money(fen: Any) -> str:
    return "—" if fen is None else format_yuan(int(fen))


def render_z_report(z: ZReportView, *, copy_no: int = 1, reprint_reason: str = "") -> bytes:
    font = register_cjk_font()
    c_ = z.content
    buffer = io.BytesIO()
    width, height = A4
    c = Canvas(buffer, pagesize=A4, invariant=True)
    c.setTitle(f"日结单 {z.z_ref}")
    c.setAuthor("营业厅前台受理系统")
    left, right = 16 * mm, width - 16 * mm
    y = height - 16 * mm

    def new_page_if(needed: float) -> None:
        nonlocal y
        if y - needed < 18 * mm:
            c.showPage()
            y = height - 16 * mm

    c.setFont(font, 10)
    c.drawString(left, y, str(c_["hall"]))
    c.drawRightString(right, y, f"营业日 {c_['business_date']}")
    c.setFont(font, 20)
    c.drawCentredString(width / 2, y - 10 * mm, "日结单（Z 报表）")
    if copy_no > 1:
        reprint_stamp(c, font, right - 34 * mm, y - 14 * mm, copy_no, print_label(copy_no))
    code128(c, left, y - 26 * mm, z.z_ref, 55 * mm, 10 * mm)
    c.setFont(font, 10)
    c.drawString(left, y - 30 * mm, f"编号 {z.z_ref}")
    y -= 40 * mm

    def heading(text: str) -> None:
        nonlocal y
        new_page_if(20 * mm)
        y -= 2 * mm
        c.setFont(font, 12)
        c.drawString(left, y, text)
        c.line(left, y - 2 * mm, right, y - 2 * mm)
        y -= 7.5 * mm

    def row(
        cells: list[str], xs: list[float], size: float = 10, flush: tuple[int, ...] = ()
    ) -> None:
        nonlocal y
        new_page_if(8 * mm)
        c.setFont(font, size)
        for i, (text, x) in enumerate(zip(cells, xs, strict=True)):
            if i in flush:
                c.drawRightString(x, y, text)
            else:
                c.drawString(x, y, text)
        y -= 6 * mm

    def pair(label: str, value: str) -> None:
        nonlocal y
        new_page_if(8 * mm)
        c.setFont(font, 10.5)
        c.drawString(left, y, f"{label}：")
        lines = wrap_text(value, font, 10.5, right - left - 32 * mm) or [""]
        for i, text in enumerate(lines):
            c.drawString(left + 30 * mm, y - i * 5.5 * mm, text)
        y -= (6.5 + 5.5 * (len(lines) - 1)) * mm

    heading("一、钱箱")
    pair("窗口 / 营业员", f"{c_['counter']} · {c_['staff']}")
    pair("开班 / 日结", f"{c_['opened_at']} 至 {c_['closed_at']}（{c_['closed_by']}）")
    pair("备用金", _money(c_["float_fen"]))
    pair(
        "收款",
        f"共 {c_['payments']} 笔；现金收取 {_money(c_['cash_tendered_fen'])}，"
        f"找零 {_money(c_['change_fen'])}（已扣除）",
    )

    heading("二、现金存入与支出")
    if not c_["movements"]:
        row(["无"], [left])
    for m in c_["movements"]:
        sign = "+" if m["kind"] == "in" else "−"
        row(
            [m["at"], m["label"], f"{sign}{_money(m['amount_fen'])}", redact(m["reason"]), m["by"]],
            [left, left + 30 * mm, left + 76 * mm, left + 82 * mm, right],
            flush=(2, 4),
        )

    heading("三、应有与实点（按支付方式，找零已扣除）")
    cols = [left, left + 70 * mm, left + 110 * mm, right]
    row(["支付方式", "应有", "实点 / 结算", "差异"], cols, flush=(1, 2, 3))
    for m in c_["methods"]:
        diff = m["difference_fen"] if m["counted_fen"] is not None else None
        row(
            [m["label"], _money(m["expected_fen"]), _money(m["counted_fen"]), _money(diff)],
            cols,
            flush=(1, 2, 3),
        )
    if c_["counts"]:
        y -= 1 * mm
        parts = [f"{d['label']}×{d['pieces']}" for d in c_["counts"] if int(d["pieces"])] or [
            "无现金"
        ]
        pair("点钞明细", "　".join(parts))
    elif c_["methods"] and c_["methods"][0]["counted_fen"] is not None:
        pair("点钞明细", "未按面额清点（只录入了合计）")

    heading("四、差异")
    pair("结果", f"{c_['verdict']}（差异合计 {_money(c_['variance_fen'])}）")
    if c_["reason"]:
        pair("原因", redact(str(c_["reason"])))
    if c_["signed_off_by"]:
        pair("主管签认", f"{c_['signed_off_by']}（{c_['approval']}）")
    pair("X 报表 / 点钞", f"日结前查看 X 报表 {c_['x_reports']} 次，点钞 {c_['counts_made']} 次")
    if "audit_head" in c_:  # Z reports made before the audit chain have none
        head = c_["audit_head"]
        pair(
            "审计链头",
            f"第 {head['seq']} 条，哈希 {head['hash'][:16]}（日结时）"
            if head
            else "本窗口尚无审计记录",
        )

    heading("五、撤销与退款")
    if not c_["voids"]:
        row(["无"], [left])
    for v in c_["voids"]:
        row(
            [v["at"], v["what"], v["order_no"], v["method"], _money(v["amount_fen"])],
            [left, left + 32 * mm, left + 46 * mm, left + 100 * mm, right],
            flush=(4,),
        )

    heading("六、红字发票")
    if not c_["red_letters"]:
        row(["无"], [left])
    for r in c_["red_letters"]:
        original = f"冲 {r['original_no']}" if r["original_no"] else ""
        row(
            [r["at"], r["invoice_no"], original, _money(r["total_fen"])],
            [left, left + 32 * mm, left + 80 * mm, right],
            flush=(3,),
        )

    heading("七、打印记录")
    for p in z.prints:
        what = print_label(p.copy_no) + ("" if p.copy_no == 1 else f"：{redact(p.reason)}")
        row([fmt_local(p.printed_at), p.staff_name, what], [left, left + 32 * mm, left + 60 * mm])
    if copy_no > len(z.prints):  # this copy, not yet recorded (a preview)
        said = redact(reprint_reason) or "（预览）"
        what = print_label(copy_no) + ("" if copy_no == 1 else f"：{said}")
        row(["（本份）", "", what], [left, left + 32 * mm, left + 60 * mm])

    new_page_if(30 * mm)
    y -= 10 * mm
    c.setFont(font, 10.5)
    c.drawString(left, y, "营业员签字：________________")
    c.drawString(left + 90 * mm, y, "主管签字：________________")
    c.setFont(font, 8)
    c.drawCentredString(
        width / 2, 10 * mm, f"{z.z_ref} · 日结单内容于 {fmt_local(z.made_at)} 生成后不再改动"
    )
    c.showPage()
    c.save()
    return buffer.getvalue()
