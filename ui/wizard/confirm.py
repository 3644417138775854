"""The customer's confirmation, shared by every order wizard: the customer reads the order,
the fees and the terms on a screen facing them (the second screen when one is attached,
otherwise a dialog) and signs with the mouse or a pen.

A wizard's confirmation page says what the customer reads (``summary_html``) and which quote
the signature is for (``signed_quote``): when the order changes, the customer signs again."""

from __future__ import annotations

import html
from collections.abc import Iterable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from hall_app.domain.money import capital_amount
from hall_app.services.pipeline import LineView
from ui import format as fmt
from ui.keys import shortcut
from ui.screen import fit_to_screen
from ui.style import set_role
from ui.widgets.signature import SignaturePad
from ui.wizard.base import WizardEnv, WizardPage


def fees_html(lines: Iterable[LineView], total_fen: int, terms: str) -> str:
    """Every fee, the total in figures and in capitals, then the terms."""
    rows = "".join(
        f"<tr><td>{html.escape(line.description)}</td>"
        f"<td align='right'>{fmt.money(line.amount_fen)}</td></tr>"
        for line in lines
    )
    text = "<br>".join(html.escape(t) for t in terms.splitlines())
    return (
        f"<table width='100%' cellspacing='0' cellpadding='4' border='1'>"
        f"<tr><th align='left'>费用项目</th><th align='right'>金额</th></tr>{rows}"
        f"<tr><td><b>合计</b></td><td align='right'><b>{fmt.money(total_fen)}</b></td></tr>"
        f"</table><p>大写：{capital_amount(total_fen)}</p>"
        f"<p style='font-size:10.5pt'>{text}</p>"
    )


