"""The installment contract (分期付款合同), A4 on as many pages as it needs: the parties (the
buyer's ID masked), the handset and its IMEI, the price, the down payment, the financed amount,
the fee or rate and the total payable (each in figures and in capitals), every instalment's due
date and amount in figures and in capitals, the early-payoff rule, the terms the customer
signed, the signature, the date and the order number. Every page carries the order number and
「第 i 页 共 n 页」 so a loose page is traced back."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from hall_app.clock import fmt_local
from hall_app.documents.data import ContractDocument
from hall_app.documents.drawing import code128, reprint_stamp, wrap_text
from hall_app.documents.fonts import register_cjk_font
from hall_app.domain.money import capital_amount, format_yuan

TITLE = "分期付款购机合同"
WIDTH, HEIGHT = A4
LEFT, RIGHT = 18 * mm, WIDTH - 18 * mm
TOP, BOTTOM = HEIGHT - 18 * mm, 20 * mm  # below BOTTOM only the page footer
ROW = 6.2 * mm  # one instalment row
# The schedule's columns: (heading, x offset from LEFT, right-aligned)
COLUMNS = (
    ("期数", 2 * mm, False),
    ("到期日", 16 * mm, False),
    ("本金", 62 * mm, True),
    ("手续费", 84 * mm, True),
    ("应还金额", 110 * mm, True),
    ("应还金额（大写）", 114 * mm, False),
)


def payoff_rule(doc: ContractDocument) -> str:
    """The early-payoff rule as the contract states it (domain.handsets.payoff_fen)."""
    payoff = doc.payoff_fee_fen
    fee = (
        f"加提前结清手续费 {format_yuan(payoff)}（{capital_amount(payoff)}）"
        if payoff
        else "不收提前结清手续费"
    )
    return (
        f"乙方可随时到营业厅一次结清全部未还分期：应付金额为尚未归还的分期本金，{fee}；"
        "已到期各期的手续费照付，仅尚未到期各期的手续费免收；手续费收取时开具发票。"
        "结清后本合同终止。"
    )


def fee_text(doc: ContractDocument) -> str:
    """The fee as the contract states it, with the amount in capitals like every other
    amount of the contract."""
    amount = f"{format_yuan(doc.fee_fen)}（{capital_amount(doc.fee_fen)}）"
    if doc.monthly_rate:
        rate = f"{(doc.monthly_rate * 100).normalize():f}%"
        return f"月费率 {rate} × {doc.months} 期，计 {amount}"
    return amount if doc.fee_fen else "免手续费"


class _PagedCanvas(Canvas):  # type: ignore[misc]  # reportlab has no types
    """Holds every page back until the end, so each page's footer can say how many there are."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pages: list[dict[str, Any]] = []
        self.footer = ""
        self.font = ""

    def showPage(self) -> None:
        self.pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self.pages)
        for number, state in enumerate(self.pages, start=1):
            self.__dict__.update(state)
            self.setFont(self.font, 8)
            self.drawString(LEFT, 10 * mm, self.footer)
            self.drawRightString(RIGHT, 10 * mm, f"第 {number} 页 共 {total} 页")
            super().showPage()
        super().save()


