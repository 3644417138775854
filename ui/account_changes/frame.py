"""The frame of the account changes without a fee (资料变更, 挂失/解挂, 停机保号/复机) on the
shared wizard: a first page that builds the request, the customer's confirmation (signing
what the service quoted: the rows and the terms), then the done page with the acceptance form
(业务受理单, F11). No payment page: 确认办理 on the confirmation page completes the order."""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtWidgets import QLabel, QWidget

from hall_app.app import HallApp
from hall_app.devices.id_reader import IdCardData
from hall_app.domain.errors import HallError
from hall_app.domain.masking import mask_id_number
from hall_app.services.account_changes import ChangeDone, ChangeQuote
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from ui.ops import Changes, Operations
from ui.wizard import done
from ui.wizard.base import DraftBase, WizardEnv, WizardPage
from ui.wizard.confirm import ConfirmPage
from ui.wizard.dialog import WizardDialog

KEYS = {DocumentKind.ACCEPTANCE_FORM: "F11"}
FINISH = "确认办理 (Ctrl+Enter)"


@dataclass
class ChangeDraft(DraftBase):
    request: Any = None  # the service's request as the first page built it
    quote: ChangeQuote | None = None
    done: ChangeDone | None = None
    signature_optional: bool = False  # 挂失: the owner may not be there to sign


@dataclass(frozen=True)
class ChangeCalls:
    """How the wizard asks the service: the quote of a request, and the change itself."""

    quote: Callable[[Any], ChangeQuote]
    run: Callable[[Any], ChangeDone]
    changes: Changes = Changes.ORDERS | Changes.CUSTOMER | Changes.QUEUE


def draft_of(env: WizardEnv) -> ChangeDraft:
    d = env.draft
    assert isinstance(d, ChangeDraft)
    return d


class RequestPage(WizardPage):
    """The first page: ``request()`` builds the request from the fields (None: incomplete);
    leaving asks the service for the quote, refusals shown on the page."""

    def __init__(self, env: WizardEnv, calls: ChangeCalls) -> None:
        super().__init__(env)
        self.calls = calls
        self.error = QLabel("")
        self.error.setObjectName("changeError")
        self.error.setWordWrap(True)
        self.error.setProperty("role", "error")

    def request(self) -> object | None:
        raise NotImplementedError

    # -- the ID card reader (F9), for the pages that read one ---------------------------------
    card: IdCardData | None = None
    card_label: QLabel

    def read_card(self) -> None:
        """Read the customer's own card (the owner's: the pages that read one check it is
        theirs) off the GUI thread; the result or the reader's refusal on ``card_label``."""
        reader, owner = self.env.app.id_reader, draft_of(self.env).customer_id
        if reader is None:
            return
        self.card_label.setText("正在读取身份证…")

        def failed(exc: HallError) -> bool:
            self.card_label.setText(exc.text)
            return True

        self.query(lambda: reader.read(expect_customer_id=owner), self.card_read, failed)

    def card_read(self, card: IdCardData) -> None:
        self.card = card
        self.card_label.setText(self.card_text(card))
        self.complete_changed.emit()

    def card_text(self, card: IdCardData) -> str:
        return f"已读取：{card.name}　{mask_id_number(card.id_number)}"

    def is_complete(self) -> bool:
        return self.request() is not None

    def leave(self, proceed: Callable[[], None]) -> None:
        req = self.request()
        if req is None:
            return
        d = draft_of(self.env)
        self.error.clear()

        def quoted(quote: ChangeQuote) -> None:
            d.request, d.quote = req, quote
            proceed()

        self.query(lambda: self.calls.quote(req), quoted, self.refused, label="正在核对…")

    def refused(self, exc: HallError) -> bool:
        self.error.setText(exc.text)
        return True


