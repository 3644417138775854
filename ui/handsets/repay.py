"""还款 / 提前结清 of one installment contract, on the shared wizard frame: what is paid (the
next N instalments, overdue ones first; or the unpaid principal plus the payoff fee), the
shared payment page, and the done page offering the receipt (收费小票, F10)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from hall_app.app import HallApp
from hall_app.domain.errors import HallError
from hall_app.domain.money import capital_amount
from hall_app.domain.payments import PaymentInput
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from hall_app.services.instalments import (
    ContractView,
    InstalmentPaid,
    InstalmentPayRequest,
    InstalmentView,
    PayoffRequest,
)
from ui import format as fmt
from ui.ops import Changes, Operations
from ui.style import set_role
from ui.table import RowsModel, make_table
from ui.wizard import done, payment
from ui.wizard.base import DraftBase, WizardEnv, WizardPage
from ui.wizard.dialog import WizardDialog

KEYS = {DocumentKind.RECEIPT: "F10"}


@dataclass
class RepaymentDraft(DraftBase):
    contract: ContractView | None = None
    payoff: bool = False
    count: int = 1
    paid: InstalmentPaid | None = None

    @property
    def view(self) -> ContractView:
        assert self.contract is not None
        return self.contract

    @property
    def chosen(self) -> tuple[InstalmentView, ...]:
        unpaid = self.view.unpaid
        return unpaid if self.payoff else unpaid[: self.count]

    @property
    def total_fen(self) -> int:
        return self.view.payoff_fen if self.payoff else sum(i.amount_fen for i in self.chosen)

    def pay(self, app: HallApp, actor: Actor, payments: tuple[PaymentInput, ...]) -> InstalmentPaid:
        c = self.view
        first = c.next_due.seq if c.next_due else None
        if self.payoff:
            return app.instalments.pay_off(
                actor, PayoffRequest(c.contract_id, payments, self.ticket_id, from_seq=first)
            )
        return app.instalments.pay_instalments(
            actor,
            InstalmentPayRequest(c.contract_id, self.count, payments, self.ticket_id, first),
        )


def _draft(env: WizardEnv) -> RepaymentDraft:
    d = env.draft
    assert isinstance(d, RepaymentDraft)
    return d


class ChoosePage(WizardPage):
    """还款：how many of the next instalments (the overdue ones by default); 提前结清：what
    paying off today costs."""

    title = "还款内容"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        d = _draft(env)
        c = d.view
        self.heading = QLabel(
            f"{c.order_no}　{c.handset_name}　IMEI {c.imei}　{c.months} 期，"
            f"已还 {c.months - len(c.unpaid)} 期，待还 {fmt.money(c.outstanding_fen)}"
        )
        self.heading.setObjectName("repayHeading")
        self.heading.setWordWrap(True)
        self.count = QSpinBox()
        self.count.setObjectName("repayCount")
        self.count.setRange(1, max(len(c.unpaid), 1))
        self.count.setSuffix(" 期")
        self.count.setValue(max(c.overdue_count, 1))
        self.count.valueChanged.connect(self._count_changed)
        self.rows = RowsModel(["期次", "到期日", "本金", "手续费", "本次应还", "状态"])
        self.table = make_table(
            self.rows, ("24/24", "2026-12-15", "¥1,234.56", "¥12.34", "¥1,246.90", "未到期")
        )
        self.table.setObjectName("repayRows")
        self.total = QLabel("")
        self.total.setObjectName("repayTotal")
        self.note = QLabel("")
        self.note.setObjectName("repayNote")
        self.note.setWordWrap(True)
        form = QFormLayout()
        if not d.payoff:
            form.addRow("还款期数：", self.count)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.total)
        layout.addWidget(self.note)
        d.count = self.count.value()
        self._show()

    def enter(self) -> None:
        self._show()
        if not _draft(self.env).payoff:
            self.count.setFocus()
            self.count.selectAll()

    def _count_changed(self, value: int) -> None:
        _draft(self.env).count = value
        self._show()

    def _show(self) -> None:
        d = _draft(self.env)
        c = d.view
        chosen = d.chosen
        self.rows.set_rows(
            [
                (
                    f"{i.seq}/{c.months}",
                    fmt.day(i.due_date),
                    fmt.money(i.principal_fen),
                    fmt.money(0 if d.payoff else i.fee_fen),
                    fmt.money(i.principal_fen if d.payoff else i.amount_fen),
                    i.state,
                )
                for i in chosen
            ]
        )
        self.total.setText(f"本次应收 {fmt.money(d.total_fen)}（{capital_amount(d.total_fen)}）")
        if d.payoff:
            principal = sum(i.principal_fen for i in chosen)
            self.note.setText(
                f"提前结清：剩余本金 {fmt.money(principal)} + 提前结清手续费 "
                f"{fmt.money(d.total_fen - principal)}；未还各期的分期手续费免收。"
                "结清后合同为“提前结清”。"
            )
            set_role(self.note, "warn")
        else:
            late = sum(1 for i in chosen if i.overdue)
            self.note.setText(
                f"按期次顺序还款，逾期的先还（本次含逾期 {late} 期）" if late else "按期次顺序还款"
            )
            set_role(self.note, "error" if c.overdue_count > late else None)


class RepayPaymentPage(payment.PaymentPage):
    def total_fen(self) -> int:
        return _draft(self.env).total_fen

    def finished(self) -> bool:
        return _draft(self.env).paid is not None

    def complete(self, payments: tuple[PaymentInput, ...], done: Any, refused: Any) -> None:
        d = _draft(self.env)
        app, actor = self.env.app, self.env.actor

        def paid(result: InstalmentPaid) -> None:
            d.paid = result
            done()

        self.mutate(
            lambda: d.pay(app, actor, payments),
            paid,
            refused,
            changes=Changes.ORDERS | Changes.CASH | Changes.QUEUE,
            label="正在收取分期还款…",
        )

    def refused(self, exc: HallError) -> None:
        """Refused (another window took it, the contract ended): nothing was taken; the
        message stays on the page and the record refreshes when the dialog closes."""


class RepayDonePage(done.DonePage):
    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env, KEYS)

    def order_id(self) -> uuid.UUID | None:
        p = _draft(self.env).paid
        return p.order_id if p else None

    def has_invoice(self) -> bool:
        return False

    def result_html(self) -> str:
        d = _draft(self.env)
        p = d.paid
        assert p is not None
        seqs = "、".join(str(s) for s in p.paid_seqs)
        what = "提前结清" if d.payoff else f"第 {seqs} 期还款"
        lines = [
            f"<b>{d.view.order_no} {what}已收</b>",
            f"受理单号 {p.order_no}　合同状态：{p.contract_status.label}",
        ]
        return (
            "<br>".join(lines)
            + "<br>"
            + done.paid_html(p.total_fen, p.payments, "分期还款只开收费小票", p.till_reopened)
        )


class RepaymentDialog(WizardDialog):
    def __init__(
        self,
        app: HallApp,
        actor: Actor,
        ops: Operations,
        contract: ContractView,
        customer_id: uuid.UUID,
        *,
        payoff: bool = False,
        ticket_id: uuid.UUID | None = None,
        customer_name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        draft = RepaymentDraft(customer_id=customer_id, ticket_id=ticket_id)
        draft.contract, draft.payoff = contract, payoff
        super().__init__(WizardEnv(app, actor, ops, draft), parent)
        self.setObjectName("repaymentDialog")
        what = "提前结清" if payoff else "分期还款"
        self.setWindowTitle(f"{what} — {customer_name}" if customer_name else what)
        self.choose = ChoosePage(self.env)
        self.payment = RepayPaymentPage(self.env)
        self.finish = RepayDonePage(self.env)
        self.set_pages([self.choose, self.payment, self.finish], self.payment, self.finish)
        self.payment.on_enter_pressed = self.next  # 实收现金 + Enter takes the money

    @property
    def draft(self) -> RepaymentDraft:
        return _draft(self.env)

    def outcome(self) -> object | None:
        return self.draft.paid
