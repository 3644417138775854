"""The done page, shared by every order wizard: what was done, the payment and the change,
and the order's documents to preview, print and save (each print or save is recorded; a
second copy is a reprint and needs a reason).

A wizard's done page says which documents it offers with which keys, the order's id, and
what was done (``result_html``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import partial

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from hall_app.domain.payments import SettledPayment
from hall_app.services.documents import LABELS, DocumentKind, PrintedDocument
from ui import format as fmt
from ui.documents.preview import DocumentPreview
from ui.keys import shortcut
from ui.wizard.base import WizardEnv, WizardPage

TILL_REOPENED = "本日已日结，已为本笔收款新开钱箱（无备用金）"
# Offered only when the order has one (asked of the document service on entering the page):
# a handset sale's installment contract.
CONDITIONAL = (DocumentKind.INSTALLMENT_CONTRACT,)


def paid_html(
    total_fen: int,
    payments: Sequence[SettledPayment],
    invoice: str,
    till_reopened: bool,
) -> str:
    """The money part of a done page: total, how it was paid, the change, the invoice."""
    change = sum(p.change_fen for p in payments)
    paid = "、".join(f"{p.method.label} {fmt.money(p.amount_fen)}" for p in payments)
    return (
        f"合计 {fmt.money(total_fen)}：{paid}<br>"
        f"<span style='font-size:18pt;color:#1e7e34'>找零 {fmt.money(change)}</span>"
        f"<br>{invoice}"
        + (f"<br><b style='color:#b35900'>{TILL_REOPENED}</b>" if till_reopened else "")
    )


class DonePage(WizardPage):
    title = "办结"

    def __init__(self, env: WizardEnv, keys: Mapping[DocumentKind, str]) -> None:
        super().__init__(env)
        self.result = QLabel("")
        self.result.setObjectName("openResult")
        self.result.setWordWrap(True)
        self.buttons: dict[DocumentKind, QPushButton] = {}
        row = QHBoxLayout()
        for kind, key in keys.items():
            button = QPushButton(f"{LABELS[kind]} ({key})")
            button.setObjectName(f"print_{kind.value}")
            button.clicked.connect(lambda _c=False, k=kind: self.print_document(k))
            shortcut(self, key, partial(self.print_document, kind))
            row.addWidget(button)
            self.buttons[kind] = button
        self.previewed: set[DocumentKind] = set()
        self.preview: DocumentPreview | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(self.result)
        layout.addLayout(row)
        layout.addStretch(1)

    # -- what the wizard supplies ----------------------------------------------------------
    def order_id(self) -> uuid.UUID | None:
        raise NotImplementedError

    def result_html(self) -> str:
        raise NotImplementedError

    def has_invoice(self) -> bool:
        raise NotImplementedError

    # ---------------------------------------------------------------------------------------
    def enter(self) -> None:
        self.result.setText(self.result_html())
        if DocumentKind.INVOICE in self.buttons:
            self.buttons[DocumentKind.INVOICE].setEnabled(self.has_invoice())
        first = DocumentKind.ACCEPTANCE_FORM
        self.buttons.get(first, next(iter(self.buttons.values()))).setFocus()
        conditional = [kind for kind in CONDITIONAL if kind in self.buttons]
        for kind in conditional:
            self.buttons[kind].setVisible(False)
            self.buttons[kind].setEnabled(False)
        order_id = self.order_id()
        if conditional and order_id is not None:
            documents, actor = self.env.app.documents, self.env.actor
            self.query(lambda: documents.document_kinds(actor, order_id), self._offer)

    def _offer(self, kinds: Sequence[DocumentKind]) -> None:
        """Show the documents this order has among those offered only when it has them."""
        for kind in CONDITIONAL:
            if kind in self.buttons and kind in kinds:
                self.buttons[kind].setVisible(True)
                self.buttons[kind].setEnabled(True)

    def print_document(self, kind: DocumentKind) -> None:
        """Preview the document; printing and saving from the preview record each copy."""
        order_id = self.order_id()
        if order_id is None or not self.buttons[kind].isEnabled():
            return
        documents, actor = self.env.app.documents, self.env.actor
        self.query(
            lambda: documents.preview_document(actor, order_id, kind),
            lambda shown: self._show(
                shown, lambda reason: documents.print_document(actor, order_id, kind, reason)
            ),
            label=f"正在生成{LABELS[kind]}…",
        )

    def _show(self, shown: PrintedDocument, issue: Callable[[str], PrintedDocument]) -> None:
        self.previewed.add(shown.kind)
        if self.preview is not None:
            self.preview.close()
            self.preview.deleteLater()
        self.preview = DocumentPreview(shown, LABELS[shown.kind], self.env.ops, issue, self)
        # back to the wizard once the preview has gone (after its own deactivation)
        self.preview.finished.connect(lambda _r: QTimer.singleShot(0, self.window().activateWindow))
        self.preview.show()