def quote_html(quote: ChangeQuote) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(label)}</td><td>{html.escape(value)}</td></tr>"
        for label, value in quote.rows
    )
    terms = "<br>".join(html.escape(t) for t in quote.terms.splitlines())
    return (
        f"<h3>{html.escape(quote.what)}（不收费）</h3>"
        f"<table width='100%' cellspacing='0' cellpadding='4' border='1'>{rows}</table>"
        f"<p style='font-size:10.5pt'>{terms}</p>"
    )


class ChangeConfirmPage(ConfirmPage):
    def __init__(self, env: WizardEnv, calls: ChangeCalls) -> None:
        super().__init__(env)
        self.calls = calls
        self.error = QLabel("")
        self.error.setObjectName("changeRefused")
        self.error.setWordWrap(True)
        self.error.setProperty("role", "error")
        layout = self.layout()
        assert layout is not None
        layout.addWidget(self.error)

    def summary_html(self) -> str:
        quote = draft_of(self.env).quote
        assert quote is not None
        return quote_html(quote)

    def signed_quote(self) -> object:
        return draft_of(self.env).quote

    def enter(self) -> None:
        d = draft_of(self.env)
        if not d.signature_optional:
            super().enter()
            return
        # 挂失: the reporter may not be the owner; the customer screen only on F9
        self.summary.setText(self.summary_html())
        if self.signed_quote() is not self._signed_for:
            d.signature_png = None
            self.signature.clear()
        if d.signature_png is None:
            self.status.setText("挂失可不签名直接办理；机主在场时按 F9 请其签名确认")

    def is_complete(self) -> bool:
        return super().is_complete() or draft_of(self.env).signature_optional

    def leave(self, proceed: Callable[[], None]) -> None:
        d = draft_of(self.env)
        assert d.quote is not None
        req = replace(d.request, signature_png=d.signature_png, terms_text=d.quote.terms)
        self.error.clear()

        def finished(result: ChangeDone) -> None:
            d.done = result
            self.close_customer_view()
            proceed()

        def refused(exc: HallError) -> bool:
            self.error.setText(exc.text)
            return True

        self.mutate(
            lambda: self.calls.run(req),
            finished,
            refused,
            changes=self.calls.changes,
            label=f"正在办理{d.quote.what}…",
        )


class ChangeDonePage(done.DonePage):
    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env, KEYS)

    def order_id(self) -> uuid.UUID | None:
        d = draft_of(self.env).done
        return d.order_id if d else None

    def has_invoice(self) -> bool:
        return False

    def result_html(self) -> str:
        d = draft_of(self.env).done
        assert d is not None
        head = f"<b>{html.escape(d.what)}已办结</b>　受理单号 {d.order_no}"
        rows = "<br>".join(f"{html.escape(a)}：{html.escape(b)}" for a, b in d.rows)
        return f"{head}<br>{rows}<br>不收费；请打印业务受理单（F11）交客户留存"


class ChangeDialog(WizardDialog):
    """资料变更 / 挂失 / 解挂 / 停机保号 / 复机: first page, confirmation, done."""

    def __init__(
        self,
        app: HallApp,
        actor: Actor,
        ops: Operations,
        draft: ChangeDraft,
        first: Callable[[WizardEnv], RequestPage],
        calls: ChangeCalls,
        title: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(WizardEnv(app, actor, ops, draft), parent)
        self.setObjectName("accountChangeDialog")
        self.setWindowTitle(title)
        self.first = first(self.env)
        self.confirm = ChangeConfirmPage(self.env, calls)
        self.finish = ChangeDonePage(self.env)
        self.set_pages([self.first, self.confirm, self.finish], self.confirm, self.finish)

    @property
    def draft(self) -> ChangeDraft:
        return draft_of(self.env)

    def outcome(self) -> object | None:
        return self.draft.done

    def _update_buttons(self) -> None:
        super()._update_buttons()
        if self.pages and self.current is self.confirm:
            self.next_button.setText(FINISH)

    def release(self) -> None:
        self.confirm.close_customer_view()
