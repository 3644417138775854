"""携号转网资格 from the customer record's 号码业务 menu, on the shared wizard frame: the five
conditions of the selected number, each ✓ or ✗ with its reason (F5 asks again, e.g. after the
customer paid a bill at the next window); 生成授权码 only when all pass: the owner reads the
terms and signs on the customer screen (ConfirmPage), and the done page shows the code large
and prints it on the 业务受理单 (F11)."""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hall_app.app import HallApp
from hall_app.clock import fmt_local
from hall_app.domain.errors import HallError, ValidationError
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from hall_app.services.porting import PortCheck, PortCodeDone, PortCodeRequest
from hall_app.services.subscriptions import NUMBER_FIELD
from ui.account.actions import AccountContext
from ui.keys import shortcut
from ui.ops import Changes, Operations
from ui.style import set_role
from ui.wizard import confirm, done
from ui.wizard.base import DraftBase, WizardEnv, WizardPage
from ui.wizard.dialog import WizardDialog

KEYS = {DocumentKind.ACCEPTANCE_FORM: "F11"}
ISSUE_TEXT = "生成授权码 (Ctrl+Enter)"


@dataclass
class PortingDraft(DraftBase):
    subscription_id: uuid.UUID | None = None
    number: str = ""  # masked, as the record shows it
    check: PortCheck | None = None
    issued: PortCodeDone | None = None
    stale: bool = False  # an issue was refused: the conditions are asked again


def _draft(env: WizardEnv) -> PortingDraft:
    d = env.draft
    assert isinstance(d, PortingDraft)
    return d


def conditions_html(check: PortCheck) -> str:
    """The five conditions, each with ✓ or ✗ and its reason (wrapped, never elided)."""
    rows = "".join(
        f"<tr><td style='color:{'#1e7e34' if c.passed else '#c0392b'};font-size:14pt'>"
        f"{'✓' if c.passed else '✗'}</td><td><b>{html.escape(c.name)}</b></td>"
        f"<td>{'符合' if c.passed else '<b>不符合</b>'}</td><td>{html.escape(c.reason)}</td></tr>"
        for c in check.conditions
    )
    return (
        "<table width='100%' cellspacing='0' cellpadding='6' border='1'>"
        "<tr><th width='4%'></th><th width='16%' align='left'>条件</th>"
        "<th width='8%' align='left'>结果</th>"
        f"<th width='72%' align='left'>说明</th></tr>{rows}</table>"
    )


class CheckPage(WizardPage):
    """资格查询: the conditions; 下一步 (生成授权码) only when all pass and no code is valid."""

    title = "资格查询"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        self.heading = QLabel(f"号码 {_draft(env).number} 携号转网（转出）资格查询")
        self.heading.setObjectName("portHeading")
        self.conditions = QLabel("正在查询…")
        self.conditions.setObjectName("portConditions")
        self.conditions.setTextFormat(Qt.TextFormat.RichText)
        self.conditions.setWordWrap(True)
        self.conditions.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.verdict = QLabel("")
        self.verdict.setObjectName("portVerdict")
        self.verdict.setWordWrap(True)
        self.recheck_button = QPushButton("重新查询 (F5)")
        self.recheck_button.setObjectName("portRecheck")
        self.recheck_button.clicked.connect(self.recheck)
        shortcut(self, "F5", self.recheck)
        row = QHBoxLayout()
        row.addWidget(self.verdict, 1)
        row.addWidget(self.recheck_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.conditions, 1)
        layout.addLayout(row)

    def enter(self) -> None:
        d = _draft(self.env)
        if d.check is None or d.stale:
            self.recheck()

    def recheck(self) -> None:
        d = _draft(self.env)
        assert d.subscription_id is not None
        porting, actor, sub_id = self.env.app.porting, self.env.actor, d.subscription_id
        self.query(lambda: porting.check_porting(actor, sub_id), self._shown, label="正在查询…")

    def _shown(self, check: PortCheck) -> None:
        d = _draft(self.env)
        d.check, d.stale = check, False
        self.conditions.setText(conditions_html(check))
        valid = check.valid_code
        if valid is not None:
            set_role(self.verdict, "warn")
            self.verdict.setText(
                f"该号码已有有效授权码 {valid.code}（受理单 {valid.order_no}，有效至 "
                f"{fmt_local(valid.expires_at)}），有效期内不重复生成；可在受理记录中重打该单"
            )
        elif check.allowed:
            set_role(self.verdict, "ok")
            self.verdict.setText("五项条件均符合，可以生成授权码（Ctrl+Enter）")
        else:
            failed = sum(1 for c in check.conditions if not c.passed)
            set_role(self.verdict, "error")
            self.verdict.setText(
                f"有 {failed} 项条件不符合，不能办理携号转网；请按说明处理后再查询"
            )
        self.complete_changed.emit()

    def is_complete(self) -> bool:
        check = _draft(self.env).check
        return check is not None and check.allowed and check.valid_code is None

    def missing(self) -> str:
        check = _draft(self.env).check
        if check is None:
            return "正在查询…"
        if check.valid_code is not None:
            return "已有有效授权码"
        return "不符合携号转网条件，不能生成授权码"


