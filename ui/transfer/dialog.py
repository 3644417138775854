"""过户 on the shared wizard frame: 新机主 (find them, the checks) → 核验与审批 (both face
checks, the supervisor) → 客户确认 (the new owner reads the transfer and the terms they
re-sign, and signs; 办结 transfers) → 办结 (the 业务受理单, F11). No fee: no payment page."""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QWidget

from hall_app.app import HallApp
from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.masking import mask_name
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from hall_app.services.transfer import TransferDone, TransferRequest
from ui.account.actions import AccountContext
from ui.ops import Changes, Operations
from ui.style import set_role
from ui.transfer.pages import NewOwnerPage, TransferDraft, VerifyPage, transfer_draft
from ui.wizard import confirm, done
from ui.wizard.base import WizardEnv
from ui.wizard.dialog import WizardDialog

KEYS = {DocumentKind.ACCEPTANCE_FORM: "F11"}
COMMIT = "确认过户 (Ctrl+Enter)"


def summary_html(d: TransferDraft) -> str:
    """What the new owner reads and signs: who gives which number to whom, then the terms."""
    check = d.check
    assert check is not None
    e = html.escape
    rows = [
        ("过户号码", check.number_masked),
        ("原机主", check.from_name_masked),
        ("新机主", check.to_name_masked),
        ("费用", "过户免费"),
    ]
    rows += [("重新签署", t) for t in check.terms_to_resign]
    table = "".join(f"<tr><td width='22%'><b>{e(k)}</b></td><td>{e(v)}</td></tr>" for k, v in rows)
    terms = "<br>".join(e(t) for t in check.terms_text.splitlines())
    return (
        "<p style='font-size:15pt'><b>过户</b></p>"
        f"<table width='100%' cellspacing='0' cellpadding='3'>{table}</table>"
        f"<p style='font-size:10.5pt'>{terms}</p>"
    )


class TransferConfirmPage(confirm.ConfirmPage):
    """The new owner signs; leaving the page (确认过户) makes the transfer."""

    def summary_html(self) -> str:
        return summary_html(transfer_draft(self.env))

    def signed_quote(self) -> object:
        return transfer_draft(self.env).check

    def leave(self, proceed: Callable[[], None]) -> None:
        d = transfer_draft(self.env)
        check, sub_id, to_id = d.check, d.subscription_id, d.to_customer_id
        assert check is not None and sub_id is not None and to_id is not None
        req = TransferRequest(
            subscription_id=sub_id,
            to_customer_id=to_id,
            old_face_checked_by=d.old_face_by,
            new_face_checked_by=d.new_face_by,
            supervisor=d.supervisor,
            approval_id=d.approval_id,
            signature_png=d.signature_png,
            terms_text=check.terms_text,
            ticket_id=d.ticket_id,
            from_customer_id=d.customer_id,
        )
        transfers, actor = self.env.app.transfers, self.env.actor

        def moved(result: TransferDone) -> None:
            d.done = result
            self.close_customer_view()
            proceed()

        def refused(exc: HallError) -> bool:
            set_role(self.status, "error")
            self.status.setText(f"未过户（未作任何更改）：{exc.text}")
            return True

        self.mutate(
            lambda: transfers.transfer(actor, req),
            moved,
            refused,
            changes=Changes.ORDERS | Changes.CUSTOMER | Changes.QUEUE | Changes.APPROVALS,
            label="正在办理过户…",
        )


class TransferDonePage(done.DonePage):
    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env, KEYS)

    def order_id(self) -> uuid.UUID | None:
        r = transfer_draft(self.env).done
        return r.order_id if r else None

    def has_invoice(self) -> bool:
        return False

    def result_html(self) -> str:
        r = transfer_draft(self.env).done
        assert r is not None
        e = html.escape
        return (
            f"<p style='font-size:15pt'><b>过户已办结：{e(r.number_masked)}</b></p>"
            f"由 {e(r.from_name_masked)} 过户给 {e(r.to_name_masked)}<br>"
            f"受理单号 {e(r.order_no)}　审批主管 {e(r.approver)}<br>"
            "请打印业务受理单 (F11) 交新机主；过户前的账单和订单仍在原机主名下。"
        )


class TransferDialog(WizardDialog):
    def __init__(
        self,
        app: HallApp,
        actor: Actor,
        ops: Operations,
        draft: TransferDraft,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(WizardEnv(app, actor, ops, draft), parent)
        self.setObjectName("transferDialog")
        self.setWindowTitle(f"过户 — {draft.number_display}")
        self.owner = NewOwnerPage(self.env)
        self.verify = VerifyPage(self.env)
        self.confirm = TransferConfirmPage(self.env)
        self.finish = TransferDonePage(self.env)
        # The confirmation commits (no fee, no payment page): its 下一步 reads 确认过户.
        self.set_pages(
            [self.owner, self.verify, self.confirm, self.finish], self.confirm, self.finish
        )

    def _update_buttons(self) -> None:
        super()._update_buttons()
        if self.current is self.confirm:
            self.next_button.setText(COMMIT)

    @property
    def draft(self) -> TransferDraft:
        return transfer_draft(self.env)

    def outcome(self) -> object | None:
        return self.draft.done

    def abandon_question(self) -> str | None:
        return "放弃办理过户？" if self.draft.check is not None else None

    def release(self) -> None:
        self.confirm.close_customer_view()


def open_transfer(context: AccountContext) -> QDialog:
    """The 号码业务 menu's 过户 of the number selected on the 号码 tab."""
    sub = context.subscription
    if sub is None:
        raise ValidationError("请先在“号码”页选中要过户的号码", "业务号码")
    draft = TransferDraft(customer_id=context.customer_id, ticket_id=context.ticket_id)
    draft.subscription_id = sub.id
    draft.number_display = sub.number_display
    draft.old_name = mask_name(context.customer_name)
    return TransferDialog(context.app, context.actor, context.ops, draft, context.parent)
