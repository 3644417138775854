"""Steps 4 to 6 of the 购机 wizard: the customer's confirmation (the handset, its IMEI, the
contract or the whole schedule, every fee and the terms, signed on the customer screen), the
payment with the one completing transaction (``sell``), and the done page with the
documents. The pages are every wizard's (ui/wizard/); these say what this sale shows, costs
and does."""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable

from hall_app.domain.enums import SaleMode
from hall_app.domain.errors import HallError
from hall_app.domain.handsets import DOWN_PAYMENT_FIELD, MONTHS_FIELD, commitment_end
from hall_app.domain.money import capital_amount
from hall_app.domain.payments import PaymentInput
from hall_app.domain.telecom import IMEI_FIELD
from hall_app.services.documents import DocumentKind
from hall_app.services.handsets import (
    CONFIRM_FIELD,
    CREDIT_FIELD,
    MODEL_FIELD,
    NUMBER_FIELD,
    OFFER_FIELD,
    HandsetSold,
)
from ui import format as fmt
from ui import messages
from ui.handsets.draft import HandsetDraft, offer_text
from ui.handsets.page_terms import clawback_rule
from ui.ops import Changes
from ui.wizard import confirm, done, payment
from ui.wizard.base import WizardEnv
from ui.wizard.confirm import fees_html
from ui.wizard.done import paid_html

# 分期付款合同 (F8): the shared done page shows it only for an order that has a contract.
KEYS = {
    DocumentKind.RECEIPT: "F10",
    DocumentKind.ACCEPTANCE_FORM: "F11",
    DocumentKind.INVOICE: "F12",
    DocumentKind.INSTALLMENT_CONTRACT: "F8",
}
TERMS_FIELDS = (CREDIT_FIELD, DOWN_PAYMENT_FIELD, MONTHS_FIELD, NUMBER_FIELD, "客户年龄")
MODEL_FIELDS = (MODEL_FIELD, OFFER_FIELD)


def _draft(env: WizardEnv) -> HandsetDraft:
    draft = env.draft
    assert isinstance(draft, HandsetDraft)
    return draft


def schedule_html(d: HandsetDraft) -> str:
    q = d.quote
    assert q is not None
    rows = "".join(
        f"<tr><td>第 {i.seq} 期</td><td>{i.due_date.isoformat()}</td>"
        f"<td align='right'>{fmt.money(i.amount_fen)}</td>"
        f"<td>{capital_amount(i.amount_fen)}</td></tr>"
        for i in q.schedule
    )
    return (
        f"<p><b>还款计划</b>（分期本金 {fmt.money(q.financed_fen)}，"
        f"手续费 {fmt.money(q.fee_fen)}，共 {len(q.schedule)} 期）</p>"
        "<table width='100%' cellspacing='0' cellpadding='3' border='1'>"
        "<tr><th align='left'>期数</th><th align='left'>到期日</th>"
        f"<th align='right'>应还金额</th><th align='left'>大写</th></tr>{rows}</table>"
    )


