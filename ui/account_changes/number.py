"""挂失/解挂 and 停机保号/复机 of the number selected on the record's 号码 tab. Which of the two
is offered follows the number's state: a number 挂失停机 is reinstated (解挂, the owner's card
read with F9 or the ID number typed), any other is reported lost; a number 停机保号 is resumed,
any other suspended. The service refuses what the state does not allow (e.g. 复机 of a number
suspended for arrears: by paying)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from hall_app.devices.id_reader import IdCardData
from hall_app.domain.enums import SubscriptionStatus, SuspendReason
from hall_app.domain.errors import HallError, ValidationError
from hall_app.services.account_changes import (
    LossRequest,
    NumberChange,
    ReinstateRequest,
    ResumeRequest,
    SuspendRequest,
)
from hall_app.services.customers import SubscriptionView
from ui.account.actions import AccountContext
from ui.account_changes.frame import ChangeCalls, ChangeDialog, ChangeDraft, RequestPage
from ui.keys import shortcut
from ui.wizard.base import WizardEnv

ABOUT = {
    "挂失": "挂失立即生效，号码停机（挂失停机），无需证件；非机主本人挂失时请登记挂失人姓名。"
    "客户不在场时可不签名直接办理。",
    "解挂": "解挂须核验机主本人的有效身份证件：请读取身份证（F9）或输入证件号码。",
    "停机保号": "停机期间保留号码、不能使用通信服务，每月收取停机保号费（计入账单）。",
    "复机": "结束停机保号，恢复按套餐计费。欠费停机须缴清欠费后自动复机（缴费 Ctrl+J）。",
}


class NumberPage(RequestPage):
    title = "办理内容"

    def __init__(self, env: WizardEnv, calls: ChangeCalls, what: str, number: str) -> None:
        super().__init__(env, calls)
        self.what = what
        self.subscription_id: uuid.UUID = env.draft.request
        heading = QLabel(f"<b>{what}</b>　号码 {number}")
        heading.setObjectName("numberHeading")
        about = QLabel(ABOUT[what])
        about.setWordWrap(True)
        form = QFormLayout()
        self.reporter = QLineEdit()
        self.reporter.setObjectName("lossReporter")
        self.reporter.setPlaceholderText("机主本人挂失则留空")
        self.id_number = QLineEdit()
        self.id_number.setObjectName("ownerIdNumber")
        self.id_number.setMaxLength(18)
        self.id_number.setPlaceholderText("机主的身份证号码（或按 F9 读取身份证）")
        self.id_number.textChanged.connect(self.complete_changed)
        self.id_number.textEdited.connect(self._typed)
        self.read_button = QPushButton("读身份证 (F9)")
        self.read_button.setObjectName("ownerReadCard")
        self.read_button.clicked.connect(self.read_card)
        self.read_button.setEnabled(env.app.id_reader is not None)
        self.card_label = QLabel("")
        self.card_label.setObjectName("ownerCard")
        if what == "挂失":
            form.addRow("挂失人：", self.reporter)
        if what == "解挂":
            form.addRow("机主证件号码：", self.id_number)
            form.addRow(self.read_button, self.card_label)
            shortcut(self, "F9", self.read_card)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.refusal = ""  # the service's refusal of this number's state, asked up front
        self._checked = False

    def enter(self) -> None:
        (self.id_number if self.what == "解挂" else self.reporter).setFocus()
        if not self._checked and self.what in ("停机保号", "复机"):
            self._checked = True  # these need nothing typed: ask the service's check at once
            req = self.request()
            self.query(lambda: self.calls.quote(req), lambda _q: None, self._refused_at_once)

    def _refused_at_once(self, exc: HallError) -> bool:
        self.refusal = exc.text
        self.error.setText(exc.text)
        self.complete_changed.emit()
        return True

    def is_complete(self) -> bool:
        return not self.refusal and super().is_complete()

    def request(self) -> NumberChange | None:
        sid, ticket = self.subscription_id, self.env.draft.ticket_id
        if self.what == "挂失":
            return LossRequest(sid, ticket, reported_by=self.reporter.text().strip())
        if self.what == "解挂":
            typed = self.id_number.text().strip()
            if self.card is None and not typed:
                return None
            return ReinstateRequest(sid, self.card, typed, ticket)
        if self.what == "停机保号":
            return SuspendRequest(sid, ticket)
        return ResumeRequest(sid, ticket)

    def missing(self) -> str:
        return self.refusal or "请读取机主身份证（F9）或输入证件号码"

    def _typed(self, _text: str) -> None:
        """A number typed replaces the card read before."""
        if self.card is not None:
            self.card = None
            self.card_label.clear()

    def card_read(self, card: IdCardData) -> None:
        self.id_number.clear()
        super().card_read(card)


def _number_change(ctx: AccountContext, what: str, sub: SubscriptionView) -> ChangeDialog:
    service, actor = ctx.app.account_changes, ctx.actor
    runs: dict[str, Callable[[Any], Any]] = {
        "挂失": lambda req: service.report_loss(actor, req),
        "解挂": lambda req: service.reinstate(actor, req),
        "停机保号": lambda req: service.suspend(actor, req),
        "复机": lambda req: service.resume(actor, req),
    }
    calls = ChangeCalls(quote=lambda req: service.quote_number_change(actor, req), run=runs[what])
    draft = ChangeDraft(
        customer_id=ctx.customer_id, ticket_id=ctx.ticket_id, signature_optional=what == "挂失"
    )
    draft.request = sub.id  # the first page's start: the number
    number = sub.number_display
    return ChangeDialog(
        ctx.app,
        ctx.actor,
        ctx.ops,
        draft,
        lambda env: NumberPage(env, calls, what, number),
        calls,
        f"{what} — {number}",
        ctx.parent,
    )


def _selected(ctx: AccountContext) -> SubscriptionView:
    sub = ctx.subscription
    if sub is None or sub.id is None:
        raise ValidationError("请先在客户资料的“号码”页选中要办理的号码", "业务号码")
    return sub


def _is(sub: SubscriptionView, reason: SuspendReason) -> bool:
    return sub.status is SubscriptionStatus.SUSPENDED and reason.label in sub.status_text


def open_loss(ctx: AccountContext) -> ChangeDialog:
    """挂失, or 解挂 of a number reported lost."""
    sub = _selected(ctx)
    return _number_change(ctx, "解挂" if _is(sub, SuspendReason.LOST) else "挂失", sub)


def open_suspend(ctx: AccountContext) -> ChangeDialog:
    """停机保号, or 复机 of a number kept suspended."""
    sub = _selected(ctx)
    return _number_change(ctx, "复机" if _is(sub, SuspendReason.VOLUNTARY) else "停机保号", sub)
