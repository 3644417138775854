"""What the 套餐变更 and 增值业务 wizards share on the shared wizard frame: the draft of one
change (what the customer signs, what it costs, what was done), the confirmation page that
completes a change with no fee itself (no payment page then), and the done page offering the
业务受理单 (F11), and for a paid change its receipt (F10) and invoice (F12)."""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QLabel, QVBoxLayout

from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.payments import PaymentInput
from hall_app.services.documents import DocumentKind
from hall_app.services.pipeline import LineView
from hall_app.services.plan_change import ChangeDone
from ui.ops import Changes
from ui.table import RowsModel, make_table
from ui.wizard import confirm, done, payment
from ui.wizard.base import DraftBase, WizardEnv, WizardPage, error_label
from ui.wizard.dialog import WizardDialog

KEYS = {
    DocumentKind.ACCEPTANCE_FORM: "F11",
    DocumentKind.RECEIPT: "F10",
    DocumentKind.INVOICE: "F12",
}
CHANGES = Changes.ORDERS | Changes.CUSTOMER | Changes.QUEUE
# Submits the change with these payments (none for a change with no fee).
Submit = Callable[[tuple[PaymentInput, ...]], ChangeDone]


@dataclass
class ChangeDraft(DraftBase):
    """One change being made: what the customer reads and signs (set by the choice page from
    the service's quote), then what was done."""

    title: str = ""  # 套餐变更：A → B
    lines: tuple[LineView, ...] = ()
    total_fen: int = 0
    terms: str = ""
    quote: object = None  # the quote signed for: another one means signing again
    submit: Submit | None = None
    done: ChangeDone | None = None
    summary: str = ""  # the done page's first line


def change_draft(env: WizardEnv) -> ChangeDraft:
    d = env.draft
    assert isinstance(d, ChangeDraft)
    return d


def _complete(
    page: WizardPage,
    payments: tuple[PaymentInput, ...],
    finished: Callable[[], None],
    refused: Callable[[HallError], bool] | None,
) -> None:
    d = change_draft(page.env)
    submit = d.submit
    assert submit is not None

    def made(result: ChangeDone) -> None:
        d.done = result
        finished()

    page.mutate(
        lambda: submit(payments),
        made,
        refused,
        changes=CHANGES | (Changes.CASH if payments else Changes.NONE),
        label="正在办理…",
    )


class PickPage(WizardPage):
    """A choice from a table (↑/↓), with a heading, a note on the row chosen and the error of
    a refused quote; ``extra`` widgets go between the note and the error."""

    def __init__(
        self, env: WizardEnv, name: str, headers: Sequence[str], samples: Sequence[str]
    ) -> None:
        super().__init__(env)
        self.heading = QLabel("正在读取…")
        self.heading.setObjectName(f"{name}Heading")
        self.heading.setWordWrap(True)
        self.rows = RowsModel(headers)
        self.table = make_table(self.rows, samples)
        self.table.setObjectName(f"{name}Table")
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self.chosen_changed())
        self.note = QLabel("")
        self.note.setObjectName(f"{name}Note")
        self.note.setWordWrap(True)
        self.error = error_label(f"{name}Error")
        self.box = QVBoxLayout(self)
        self.box.addWidget(self.heading)
        self.box.addWidget(self.table, 1)
        self.box.addWidget(self.note)
        self.extra = QVBoxLayout()
        self.box.addLayout(self.extra)
        self.box.addWidget(self.error)

    def show_rows(self, rows: Sequence[Sequence[str]], payloads: Sequence[object]) -> None:
        self.rows.set_rows(rows, payloads)
        self.enter()

    def enter(self) -> None:
        self.table.setFocus()
        if self.rows.rowCount() and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)

    def payload(self) -> object:
        index = self.table.selectionModel().currentIndex()
        return self.rows.payload(index.row()) if index.isValid() else None

    def chosen_changed(self) -> None:
        """The clerk moved to another row."""

    def field_refused(self, exc: HallError) -> bool:
        """A refused quote: said under the table (the clerk picks another row)."""
        if isinstance(exc, ValidationError):
            self.error.setText(exc.text)
            return True
        return False


