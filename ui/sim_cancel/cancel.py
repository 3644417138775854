"""销户 on the shared wizard frame: the conditions with ✓/✗ and their reasons, the refund of
the balance (the bonus forfeited) and the quarantine; the owner signs; 确认销户 refunds from the
till; the done page prints the refund's 收费小票 (退款小票, F10) and the 业务受理单 (F11)."""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QLabel, QVBoxLayout

from hall_app.services.cancellation import CancelCheck, CancelDone, CancelRequest
from hall_app.services.documents import DocumentKind
from ui import format as fmt
from ui.account.actions import AccountContext
from ui.ops import Changes
from ui.sim_cancel.common import number_of
from ui.style import set_role
from ui.table import RowsModel, make_table
from ui.wizard import confirm, done
from ui.wizard.base import DraftBase, WizardEnv, WizardPage, error_label
from ui.wizard.dialog import WizardDialog

KEYS = {DocumentKind.RECEIPT: "F10", DocumentKind.ACCEPTANCE_FORM: "F11"}


@dataclass
class CancelDraft(DraftBase):
    subscription_id: uuid.UUID | None = None
    number: str = ""
    check: CancelCheck | None = None
    done: CancelDone | None = None


def _draft(env: WizardEnv) -> CancelDraft:
    d = env.draft
    assert isinstance(d, CancelDraft)
    return d


class ChecksPage(WizardPage):
    title = "销户条件"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        d = _draft(env)
        self.heading = QLabel(f"号码 {d.number} 销户条件核查")
        self.heading.setObjectName("cancelHeading")
        self.rows = RowsModel(["条件", "结果", "说明"])
        self.table = make_table(self.rows, ("账单已结清 ", "✗ 不通过 ", "x" * 60))
        self.table.setObjectName("cancelChecks")
        self.money = QLabel("")
        self.money.setObjectName("cancelMoney")
        self.money.setWordWrap(True)
        self.verdict = error_label("cancelVerdict")
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.money)
        layout.addWidget(self.verdict)

    def enter(self) -> None:
        d = _draft(self.env)
        assert d.subscription_id is not None
        service, actor, sub = self.env.app.cancellations, self.env.actor, d.subscription_id
        self.query(lambda: service.check_cancellation(actor, sub), self._show)
        self.table.setFocus()

    def _show(self, check: CancelCheck) -> None:
        d = _draft(self.env)
        d.check = check
        self.rows.set_rows(
            [(c.name, "✓ 通过" if c.passed else "✗ 不通过", c.reason) for c in check.checks]
        )
        self.money.setText(
            f"可退余额 {fmt.money(check.refund_fen)}（现金退还）；赠送金额 "
            f"{fmt.money(check.bonus_forfeit_fen)} 不退，随销户作废；号码冷冻 "
            f"{check.quarantine_days} 天后方可重新放号。"
        )
        if check.allowed:
            set_role(self.verdict, "ok")
            self.verdict.setText("全部条件满足，可以销户")
        else:
            set_role(self.verdict, "error")
            self.verdict.setText("不能销户：" + check.refusal())
        self.complete_changed.emit()

    def is_complete(self) -> bool:
        c = _draft(self.env).check
        return c is not None and c.allowed

    def missing(self) -> str:
        c = _draft(self.env).check
        return "正在核查销户条件…" if c is None else "有条件未通过，不能销户"


class CancelConfirmPage(confirm.ConfirmPage):
    """The owner signs; leaving it cancels the number and pays the refund out."""

    def summary_html(self) -> str:
        d = _draft(self.env)
        c = d.check
        assert c is not None
        terms = "<br>".join(html.escape(t) for t in c.terms.splitlines())
        return (
            f"<h3>销户　号码 {c.number_masked}</h3>"
            f"<p>退还余额 <b>{fmt.money(c.refund_fen)}</b>（现金）；赠送金额 "
            f"{fmt.money(c.bonus_forfeit_fen)} 不予退还</p><p style='font-size:10.5pt'>{terms}</p>"
        )

    def signed_quote(self) -> object:
        return _draft(self.env).check

    def leave(self, proceed: Any) -> None:
        d = _draft(self.env)
        c = d.check
        assert c is not None and d.subscription_id is not None
        req = CancelRequest(
            d.subscription_id,
            signature_png=d.signature_png,
            terms_text=c.terms,
            ticket_id=d.ticket_id,
        )
        service, actor = self.env.app.cancellations, self.env.actor

        def cancelled(result: CancelDone) -> None:
            d.done = result
            self.close_customer_view()
            proceed()

        self.mutate(
            lambda: service.cancel(actor, req),
            cancelled,
            changes=Changes.ORDERS | Changes.CASH | Changes.QUEUE | Changes.CUSTOMER,
            label="正在办理销户…",
        )


class CancelDonePage(done.DonePage):
    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env, KEYS)

    def order_id(self) -> uuid.UUID | None:
        r = _draft(self.env).done
        return r.order_id if r else None

    def has_invoice(self) -> bool:
        return False

    def result_html(self) -> str:
        r = _draft(self.env).done
        assert r is not None
        return (
            f"<b>号码 {r.number_masked} 已销户</b><br>受理单号 {r.order_no}<br>"
            "<span style='font-size:18pt;color:#1e7e34'>"
            f"请退还现金 {fmt.money(r.refund_fen)}</span>"
            f"<br>赠送金额 {fmt.money(r.bonus_forfeit_fen)} 已作废；号码冷冻至 "
            f"{r.quarantined_until:%Y-%m-%d}"
            + (f"<br><b style='color:#b35900'>{done.TILL_REOPENED}</b>" if r.till_reopened else "")
        )


class CancelDialog(WizardDialog):
    def __init__(self, context: AccountContext) -> None:
        sub = number_of(context)
        draft = CancelDraft(customer_id=context.customer_id, ticket_id=context.ticket_id)
        draft.subscription_id, draft.number = sub.id, sub.number_display
        super().__init__(WizardEnv(context.app, context.actor, context.ops, draft), context.parent)
        self.setObjectName("cancelDialog")
        self.setWindowTitle(f"销户 — {context.customer_name}")
        self.checks = ChecksPage(self.env)
        self.confirm = CancelConfirmPage(self.env)
        self.finish = CancelDonePage(self.env)
        # The confirmation completes the order (nothing to collect: the refund is paid out).
        self.set_pages([self.checks, self.confirm, self.finish], self.confirm, self.finish)

    def _update_buttons(self) -> None:
        super()._update_buttons()
        if self.current is self.confirm:
            self.next_button.setText("确认销户并退款 (Ctrl+Enter)")

    @property
    def draft(self) -> CancelDraft:
        return _draft(self.env)

    def outcome(self) -> object | None:
        return self.draft.done

    def abandon_question(self) -> str | None:
        return None

    def release(self) -> None:
        self.confirm.close_customer_view()


def open_cancel(context: AccountContext) -> CancelDialog:
    return CancelDialog(context)