class PortConfirmPage(confirm.ConfirmPage):
    """The owner reads the terms and signs; 生成授权码 then issues the code."""

    def summary_html(self) -> str:
        d = _draft(self.env)
        check = d.check
        assert check is not None
        return (
            f"<h3>携号转网授权码申请　号码 {html.escape(check.number_masked)}</h3>"
            + conditions_html(check)
            + "<p><b>本业务不收费。</b></p>"
            + "".join(f"<p>{html.escape(t)}</p>" for t in check.terms.splitlines())
        )

    def signed_quote(self) -> object:
        return _draft(self.env).check

    def leave(self, proceed: Callable[[], None]) -> None:
        d = _draft(self.env)
        check = d.check
        assert check is not None
        app, actor = self.env.app, self.env.actor
        req = PortCodeRequest(check.subscription_id, d.ticket_id, d.signature_png, check.terms)

        def issued(result: PortCodeDone) -> None:
            d.issued = result
            proceed()

        self.mutate(
            lambda: app.porting.issue_port_code(actor, req),
            issued,
            self._refused,
            changes=Changes.ORDERS | Changes.QUEUE | Changes.CUSTOMER,
            label="正在生成授权码…",
        )

    def _refused(self, exc: HallError) -> bool:
        """Refused (a condition changed, a code issued at another window): nothing saved; the
        message box says why, and the check page asks again when the clerk goes back."""
        _draft(self.env).stale = True
        return False


class PortDonePage(done.DonePage):
    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env, KEYS)
        self.result.setTextFormat(Qt.TextFormat.RichText)

    def order_id(self) -> uuid.UUID | None:
        issued = _draft(self.env).issued
        return issued.order_id if issued else None

    def has_invoice(self) -> bool:
        return False

    def result_html(self) -> str:
        issued = _draft(self.env).issued
        assert issued is not None
        return (
            f"<b>号码 {html.escape(issued.number_masked)} 携号转网授权码已生成</b><br>"
            f"<span style='font-size:40pt;font-weight:bold;letter-spacing:6px;"
            f"color:#1f4e8c'>{html.escape(issued.code)}</span><br>"
            f"有效至 <b>{fmt_local(issued.expires_at)}</b>（逾期作废，可重新申请）<br>"
            f"受理单号 {html.escape(issued.order_no)}　本业务不收费<br>"
            "请打印业务受理单（F11）交客户，授权码已印在受理单上；请客户妥善保管，勿告知他人"
        )


class PortingDialog(WizardDialog):
    def __init__(
        self,
        app: HallApp,
        actor: Actor,
        ops: Operations,
        customer_id: uuid.UUID,
        subscription_id: uuid.UUID,
        number: str,
        *,
        ticket_id: uuid.UUID | None = None,
        customer_name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        draft = PortingDraft(customer_id=customer_id, ticket_id=ticket_id)
        draft.subscription_id, draft.number = subscription_id, number
        super().__init__(WizardEnv(app, actor, ops, draft), parent)
        self.setObjectName("portingDialog")
        what = "携号转网资格"
        self.setWindowTitle(f"{what} — {customer_name}" if customer_name else what)
        self.check = CheckPage(self.env)
        self.confirm = PortConfirmPage(self.env)
        self.finish = PortDonePage(self.env)
        # No payment: the confirmation's 下一步 issues the code (the frame's "payment" step).
        self.set_pages([self.check, self.confirm, self.finish], self.confirm, self.finish)

    @property
    def draft(self) -> PortingDraft:
        return _draft(self.env)

    def outcome(self) -> object | None:
        return self.draft.issued

    def _update_buttons(self) -> None:
        super()._update_buttons()
        if self.current is self.confirm:  # not 收款并办结: nothing is paid
            self.next_button.setText(ISSUE_TEXT)

    def release(self) -> None:
        self.confirm.close_customer_view()


def open_porting(context: AccountContext) -> PortingDialog:
    """The 号码业务 menu's 携号转网资格 for the number selected on the record's 号码 tab."""
    sub = context.subscription
    if sub is None or sub.id is None:
        raise ValidationError("请先在客户资料的“号码”页选中要查询的号码", NUMBER_FIELD)
    return PortingDialog(
        context.app,
        context.actor,
        context.ops,
        context.customer_id,
        sub.id,
        sub.number_display,
        ticket_id=context.ticket_id,
        customer_name=context.customer_name,
        parent=context.parent,
    )
