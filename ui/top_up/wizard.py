"""充值 (Ctrl+U) on the shared wizard frame: the number (the record's selected one, or any of
ours typed then Enter) with its owner masked for the payer to confirm, the amount (typed, or
the quick buttons 50/100/200/300, Alt+1…Alt+4) and the top-up offer it gets, the shared
payment page with change, and the done page with the receipt (收费小票, F10). No invoice: a
prepayment's VAT invoice follows consumption."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hall_app.app import HallApp
from hall_app.domain.enums import SubscriptionKind
from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.money import MAX_AMOUNT_CHARS, capital_amount
from hall_app.domain.payments import PaymentInput
from hall_app.domain.top_up import QUICK_AMOUNTS_FEN, check_top_up_amount, parse_top_up_amount
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from hall_app.services.top_up import (
    TopUpDone,
    TopUpOfferView,
    TopUpQuote,
    TopUpRequest,
    TopUpTarget,
)
from ui import format as fmt
from ui.account.actions import AccountContext
from ui.keys import shortcut
from ui.ops import Changes, Operations
from ui.style import set_role
from ui.wizard import done, payment
from ui.wizard.base import DraftBase, WizardEnv, WizardPage, error_label
from ui.wizard.dialog import WizardDialog

KEYS = {DocumentKind.RECEIPT: "F10"}
NO_INVOICE = "预存话费只开收费小票，增值税发票随消费开具"


@dataclass
class TopUpDraft(DraftBase):
    number: str = ""  # as typed ("" while the record's number is used)
    subscription_id: uuid.UUID | None = None  # the record's selected number
    target: TopUpTarget | None = None
    amount_fen: int | None = None
    quote: TopUpQuote | None = None
    done: TopUpDone | None = None

    def top_up(self, app: HallApp, actor: Actor, payments: tuple[PaymentInput, ...]) -> TopUpDone:
        assert self.amount_fen is not None
        return app.top_up.top_up(
            actor,
            TopUpRequest(
                self.number,
                self.amount_fen,
                payments,
                self.ticket_id,
                subscription_id=self.subscription_id,
            ),
        )


def _draft(env: WizardEnv) -> TopUpDraft:
    d = env.draft
    assert isinstance(d, TopUpDraft)
    return d


class AmountPage(WizardPage):
    """The number and its owner (masked), the amount and the offer that applies."""

    title = "号码与金额"

    def __init__(self, env: WizardEnv, shown_number: str) -> None:
        super().__init__(env)
        self.number = QLineEdit(shown_number)
        self.number.setObjectName("topUpNumber")
        self.number.setMaxLength(20)
        self.number.setPlaceholderText("手机号码或带区号的固话号码，回车查询")
        self.number.textEdited.connect(self._number_edited)
        self.number.returnPressed.connect(self.look_up)
        self.owner = QLabel("")
        self.owner.setObjectName("topUpOwner")
        self.owner.setWordWrap(True)
        self.note = QLabel("")
        self.note.setObjectName("topUpNote")
        self.note.setWordWrap(True)
        set_role(self.note, "warn")
        self.amount = QLineEdit()
        self.amount.setObjectName("topUpAmount")
        self.amount.setMaxLength(MAX_AMOUNT_CHARS)
        self.amount.setPlaceholderText("充值金额（元），回车下一步")
        self.amount.textEdited.connect(lambda _t: self._amount_changed())
        self.amount.returnPressed.connect(self._amount_entered)
        quick = QHBoxLayout()
        self.quick: list[QPushButton] = []
        for n, fen in enumerate(QUICK_AMOUNTS_FEN, start=1):
            button = QPushButton(f"{fen // 100} 元 (Alt+{n})")
            button.setObjectName(f"topUpQuick{fen // 100}")
            button.clicked.connect(lambda _c=False, f=fen: self.choose(f))
            shortcut(self, f"Alt+{n}", partial(self.choose, fen))
            quick.addWidget(button)
            self.quick.append(button)
        quick.addStretch(1)
        self.capital = QLabel("")
        self.capital.setObjectName("topUpCapital")
        self.offer = QLabel("")
        self.offer.setObjectName("topUpOffer")
        self.offer.setWordWrap(True)
        self.offers = QLabel("")
        self.offers.setObjectName("topUpOffers")
        self.offers.setWordWrap(True)
        set_role(self.offers, "muted")
        self.error = error_label("topUpError")
        self.on_enter: Callable[[], None] | None = None
        form = QFormLayout()
        form.addRow("充值号码：", self.number)
        form.addRow("机主：", self.owner)
        form.addRow("", self.note)
        form.addRow("充值金额：", self.amount)
        form.addRow("快捷金额：", quick)
        form.addRow("", self.capital)
        form.addRow("充值优惠：", self.offer)
        form.addRow("", self.offers)
        self._form = form
        form.setRowVisible(self.note, False)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self._started = False

    # -- the number --------------------------------------------------------------------------
    def enter(self) -> None:
        if not self._started:
            self._started = True
            app, actor = self.env.app, self.env.actor
            self.query(lambda: app.top_up.offers(actor), self._show_offers)
            if _draft(self.env).subscription_id is not None:
                self.look_up()
        d = _draft(self.env)
        (self.amount if d.target is not None else self.number).setFocus()

    def _show_offers(self, offers: tuple[TopUpOfferView, ...]) -> None:
        names = "、".join(o.name for o in offers)
        self.offers.setText(f"本厅充值优惠：{names}（赠款单独计入，不退）" if offers else "")

    def _number_edited(self, text: str) -> None:
        d = _draft(self.env)
        d.number, d.subscription_id, d.target, d.quote = text, None, None, None
        self.owner.clear()
        self._show_note("")
        self.error.clear()
        self._show_quote()

    def look_up(self) -> None:
        d = _draft(self.env)
        app, actor = self.env.app, self.env.actor
        chosen, typed = d.subscription_id, d.number
        if chosen is not None:
            fn: Callable[[], TopUpTarget] = lambda: app.top_up.target(actor, chosen)  # noqa: E731
        else:
            fn = lambda: app.top_up.find_number(actor, typed)  # noqa: E731

        def found(target: TopUpTarget) -> None:
            if (d.subscription_id, d.number) != (chosen, typed):
                return  # the clerk typed on meanwhile
            d.target = target
            kind = "固话" if target.kind is SubscriptionKind.LANDLINE else "手机"
            bonus = f"，赠款 {fmt.money(target.bonus_fen)}" if target.bonus_fen else ""
            self.owner.setText(
                f"{target.owner_masked}　{kind}　{target.status_text}　"
                f"余额 {fmt.money(target.balance_fen)}{bonus}"
            )
            self._show_note(target.note)
            self.error.clear()
            self.amount.setFocus()
            self._amount_changed()

        self.query(fn, found, self._refused)

    def _show_note(self, note: str) -> None:
        """Said only when there is something to say (a number suspended for arrears)."""
        self.note.setText(note)
        self._form.setRowVisible(self.note, bool(note))

    def _refused(self, exc: HallError) -> bool:
        self.error.setText(exc.text)
        self.complete_changed.emit()
        return True

    # -- the amount ----------------------------------------------------------------------------
    def choose(self, fen: int) -> None:
        self.amount.setText(f"{fen // 100}")
        self._amount_changed()
        self.amount.setFocus()

    def _amount_changed(self) -> None:
        d = _draft(self.env)
        d.quote, d.amount_fen = None, None
        self._show_quote()
        text = self.amount.text().strip()
        if not text or d.target is None:
            return
        rules = self.env.app.settings.rules
        try:
            fen = parse_top_up_amount(text)
            check_top_up_amount(fen, rules.top_up_min_fen, rules.top_up_max_fen)
        except ValidationError as exc:
            self.error.setText(exc.text)
            return
        self.error.clear()
        d.amount_fen = fen
        self.capital.setText(f"大写：{capital_amount(fen)}")
        app, actor, target = self.env.app, self.env.actor, d.target

        def quoted(quote: TopUpQuote) -> None:
            if d.amount_fen == quote.amount_fen and d.target is target:
                d.quote = quote
                self._show_quote()

        self.query(
            lambda: app.top_up.quote_top_up(
                actor, d.number, fen, subscription_id=target.subscription_id
            ),
            quoted,
            self._refused,
        )

    def _show_quote(self) -> None:
        q = _draft(self.env).quote
        if q is None:
            self.offer.setText("")
            self.capital.setText("" if _draft(self.env).amount_fen is None else self.capital.text())
        elif q.offer_name:
            self.offer.setText(
                f"{q.offer_name}：赠送 {fmt.money(q.bonus_fen)}（计入赠款余额，不退）"
            )
            set_role(self.offer, "ok")
        else:
            self.offer.setText("本次充值金额无适用的充值优惠")
            set_role(self.offer, None)
        self.complete_changed.emit()

    def _amount_entered(self) -> None:
        if self.is_complete() and self.on_enter is not None:
            self.on_enter()

    def is_complete(self) -> bool:
        d = _draft(self.env)
        return d.target is not None and d.quote is not None and d.quote.amount_fen == d.amount_fen

    def missing(self) -> str:
        if _draft(self.env).target is None:
            return "请输入充值号码并回车查询"
        return "请改正充值金额" if self.error.text() else "请输入充值金额"


class TopUpPaymentPage(payment.PaymentPage):
    def total_fen(self) -> int:
        return _draft(self.env).amount_fen or 0

    def finished(self) -> bool:
        return _draft(self.env).done is not None

    def complete(self, payments: tuple[PaymentInput, ...], done: Any, refused: Any) -> None:
        d = _draft(self.env)
        app, actor = self.env.app, self.env.actor

        def topped_up(result: TopUpDone) -> None:
            d.done = result
            done()

        self.mutate(
            lambda: d.top_up(app, actor, payments),
            topped_up,
            refused,
            changes=Changes.ORDERS | Changes.CASH | Changes.QUEUE | Changes.BILLS,
            label="正在充值…",
        )


class TopUpDonePage(done.DonePage):
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
        lines = [
            f"<b>已为 {r.number_masked} 充值 {fmt.money(r.amount_fen)}</b>",
            f"受理单号 {r.order_no}　当前余额 {fmt.money(r.balance_fen)}",
        ]
        if r.bonus_fen:
            lines.append(
                f"{r.offer_name}：赠送 {fmt.money(r.bonus_fen)}，"
                f"赠款余额 {fmt.money(r.bonus_balance_fen)}（不退）"
            )
        if r.arrears_suspended:
            lines.append("<b style='color:#b35900'>号码仍为欠费停机：缴清欠费后复机</b>")
        return (
            "<br>".join(lines)
            + "<br>"
            + done.paid_html(r.amount_fen, r.payments, NO_INVOICE, r.till_reopened)
        )


class TopUpDialog(WizardDialog):
    def __init__(
        self,
        app: HallApp,
        actor: Actor,
        ops: Operations,
        customer_id: uuid.UUID,
        *,
        subscription_id: uuid.UUID | None = None,
        shown_number: str = "",
        ticket_id: uuid.UUID | None = None,
        customer_name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        draft = TopUpDraft(customer_id=customer_id, ticket_id=ticket_id)
        draft.subscription_id = subscription_id
        super().__init__(WizardEnv(app, actor, ops, draft), parent)
        self.setObjectName("topUpDialog")
        self.setWindowTitle(f"充值 — {customer_name}" if customer_name else "充值")
        self.choose = AmountPage(self.env, shown_number if subscription_id else "")
        self.payment = TopUpPaymentPage(self.env)
        self.finish = TopUpDonePage(self.env)
        self.set_pages([self.choose, self.payment, self.finish], self.payment, self.finish)
        self.choose.on_enter = self.next  # 充值金额 + Enter goes on to 收费
        self.payment.on_enter_pressed = self.next  # 实收现金 + Enter takes the money

    @property
    def draft(self) -> TopUpDraft:
        return _draft(self.env)

    def outcome(self) -> object | None:
        return self.draft.done


def open_top_up(context: AccountContext) -> TopUpDialog:
    """充值 from the open record: the number selected on its 号码 tab when it can take a
    top-up (a mobile or landline number), else an empty number field."""
    sub = context.subscription
    chosen = sub if sub is not None and sub.kind is not SubscriptionKind.BROADBAND else None
    return TopUpDialog(
        context.app,
        context.actor,
        context.ops,
        context.customer_id,
        subscription_id=chosen.id if chosen else None,
        shown_number=chosen.number_display if chosen else "",
        ticket_id=context.ticket_id,
        customer_name=context.customer_name,
        parent=context.parent,
    )