class ChangeConfirmPage(confirm.ConfirmPage):
    """The customer signs what the change is; a change with no fee is made on leaving."""

    def summary_html(self) -> str:
        d = change_draft(self.env)
        return f"<h3>{html.escape(d.title)}</h3>" + confirm.fees_html(d.lines, d.total_fen, d.terms)

    def signed_quote(self) -> object:
        return change_draft(self.env).quote

    def leave(self, proceed: Callable[[], None]) -> None:
        d = change_draft(self.env)
        if d.total_fen or d.done is not None:
            proceed()
            return
        self.close_customer_view()
        _complete(self, (), proceed, None)


class ChangePaymentPage(payment.PaymentPage):
    def total_fen(self) -> int:
        return change_draft(self.env).total_fen

    def finished(self) -> bool:
        return change_draft(self.env).done is not None

    def complete(self, payments: tuple[PaymentInput, ...], done: Any, refused: Any) -> None:
        _complete(self, payments, done, refused)


class ChangeDonePage(done.DonePage):
    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env, KEYS)

    def order_id(self) -> uuid.UUID | None:
        d = change_draft(self.env).done
        return d.order_id if d else None

    def has_invoice(self) -> bool:
        d = change_draft(self.env).done
        return d is not None and d.invoice_no is not None

    def enter(self) -> None:
        super().enter()
        paid = self.has_invoice() or bool(change_draft(self.env).total_fen)
        self.buttons[DocumentKind.RECEIPT].setEnabled(paid)

    def result_html(self) -> str:
        d = change_draft(self.env)
        r = d.done
        assert r is not None
        head = (
            f"<b>{html.escape(d.summary)}</b><br>受理单号 {r.order_no}　"
            f"生效日期 {r.effective_on.isoformat()}<br>请打印业务受理单 (F11) 交客户留存"
        )
        if not r.total_fen:
            return head + "<br>本业务不收费"
        invoice = f"电子发票 {r.invoice_no}" if r.invoice_no else "未开具发票"
        return head + "<br>" + done.paid_html(r.total_fen, r.payments, invoice, r.till_reopened)


class ChangeDialog(WizardDialog):
    """Pages: the choice, the confirmation, the payment (only with a fee), done."""

    def __init__(self, env: WizardEnv, choose: WizardPage, parent: Any = None) -> None:
        super().__init__(env, parent)
        self.choose = choose
        self.confirm = ChangeConfirmPage(env)
        self.payment = ChangePaymentPage(env)
        self.finish = ChangeDonePage(env)
        self.set_pages([choose, self.confirm, self.payment, self.finish], self.payment, self.finish)
        self.payment.on_enter_pressed = self.next  # 实收现金 + Enter takes the money
        choose.complete_changed.connect(self.show_steps)

    @property
    def draft(self) -> ChangeDraft:
        return change_draft(self.env)

    def go_to(self, page: WizardPage) -> None:
        """A change with no fee was made on the confirmation page: straight to done."""
        skip = page is self.payment and self.draft.done is not None
        super().go_to(self.finish if skip else page)
        self.show_steps()
        if skip:
            self.completed.emit(self.draft.done)

    def show_steps(self) -> None:
        """The 收费 step only for a change with a fee (the chosen one's, then the quote's)."""
        if not self.step_labels:
            return
        chosen: Callable[[], int] = getattr(self.choose, "fee_fen", lambda: 0)
        with_fee = bool(chosen() if self.current is self.choose else self.draft.total_fen)
        self.step_labels[2].setVisible(with_fee)
        n = 0
        for i, (label, page) in enumerate(zip(self.step_labels, self.pages, strict=True)):
            if i != 2 or with_fee:
                n += 1
                label.setText(f"{n}. {page.title}")

    def outcome(self) -> object | None:
        return self.draft.done

    def release(self) -> None:
        self.confirm.close_customer_view()