def render_installment_contract(doc: ContractDocument) -> bytes:
    font = register_cjk_font()
    buffer = io.BytesIO()
    c = _PagedCanvas(buffer, pagesize=A4, invariant=True)
    c.setTitle(f"{TITLE} {doc.order_no}")
    c.setAuthor("营业厅前台受理系统")
    c.font = font
    c.footer = f"{TITLE}  合同编号（受理单号）{doc.order_no}  乙方 {doc.customer_name}"
    y = TOP
    mid = WIDTH / 2 + 4 * mm

    def room(needed: float, on_new_page: Callable[[], None] | None = None) -> None:
        """A new page when ``needed`` points do not fit above the footer."""
        nonlocal y
        if y - needed < BOTTOM:
            c.showPage()
            y = TOP
            if on_new_page is not None:
                on_new_page()

    def heading(text: str) -> None:
        nonlocal y
        room(20 * mm)
        y -= 2 * mm
        c.setFont(font, 12)
        c.drawString(LEFT, y, text)
        c.line(LEFT, y - 2 * mm, RIGHT, y - 2 * mm)
        y -= 8 * mm

    def row(label: str, value: str, x: float = LEFT, advance: bool = True) -> None:
        nonlocal y
        c.setFont(font, 10)
        c.drawString(x, y, f"{label}：")
        # a long value (an address) is set smaller to keep clear of the column beside it
        start = x + 26 * mm
        limit = mid - 2 * mm if x < mid and not advance else RIGHT
        size = 10.0
        while size > 7 and c.stringWidth(value, font, size) > limit - start:
            size -= 0.5
        c.setFont(font, size)
        c.drawString(start, y, value)
        if advance:
            y -= 6 * mm

    def paragraph(text: str, size: float = 9.5, gap: float = 5.2 * mm) -> None:
        nonlocal y
        for part in wrap_text(text, font, size, RIGHT - LEFT):
            room(gap)
            c.setFont(font, size)
            c.drawString(LEFT, y, part)
            y -= gap

    # -- title and the order number as a barcode -------------------------------------------
    c.setFont(font, 18)
    c.drawString(LEFT, y - 4 * mm, TITLE)
    code128(c, RIGHT - 62 * mm, y - 6 * mm, doc.order_no, 62 * mm, 11 * mm)
    c.setFont(font, 8)
    c.drawCentredString(RIGHT - 31 * mm, y - 10 * mm, f"合同编号 {doc.order_no}")
    c.setFont(font, 9.5)
    c.drawString(LEFT, y - 11 * mm, f"状态：{doc.status}")
    if doc.copy_no > 1:
        reprint_stamp(c, font, LEFT + 70 * mm, y - 8 * mm, doc.copy_no)
    y -= 18 * mm
    heading("一、合同双方")
    row("甲方（卖方）", doc.seller_name, advance=False)
    row("乙方（买方）", doc.customer_name, mid)
    row("受理营业厅", f"{doc.hall_name} {doc.counter_name}".strip(), advance=False)
    row("证件号码", doc.customer_id_masked, mid)
    row("营业厅地址", doc.hall_address or "—", advance=False)
    row("联系电话", doc.customer_phone_masked or "—", mid)

    heading("二、购买终端")
    row("终端", doc.handset_name)
    row("串号（IMEI）", doc.imei, advance=False)
    warranty = f"{doc.warranty_from:%Y-%m-%d}" if doc.warranty_from else "—"
    row("保修起始日期", warranty, mid)

    heading("三、价款与分期")
    money = (
        ("终端售价", doc.price_fen),
        ("首付款", doc.down_payment_fen),
        ("分期本金", doc.financed_fen),
    )
    for label, fen in money:
        row(label, f"{format_yuan(fen)}（{capital_amount(fen)}）")
    row("分期手续费", fee_text(doc))
    row("分期期数", f"{doc.months} 期，每月还款一次，首期于 {_first_due(doc)} 到期")
    row("分期应还合计", f"{format_yuan(doc.repaid_fen)}（{capital_amount(doc.repaid_fen)}）")
    row("总价款", f"{format_yuan(doc.total_fen)}（{capital_amount(doc.total_fen)}）")
    paragraph("总价款 = 首付款 + 各期应还金额之和；各期金额以分计，分摊的尾差计入最后一期。", 8.5)

    heading("四、还款计划")

    def schedule_head() -> None:
        nonlocal y
        c.setFont(font, 9.5)
        for label, x, right in COLUMNS:
            (c.drawRightString if right else c.drawString)(LEFT + x, y, label)
        c.line(LEFT, y - 1.8 * mm, RIGHT, y - 1.8 * mm)
        y -= ROW

    def continued() -> None:
        paragraph("四、还款计划（续）", 11, 8 * mm)
        schedule_head()

    schedule_head()
    for inst in doc.instalments:
        room(ROW, continued)
        values = (
            f"第 {inst.seq} 期",
            f"{inst.due_date:%Y-%m-%d}",
            format_yuan(inst.principal_fen),
            format_yuan(inst.fee_fen),
            format_yuan(inst.amount_fen),
            capital_amount(inst.amount_fen),
        )
        c.setFont(font, 9.5)
        for (_, x, right), value in zip(COLUMNS, values, strict=True):
            (c.drawRightString if right else c.drawString)(LEFT + x, y, value)
        y -= ROW
    room(ROW)
    c.line(LEFT, y + ROW - 1.8 * mm, RIGHT, y + ROW - 1.8 * mm)
    c.setFont(font, 9.5)
    c.drawString(LEFT + COLUMNS[0][1], y, "合计")
    principal = sum(i.principal_fen for i in doc.instalments)
    fee = sum(i.fee_fen for i in doc.instalments)
    for (_, x, _r), fen in zip(COLUMNS[2:5], (principal, fee, doc.repaid_fen), strict=True):
        c.drawRightString(LEFT + x, y, format_yuan(fen))
    c.drawString(LEFT + COLUMNS[5][1], y, capital_amount(doc.repaid_fen))
    y -= ROW + 2 * mm

    heading("五、按期还款与提前结清")
    paragraph(
        "乙方应于每期到期日（含当日）前到营业厅或通过甲方认可的渠道归还当期应还金额；"
        "到期日当日结束仍未归还的为逾期，逾期记录将作为乙方今后分期业务信用评估的依据。"
    )
    paragraph(payoff_rule(doc))

    heading("六、乙方签署的业务条款")
    for text in (doc.terms or "—").splitlines() or ["—"]:
        paragraph(text, 9)

    # -- signatures ---------------------------------------------------------------------------
    room(25 * mm)
    y -= 5 * mm
    c.setFont(font, 10.5)
    c.drawString(LEFT, y, "乙方（签名）：")
    if doc.signature_png:
        c.drawImage(
            ImageReader(io.BytesIO(doc.signature_png)),
            LEFT + 26 * mm,
            y - 9 * mm,
            width=55 * mm,
            height=18 * mm,
            mask="auto",
            preserveAspectRatio=True,
        )
    c.drawString(mid, y, f"甲方：{doc.seller_name}")
    y -= 6 * mm
    c.setFont(font, 9.5)
    c.drawString(mid, y, f"经办营业员：{doc.clerk_name}（工号 {doc.clerk_no}）")
    y -= 11 * mm
    c.drawString(LEFT, y, f"签署日期：{fmt_local(doc.signed_at)[:10]}")
    c.drawString(mid, y, f"受理单号：{doc.order_no}")
    c.showPage()
    c.save()
    return buffer.getvalue()


def _first_due(doc: ContractDocument) -> str:
    return f"{doc.instalments[0].due_date:%Y-%m-%d}" if doc.instalments else "—"
