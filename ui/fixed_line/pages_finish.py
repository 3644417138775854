"""Steps 5 to 7 of the broadband/landline wizards (new install and relocation): the
customer's confirmation, the payment with the one completing transaction, and the done page
with the documents, including the install work order. The pages are every wizard's
(ui/wizard/); these say what this order shows, costs and does."""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable

from hall_app.domain.errors import HallError
from hall_app.domain.payments import PaymentInput
from hall_app.domain.slots import SLOT_FIELD
from hall_app.services.documents import DocumentKind
from hall_app.services.fixed_line import SERIAL_FIELD, FixedInstalled
from ui import format as fmt
from ui import messages
from ui.fixed_line.draft import PROVISIONAL, FixedDraft
from ui.fixed_line.page_address import TECHNOLOGY
from ui.fixed_line.page_plan import bundle_text
from ui.ops import Changes
from ui.wizard import confirm, done, payment
from ui.wizard.base import WizardEnv
from ui.wizard.confirm import fees_html
from ui.wizard.done import paid_html

LANDLINE_FIELD = "固话号码"
KEYS = {
    DocumentKind.RECEIPT: "F10",
    DocumentKind.ACCEPTANCE_FORM: "F11",
    DocumentKind.INVOICE: "F12",
    DocumentKind.WORK_ORDER: "F8",
}


def _draft(env: WizardEnv) -> FixedDraft:
    draft = env.draft
    assert isinstance(draft, FixedDraft)
    return draft


def summary_html(d: FixedDraft) -> str:
    """The order as the customer reads it before signing."""
    q, c = d.quote, d.coverage
    assert q is not None and c is not None
    e = html.escape
    rows: list[tuple[str, str]] = []
    if d.relocating is not None:
        r = d.relocating
        rows += [
            ("业务", f"{r.kind.label}移机（{e(r.service_number)}）"),
            ("原地址", e(r.address)),
            ("新地址", e(c.address)),
        ]
    else:
        rows.append(("装机地址", e(c.address)))
    rows.append(("接入方式", e(TECHNOLOGY.get(c.technology or "", c.technology or ""))))
    if d.relocating is None:
        if d.broadband is not None:
            rows.append(("宽带套餐", e(d.broadband.name)))
        if d.bundle is not None:
            rows.append(("融合套餐", e(bundle_text(d.bundle))))
        if d.landline_plan is not None and d.landline is not None:
            rows.append(("固话", f"{e(d.landline.display)}　{e(d.landline_plan.name)}"))
        for g in d.gear.values():
            rows.append((g.view.kind_label, f"{e(g.view.name)} {g.view.serial}（{g.mode.label}）"))
    rows.append(("上门时间", e(q.window)))
    promised = f"{q.promised_date}{PROVISIONAL if q.promised_provisional else ''}"
    rows.append(("承诺装机日期", f"{promised} 前"))
    rows.append(("上门联系人", f"{e(d.contact_name)}"))
    table = "".join(f"<tr><td width='22%'><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows)
    title = "宽带/固话移机" if d.relocating is not None else "宽带/固话新装"
    return (
        f"<p style='font-size:15pt'><b>{title}</b></p>"
        f"<table width='100%' cellspacing='0' cellpadding='3'>{table}</table><br>"
        + fees_html(q.lines, q.total_fen, q.terms)
    )


class FixedConfirmPage(confirm.ConfirmPage):
    def summary_html(self) -> str:
        return summary_html(_draft(self.env))

    def signed_quote(self) -> object:
        return _draft(self.env).quote


class FixedPaymentPage(payment.PaymentPage):
    """Completes with ``install`` or ``relocate``. A refusal that names a choice made earlier
    (a slot that filled meanwhile, a landline reservation that lapsed, a modem taken by
    another counter) sends the clerk back to that page (``back_to(field, message)``, which
    says whether it did); no money is taken."""

    def __init__(self, env: WizardEnv, back_to: Callable[[str, str], bool]) -> None:
        super().__init__(env)
        self._back_to = back_to

    def total_fen(self) -> int:
        q = _draft(self.env).quote
        assert q is not None
        return q.total_fen

    def finished(self) -> bool:
        return _draft(self.env).installed is not None

    def complete(
        self,
        payments: tuple[PaymentInput, ...],
        done: Callable[[], None],
        refused: Callable[[HallError], bool],
    ) -> None:
        d = _draft(self.env)
        app, actor = self.env.app, self.env.actor

        def installed(result: FixedInstalled) -> None:
            d.installed = result
            done()

        changes = Changes.ORDERS | Changes.CASH | Changes.STOCK | Changes.QUEUE | Changes.CUSTOMER
        self.mutate(
            lambda: d.complete(app, actor, payments),
            installed,
            refused,
            changes=changes,
            label="正在办理移机…" if d.relocating else "正在办理宽带/固话新装…",
        )

    def refused(self, exc: HallError) -> None:
        again = BACK_TO.get(exc.field or "")
        if again is not None and self._back_to(exc.field or "", exc.message):
            messages.warning(self, f"{exc.text}\n本次未收取任何费用，{again}后再办理。")


BACK_TO = {
    SLOT_FIELD: "请为客户另选一个上门时段",
    LANDLINE_FIELD: "请重新选择固话号码",
    SERIAL_FIELD: "请重新扫描设备",
}


class FixedDonePage(done.DonePage):
    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env, KEYS)

    def order_id(self) -> uuid.UUID | None:
        o = _draft(self.env).installed
        return o.order_id if o else None

    def has_invoice(self) -> bool:
        o = _draft(self.env).installed
        return o is not None and o.invoice_no is not None

    def result_html(self) -> str:
        d = _draft(self.env)
        o = d.installed
        assert o is not None
        what = "移机已受理" if d.relocating else "宽带/固话新装已受理"
        lines = [f"<b>{what}，待上门安装</b>", f"受理单号 {o.order_no}　装机工单 {o.work_order_no}"]
        if o.broadband_account:
            lines.append(f"宽带账号 {o.broadband_account}")
        if o.landline_number:
            shown = d.landline.display if d.landline else o.landline_number
            lines.append(f"固话号码 {shown}")
        promised = f"{o.promised_date}{PROVISIONAL if o.promised_provisional else ''}"
        lines.append(
            f"上门时间 {fmt.when(o.window_start)}–{fmt.when(o.window_end)[-5:]}"
            f"　承诺装机日期 {promised} 前"
        )
        invoice = f"电子发票 {o.invoice_no}" if o.invoice_no else "无发票"
        return (
            "<br>".join(lines)
            + "<br>"
            + paid_html(o.total_fen, o.payments, invoice, o.till_reopened)
        )
