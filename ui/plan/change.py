"""套餐变更 of the number selected on the record: the plans it may change to (升档 at once or
next month as each plan says, 降档 next month), what leaving a lock-in costs and the customer's
agreement to pay it, then the shared confirmation (the customer signs), the payment page only
when there is a fee, and the done page with the 业务受理单.

Keys: ↑/↓ choose the plan, Alt+A 客户同意支付 (when a fee applies), Ctrl+Enter on."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox

from hall_app.domain.errors import ValidationError
from hall_app.domain.payments import PaymentInput
from hall_app.services.plan_change import (
    ChangeDone,
    ChangeQuote,
    PlanChangeRequest,
    PlanOption,
    PlanOptions,
)
from ui import format as fmt
from ui.account.actions import AccountContext
from ui.keys import shortcut
from ui.plan.common import ChangeDialog, ChangeDraft, PickPage, change_draft
from ui.style import set_role
from ui.wizard.base import WizardEnv


class PlanChoosePage(PickPage):
    title = "选择套餐"

    def __init__(self, env: WizardEnv, subscription_id: uuid.UUID) -> None:
        super().__init__(
            env,
            "plan",
            ["套餐", "月费", "变更", "生效日期", "须支付", "说明"],
            ("5G 畅享 129 元套餐", "¥129.00", "降档·次月生效", "2026-12-01", "¥1,000.00"),
        )
        self.subscription_id = subscription_id
        self.options: PlanOptions | None = None
        self.agree = QCheckBox("客户同意支付上述费用后办理 (Alt+A)")
        self.agree.setObjectName("planAgree")
        self.agree.toggled.connect(lambda _on: self.chosen_changed())
        shortcut(self, "Alt+A", self._toggle_agree)
        self.extra.addWidget(self.agree)
        self.agree.setVisible(False)
        pc, actor = env.app.plan_changes, env.actor
        self.query(lambda: pc.plan_options(actor, subscription_id), self._loaded)

    def _toggle_agree(self) -> None:
        if self.agree.isVisible():
            self.agree.toggle()

    def _loaded(self, options: PlanOptions) -> None:
        self.options = options
        c = options.current
        pending = (
            f"；已预约 {fmt.day(c.pending_from)} 起变更为“{c.pending_name}”（可重新选择替换）"
            if c.pending_name
            else ""
        )
        lock = f"，最低在网期至 {fmt.day(c.lock_in_until)}" if c.lock_in_until else ""
        self.heading.setText(
            f"号码 {c.number}（{c.status}）　当前套餐：{c.name} {fmt.money(c.monthly_fen)}/月"
            f"{lock}{pending}"
        )
        self.error.setText(options.refusal)
        self.show_rows(
            [
                (
                    o.name,
                    fmt.money(o.monthly_fen),
                    o.label,
                    fmt.day(o.effective_on),
                    fmt.money(o.penalty_fen) if o.penalty_fen else "—",
                    o.reason,
                )
                for o in options.plans
            ],
            list(options.plans),
        )

    def chosen(self) -> PlanOption | None:
        option = self.payload()
        assert option is None or isinstance(option, PlanOption)
        return option

    def chosen_changed(self) -> None:
        option = self.chosen()
        self.error.setText(self.options.refusal if self.options else "")
        self.agree.setVisible(bool(option and option.penalty_fen))
        if option is None:
            self.note.clear()
        elif not option.allowed:
            self.note.setText(option.reason)
            set_role(self.note, "error")
        elif option.penalty_fen:
            self.note.setText(option.reason)
            set_role(self.note, "warn")
        else:
            self.note.setText(
                f"{option.name}：{option.label}，自 {fmt.day(option.effective_on)} 起"
            )
            set_role(self.note, None)
        self.complete_changed.emit()

    def fee_fen(self) -> int:
        """What the chosen plan costs now (the 收费 step is shown only with a fee)."""
        option = self.chosen()
        return option.penalty_fen if option is not None else 0

    def is_complete(self) -> bool:
        option = self.chosen()
        if self.options is not None and self.options.refusal:
            return False
        if option is None or not option.allowed:
            return False
        return not option.penalty_fen or self.agree.isChecked()

    def missing(self) -> str:
        option = self.chosen()
        if self.options is not None and self.options.refusal:
            return self.options.refusal
        if option is None:
            return "请选择要变更的套餐"
        if not option.allowed:
            return option.reason
        return "须客户同意支付费用（Alt+A）"

    def leave(self, proceed: Callable[[], None]) -> None:
        option = self.chosen()
        assert option is not None
        d = change_draft(self.env)
        pc, actor, sub_id = self.env.app.plan_changes, self.env.actor, self.subscription_id
        pay = bool(option.penalty_fen)

        def quoted(q: ChangeQuote) -> None:
            d.title = (
                f"套餐变更：{self.options.current.name if self.options else ''} → {option.name}"
            )
            d.lines, d.total_fen, d.terms, d.quote = q.lines, q.total_fen, q.terms_text, q
            d.summary = f"{d.title}（{option.label}）已办理"

            def submit(payments: tuple[PaymentInput, ...]) -> ChangeDone:
                return pc.change_plan(
                    actor,
                    PlanChangeRequest(
                        sub_id,
                        option.product_id,
                        payments,
                        pay,
                        d.signature_png,
                        q.terms_text,
                        d.ticket_id,
                    ),
                )

            d.submit = submit
            proceed()

        self.query(
            lambda: pc.quote_plan_change(actor, sub_id, option.product_id, pay_penalty=pay),
            quoted,
            self.field_refused,
        )


def open_plan_change(context: AccountContext) -> ChangeDialog:
    sub = context.subscription
    if sub is None or sub.id is None:
        raise ValidationError("请先在“号码”页选中要变更套餐的号码", "业务号码")
    draft = ChangeDraft(customer_id=context.customer_id, ticket_id=context.ticket_id)
    env = WizardEnv(context.app, context.actor, context.ops, draft)
    dialog = ChangeDialog(env, PlanChoosePage(env, sub.id), context.parent)
    dialog.setObjectName("planChangeDialog")
    dialog.setWindowTitle(f"套餐变更 — {context.customer_name} {sub.number_display}")
    return dialog
