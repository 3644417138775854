"""Step 7: the number is open. Print (preview, print, save) the receipt, the acceptance form
and the invoice. Each print or save is recorded; a second copy is a reprint and needs a
reason."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from hall_app.services.documents import LABELS, DocumentKind, PrintedDocument
from ui import format as fmt
from ui.documents.preview import DocumentPreview
from ui.keys import shortcut
from ui.open_mobile.base import WizardEnv, WizardPage

KEYS = {
    DocumentKind.RECEIPT: "F10",
    DocumentKind.ACCEPTANCE_FORM: "F11",
    DocumentKind.INVOICE: "F12",
}


TILL_REOPENED = "本日已日结，已为本笔收款新开钱箱（无备用金）"


class DonePage(WizardPage):
    title = "办结"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        self.result = QLabel("")
        self.result.setObjectName("openResult")
        self.result.setWordWrap(True)
        self.buttons: dict[DocumentKind, QPushButton] = {}
        row = QHBoxLayout()
        for kind, key in KEYS.items():
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

    def enter(self) -> None:
        o = self.draft.opened
        assert o is not None
        change = sum(p.change_fen for p in o.payments)
        paid = "、".join(f"{p.method.label} {fmt.money(p.amount_fen)}" for p in o.payments)
        invoice = (
            f"电子发票 {o.invoice_no}（税额 {fmt.money(o.invoice_tax_fen)}）"
            if o.invoice_no
            else "无发票"
        )
        self.result.setText(
            f"<b>开户成功：{o.number} 已开通</b><br>受理单号 {o.order_no}<br>"
            f"合计 {fmt.money(o.total_fen)}：{paid}<br>"
            f"<span style='font-size:18pt;color:#1e7e34'>找零 {fmt.money(change)}</span>"
            f"<br>{invoice}"
            + (f"<br><b style='color:#b35900'>{TILL_REOPENED}</b>" if o.till_reopened else "")
        )
        self.buttons[DocumentKind.INVOICE].setEnabled(o.invoice_no is not None)
        self.buttons[DocumentKind.ACCEPTANCE_FORM].setFocus()

    def print_document(self, kind: DocumentKind) -> None:
        """Preview the document; printing and saving from the preview record each copy."""
        o = self.draft.opened
        if o is None or not self.buttons[kind].isEnabled():
            return
        documents, actor, order_id = self.env.app.documents, self.env.actor, o.order_id
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
