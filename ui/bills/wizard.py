"""缴费 on the shared wizard frame: the bills to pay (ui.bills.choose), the shared payment page
(mixed methods, change), and the done page with the receipt (收费小票, F10) and the invoice
(电子发票, F12, when the counter's policy issues one)."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtWidgets import QDialog

from hall_app.domain.errors import HallError
from hall_app.domain.payments import PaymentInput
from hall_app.services.bills import BillPaymentDone
from hall_app.services.documents import DocumentKind
from ui import format as fmt
from ui.account.actions import AccountContext
from ui.bills.choose import ChooseBillsPage
from ui.bills.draft import BillDraft, bill_draft
from ui.ops import Changes
from ui.wizard import done, payment
from ui.wizard.base import WizardEnv
from ui.wizard.dialog import WizardDialog

KEYS = {DocumentKind.RECEIPT: "F10", DocumentKind.INVOICE: "F12"}


class BillPaymentPage(payment.PaymentPage):
    def total_fen(self) -> int:
        q = bill_draft(self.env).quote
        return q.total_fen if q else 0

    def finished(self) -> bool:
        return bill_draft(self.env).done is not None

    def complete(self, payments: tuple[PaymentInput, ...], done: Any, refused: Any) -> None:
        d = bill_draft(self.env)
        app, actor = self.env.app, self.env.actor

        def paid(result: BillPaymentDone) -> None:
            d.done = result
            done()

        self.mutate(
            lambda: d.pay(app, actor, payments),
            paid,
            refused,
            changes=Changes.ORDERS | Changes.CASH | Changes.QUEUE | Changes.BILLS,
            label="正在缴费…",
        )

    def refused(self, exc: HallError) -> None:
        """Refused (paid at another window, the link dropped, the supervisor's password):
        nothing was taken; the message stays on the page."""


class BillDonePage(done.DonePage):
    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env, KEYS)

    def order_id(self) -> uuid.UUID | None:
        p = bill_draft(self.env).done
        return p.order_id if p else None

    def has_invoice(self) -> bool:
        p = bill_draft(self.env).done
        return p is not None and p.invoice_no is not None

    def result_html(self) -> str:
        p = bill_draft(self.env).done
        assert p is not None
        rows = [
            f"{r.period} {r.number}：销账 {fmt.money(r.applied_fen)}"
            + (f"，违约金 {fmt.money(r.late_fee_fen)}" if r.late_fee_fen else "")
            + (f"，减免 {fmt.money(r.waived_fen)}" if r.waived_fen else "")
            + f"，{r.status.label}"
            for r in p.settled
        ]
        lines = [f"<b>缴费成功</b>　受理单号 {p.order_no}", *rows]
        if p.topped_up_fen:
            lines.append(f"预存话费 {fmt.money(p.topped_up_fen)}（只开收费小票）")
        if p.resumed:
            lines.append(f"已恢复开机：{'、'.join(p.resumed)}")
        invoice = f"电子发票 {p.invoice_no}" if p.invoice_no else "本次只开收费小票"
        return (
            "<br>".join(lines)
            + "<br>"
            + done.paid_html(p.total_fen, p.payments, invoice, p.till_reopened)
        )


class BillPaymentDialog(WizardDialog):
    def __init__(self, env: WizardEnv, customer_name: str = "", parent: Any = None) -> None:
        super().__init__(env, parent)
        self.setObjectName("billPaymentDialog")
        self.setWindowTitle(f"缴费 — {customer_name}" if customer_name else "缴费")
        self.choose = ChooseBillsPage(self.env)
        self.payment = BillPaymentPage(self.env)
        self.finish = BillDonePage(self.env)
        self.set_pages([self.choose, self.payment, self.finish], self.payment, self.finish)
        self.payment.on_enter_pressed = self.next  # 实收现金 + Enter takes the money

    @property
    def draft(self) -> BillDraft:
        return bill_draft(self.env)

    def outcome(self) -> object | None:
        return self.draft.done


def open_bill_payment(ctx: AccountContext) -> QDialog:
    draft = BillDraft(customer_id=ctx.customer_id, ticket_id=ctx.ticket_id)
    env = WizardEnv(ctx.app, ctx.actor, ctx.ops, draft)
    return BillPaymentDialog(env, ctx.customer_name, ctx.parent)
