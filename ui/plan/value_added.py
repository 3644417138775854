"""增值业务 of the number selected on the record: every value-added service on sale with what
the number has (订购中, or 已退订 until the month's end); the chosen one is subscribed when the
number has not got it, ended at the month's end when it has. Then the shared confirmation (the
customer signs) and the done page with the 业务受理单; nothing is charged now (the monthly fee
is billed).

Keys: ↑/↓ choose the service, Ctrl+Enter on."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from hall_app.domain.errors import ValidationError
from hall_app.domain.payments import PaymentInput
from hall_app.services.plan_change import ChangeDone, VasRequest, VasView
from ui import format as fmt
from ui.account.actions import AccountContext
from ui.plan.common import ChangeDialog, ChangeDraft, PickPage, change_draft
from ui.wizard.base import WizardEnv


def _state(v: VasView) -> str:
    if v.active:
        return "订购中"
    if v.active_to is not None:
        return f"已退订（{fmt.day(v.active_to)} 止）"
    return "未订购"


class VasChoosePage(PickPage):
    title = "选择增值业务"

    def __init__(self, env: WizardEnv, subscription_id: uuid.UUID, number: str) -> None:
        super().__init__(
            env,
            "vas",
            ["增值业务", "月费", "状态", "开通日期", "本次办理"],
            ("天翼云盘 100G 会员", "¥10.00", "已退订（2026-11-30 止）", "2026-11-24"),
        )
        self.subscription_id = subscription_id
        self.heading.setText(
            f"号码 {number} 的增值业务：选中一项，未订购的办理订购，订购中的办理退订"
        )
        self.refusal = ""  # the number's state refuses any order (欠费停机 …)
        pc, actor = env.app.plan_changes, env.actor
        self.query(
            lambda: (
                pc.value_added(actor, subscription_id),
                pc.vas_refusal(actor, subscription_id),
            ),
            self._loaded,
        )

    def _loaded(self, loaded: tuple[tuple[VasView, ...], str]) -> None:
        views, self.refusal = loaded
        self.error.setText(self.refusal)
        self.show_rows(
            [
                (
                    v.name,
                    fmt.money(v.monthly_fen),
                    _state(v),
                    fmt.day(v.active_from) if v.active_from else "",
                    "退订" if v.active else "订购",
                )
                for v in views
            ],
            list(views),
        )

    def chosen(self) -> VasView | None:
        view = self.payload()
        assert view is None or isinstance(view, VasView)
        return view

    def chosen_changed(self) -> None:
        v = self.chosen()
        self.error.setText(self.refusal)
        if v is None:
            self.note.clear()
        elif v.active:
            self.note.setText(f"退订“{v.name}”：本月底前仍可使用，次月起不再收取月费")
        else:
            self.note.setText(
                f"订购“{v.name}”：今日开通，月费 {fmt.money(v.monthly_fen)} "
                "计入每月账单，今日不收费"
            )
        self.complete_changed.emit()

    def is_complete(self) -> bool:
        return not self.refusal and self.chosen() is not None

    def missing(self) -> str:
        return self.refusal or "请选择要订购或退订的增值业务"

    def leave(self, proceed: Callable[[], None]) -> None:
        v = self.chosen()
        assert v is not None
        d = change_draft(self.env)
        pc, actor = self.env.app.plan_changes, self.env.actor
        subscribe = not v.active
        what = "订购" if subscribe else "退订"
        req = VasRequest(self.subscription_id, v.product_id, ticket_id=d.ticket_id)

        def quoted(terms: str) -> None:
            d.title = f"增值业务{what}：{v.name}（月费 {fmt.money(v.monthly_fen)}）"
            d.lines, d.total_fen, d.terms, d.quote = (), 0, terms, (v.product_id, subscribe, terms)
            d.summary = f"“{v.name}”{what}已办理"

            def submit(_payments: tuple[PaymentInput, ...]) -> ChangeDone:
                signed = VasRequest(
                    req.subscription_id, req.product_id, d.signature_png, terms, d.ticket_id
                )
                return (pc.subscribe_vas if subscribe else pc.unsubscribe_vas)(actor, signed)

            d.submit = submit
            proceed()

        self.query(
            lambda: pc.vas_terms(actor, req, subscribe=subscribe), quoted, self.field_refused
        )


def open_value_added(context: AccountContext) -> ChangeDialog:
    sub = context.subscription
    if sub is None or sub.id is None:
        raise ValidationError("请先在“号码”页选中要办理增值业务的号码", "业务号码")
    draft = ChangeDraft(customer_id=context.customer_id, ticket_id=context.ticket_id)
    env = WizardEnv(context.app, context.actor, context.ops, draft)
    dialog = ChangeDialog(env, VasChoosePage(env, sub.id, sub.number_display), context.parent)
    dialog.setObjectName("valueAddedDialog")
    dialog.setWindowTitle(f"增值业务 — {context.customer_name} {sub.number_display}")
    return dialog