def summary_html(d: HandsetDraft) -> str:
    """The sale as the customer reads it before signing."""
    q, model, device = d.quote, d.model, d.device
    assert q is not None and model is not None and device is not None
    e = html.escape
    rows: list[tuple[str, str]] = [
        ("机型", e(model.name)),
        ("串号（IMEI）", device.imei),
        ("购买方式", d.mode.label),
        ("售价", fmt.money(model.price_fen)),
        ("保修起始日期", q.warranty_from.isoformat()),
    ]
    extra = ""
    if d.mode is SaleMode.CONTRACT and d.offer is not None and d.plan is not None:
        o = d.offer
        rows += [
            ("合约方案", f"{e(o.name)}<br>{e(offer_text(o))}"),
            ("绑定号码", f"{e(d.plan.number_masked)}（{e(d.plan.plan_name)}）"),
            (
                "合约期",
                f"{q.warranty_from.isoformat()} 至 "
                f"{commitment_end(q.warranty_from, o.months).isoformat()}",
            ),
        ]
        extra = f"<p>{e(clawback_rule(o.subsidy_fen, o.months))}</p>"
    elif d.mode is SaleMode.INSTALLMENT and d.offer is not None:
        rows += [
            ("分期方案", f"{e(d.offer.name)}<br>{e(offer_text(d.offer))}"),
            ("首付（今日收取）", fmt.money(d.down_payment_fen)),
        ]
        extra = schedule_html(d)
    table = "".join(f"<tr><td width='22%'><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows)
    return (
        f"<p style='font-size:15pt'><b>购机：{d.mode.label}</b></p>"
        f"<table width='100%' cellspacing='0' cellpadding='3'>{table}</table>{extra}<br>"
        + fees_html(q.lines, q.total_fen, q.terms)
    )


class HandsetConfirmPage(confirm.ConfirmPage):
    def __init__(self, env: WizardEnv, declined: Callable[[], None]) -> None:
        super().__init__(env)
        self._declined_to = declined

    def summary_html(self) -> str:
        return summary_html(_draft(self.env))

    def signed_quote(self) -> object:
        return _draft(self.env).quote

    def customer_declined(self) -> None:
        self._declined_to()


class HandsetPaymentPage(payment.PaymentPage):
    """Completes with ``sell``. A refusal naming the unit (sold meanwhile by another counter)
    sends the clerk back to scan another; one naming the credit check or the terms back to
    them; no money is taken."""

    def __init__(self, env: WizardEnv, back_to: Callable[[str, str], bool]) -> None:
        super().__init__(env)
        self._back_to = back_to

    def total_fen(self) -> int:
        q = _draft(self.env).quote
        assert q is not None
        return q.total_fen

    def finished(self) -> bool:
        return _draft(self.env).sold is not None

    def complete(
        self,
        payments: tuple[PaymentInput, ...],
        done: Callable[[], None],
        refused: Callable[[HallError], bool],
    ) -> None:
        d = _draft(self.env)
        app, actor = self.env.app, self.env.actor

        def sold(result: HandsetSold) -> None:
            d.sold = result
            done()

        changes = Changes.ORDERS | Changes.CASH | Changes.STOCK | Changes.QUEUE | Changes.CUSTOMER
        self.mutate(
            lambda: d.sell(app, actor, payments),
            sold,
            refused,
            changes=changes,
            label="正在办理购机…",
        )

    def refused(self, exc: HallError) -> None:
        field = exc.field or ""
        again = (
            "请重新扫描一台手机"
            if field == IMEI_FIELD
            else "请客户重新确认签名"
            if field == CONFIRM_FIELD
            else "请重新选择机型和方案"
            if field in MODEL_FIELDS
            else "请重新确认合约/分期条件"
        )
        if self._back_to(field, exc.message):
            messages.warning(self, f"{exc.text}\n本次未收取任何费用，{again}后再办理。")


class HandsetDonePage(done.DonePage):
    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env, KEYS)

    def order_id(self) -> uuid.UUID | None:
        o = _draft(self.env).sold
        return o.order_id if o else None

    def has_invoice(self) -> bool:
        o = _draft(self.env).sold
        return o is not None and o.invoice_no is not None

    def result_html(self) -> str:
        d = _draft(self.env)
        o, q = d.sold, d.quote
        assert o is not None and q is not None and d.model is not None
        lines = [
            f"<b>购机成功：{html.escape(d.model.name)}（{d.mode.label}）</b>",
            f"受理单号 {o.order_no}　串号 {o.imei}　保修起始日期 {q.warranty_from.isoformat()}",
        ]
        if o.commitment_id is not None and d.offer is not None and d.plan is not None:
            ends = commitment_end(q.warranty_from, d.offer.months)
            lines.append(
                f"合约已绑定 {html.escape(d.plan.number_masked)}：{d.offer.months} 个月，"
                f"至 {ends.isoformat()}"
            )
        if o.contract_id is not None and q.schedule:
            first = q.schedule[0]
            lines.append(
                f"分期合同已生效：{len(q.schedule)} 期，首期 {first.due_date.isoformat()} "
                f"应还 {fmt.money(first.amount_fen)}"
            )
        invoice = f"电子发票 {o.invoice_no}" if o.invoice_no else "无发票"
        return (
            "<br>".join(lines)
            + "<br>"
            + paid_html(o.total_fen, o.payments, invoice, o.till_reopened)
        )
