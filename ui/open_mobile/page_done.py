"""Step 7: the number is open. Print (preview, print, save) the receipt, the acceptance form
and the invoice (the done page every wizard shares: ui/wizard/done.py)."""

from __future__ import annotations

import uuid

from hall_app.services.documents import DocumentKind
from ui import format as fmt
from ui.open_mobile.base import OrderDraft, WizardEnv
from ui.wizard import done
from ui.wizard.done import TILL_REOPENED, paid_html

__all__ = ["KEYS", "TILL_REOPENED", "DonePage"]

KEYS = {
    DocumentKind.RECEIPT: "F10",
    DocumentKind.ACCEPTANCE_FORM: "F11",
    DocumentKind.INVOICE: "F12",
}


class DonePage(done.DonePage):
    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env, KEYS)

    @property
    def draft(self) -> OrderDraft:
        draft = self.env.draft
        assert isinstance(draft, OrderDraft)
        return draft

    def order_id(self) -> uuid.UUID | None:
        return self.draft.opened.order_id if self.draft.opened else None

    def has_invoice(self) -> bool:
        return self.draft.opened is not None and self.draft.opened.invoice_no is not None

    def result_html(self) -> str:
        o = self.draft.opened
        assert o is not None
        invoice = (
            f"电子发票 {o.invoice_no}（税额 {fmt.money(o.invoice_tax_fen)}）"
            if o.invoice_no
            else "无发票"
        )
        return f"<b>开户成功：{o.number} 已开通</b><br>受理单号 {o.order_no}<br>" + paid_html(
            o.total_fen, o.payments, invoice, o.till_reopened
        )