class CustomerConfirmDialog(QDialog):
    """Faces the customer: the summary, the signature pad, 重签 and 确认签名."""

    signed = Signal(object)  # the signature PNG (bytes)
    declined = Signal()  # the customer does not agree to what they read

    def __init__(self, summary_html: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customerConfirm")
        self.setWindowTitle("请您核对业务内容并签名确认")
        title = QLabel("请核对以下业务内容，确认无误后在下方签名")
        title.setObjectName("confirmTitle")
        self.summary = QLabel(summary_html)
        self.summary.setObjectName("customerSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.summary)
        self.pad = SignaturePad()
        self.note = QLabel("")
        self.note.setObjectName("signatureNote")
        self.note.setProperty("role", "error")
        self.clear_button = QPushButton("重新签名")
        self.clear_button.setObjectName("signatureClear")
        self.clear_button.clicked.connect(self.pad.clear)
        self.decline_button = QPushButton("不同意")
        self.decline_button.setObjectName("signatureDecline")
        self.decline_button.clicked.connect(self.decline)
        self.confirm_button = QPushButton("确认并签名")
        self.confirm_button.setObjectName("signatureConfirm")
        self.confirm_button.clicked.connect(self.confirm)
        # 确认并签名 is the default (Enter); 重新签名 never holds the focus, so a stray key
        # cannot wipe the customer's signature.
        for button in (self.clear_button, self.decline_button):
            button.setAutoDefault(False)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.confirm_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.note, 1)
        buttons.addWidget(self.decline_button)
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.confirm_button)
        # The summary and the pad side by side: on a 1366×768 screen every fee line, the
        # total and the terms' first lines stay in view above no scrolling, and the pad keeps
        # its full height (stacked, the pad left room for the first fee line only).
        signing = QVBoxLayout()
        signing.addWidget(QLabel("签名："))
        signing.addWidget(self.pad, 1)
        signing.addLayout(buttons)
        body = QHBoxLayout()
        body.addWidget(scroll, 3)
        body.addLayout(signing, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(body, 1)
        fit_to_screen(self, QSize(1240, 700), share=(0.92, 0.9))

    def confirm(self) -> None:
        if not self.pad.is_signed():
            self.note.setText("请在签名框内签署您的姓名")
            return
        png = self.pad.to_png()
        self.accept()  # hidden first, so the clerk's window can take the keyboard back
        self.signed.emit(png)

    def decline(self) -> None:
        """The customer rejects the order as shown (the fees, the schedule): nothing signed."""
        self.reject()
        self.declined.emit()

    def show_to_customer(self) -> None:
        """On the second screen, full screen, when one is attached; otherwise as a dialog."""
        screens = QGuiApplication.screens()
        if len(screens) > 1:
            self.setWindowFlag(Qt.WindowType.Window)
            self.move(screens[1].geometry().topLeft())
            self.showFullScreen()
        else:
            self.setWindowModality(Qt.WindowModality.WindowModal)
            self.show()
        self.raise_()
        self.confirm_button.setFocus()


class ConfirmPage(WizardPage):
    """The clerk's side: the same summary, the signature once given, F9 to show it again."""

    title = "客户确认"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        self.summary = QLabel("")
        self.summary.setObjectName("clerkSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.status = QLabel("")
        self.status.setObjectName("signatureStatus")
        self.signature = QLabel("")
        self.signature.setObjectName("signatureThumb")
        self.signature.setFixedHeight(90)
        self.ask_button = QPushButton("请客户确认签名 (F9)")
        self.ask_button.setObjectName("askSignature")
        self.ask_button.clicked.connect(self.ask_customer)
        shortcut(self, "F9", self.ask_customer)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.signature)
        row.addWidget(self.ask_button)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.summary)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(row)
        self.customer_dialog: CustomerConfirmDialog | None = None
        self._signed_for: object = None

    # -- what the wizard supplies ----------------------------------------------------------
    def summary_html(self) -> str:
        raise NotImplementedError

    def signed_quote(self) -> object:
        """The quote the signature is for: another object means another order to sign."""
        raise NotImplementedError

    # ---------------------------------------------------------------------------------------
    def enter(self) -> None:
        self.summary.setText(self.summary_html())
        if self._signed_for is not self.signed_quote():  # the order changed: sign again
            self.draft.signature_png = None
            self.signature.clear()
        if self.draft.signature_png is None:
            self.ask_customer()

    def close_customer_view(self) -> None:
        """Take the confirmation off the customer's screen (abandoned or finished)."""
        if self.customer_dialog is not None:
            self.customer_dialog.close()
            self.customer_dialog.deleteLater()
            self.customer_dialog = None

    def ask_customer(self) -> None:
        self.close_customer_view()
        dialog = CustomerConfirmDialog(self.summary_html(), self)
        dialog.signed.connect(self._signed)
        dialog.declined.connect(self._declined)
        self.customer_dialog = dialog
        set_role(self.status, None)
        self.status.setText("等待客户在确认屏上核对并签名…")
        dialog.show_to_customer()

    def _signed(self, png: bytes) -> None:
        self.draft.signature_png = png
        self._signed_for = self.signed_quote()
        pixmap = QPixmap()
        pixmap.loadFromData(png)
        self.signature.setPixmap(pixmap.scaledToHeight(80))
        set_role(self.status, "ok")
        self.status.setText("客户已确认并签名")
        self.complete_changed.emit()
        self.window().activateWindow()  # the keyboard belongs to the clerk again

    def _declined(self) -> None:
        self.draft.signature_png = None
        self._signed_for = None
        self.signature.clear()
        set_role(self.status, "error")
        self.status.setText("客户不同意：请返回上一步修改，或取消办理（F9 重新请客户确认）")
        self.complete_changed.emit()
        self.window().activateWindow()
        self.customer_declined()

    def customer_declined(self) -> None:
        """A wizard may take the clerk back to the page whose terms the customer rejected."""

    def is_complete(self) -> bool:
        return self.draft.signature_png is not None

    def missing(self) -> str:
        return "请客户在客户屏上核对并签名确认（F9 重新显示）"
