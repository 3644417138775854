"""The clerk walk-through review of the broadband/landline screens: each defect it found,
acted out as the clerk met it."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QScrollArea
from pytestqt.qtbot import QtBot

from hall_app.app import HallApp
from hall_app.services.actor import Actor
from tests.gui.conftest import ShownMessages
from tests.gui.fixed_helpers import bundle_customer, make_slots, next_page, sign_now
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_fixed_line_pages import _to_slots, _wizard
from tests.gui.test_open_mobile_wizard import WAIT
from ui.app import Session
from ui.fixed_line.wizard import FixedLineWizard
from ui.ops import Operations


def test_enter_on_the_focused_fixed_line_button_opens_the_wizard(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    hall = session.hall
    assert hall is not None
    make_slots(hall)
    customer_id, _ = bundle_customer(hall)
    window = _logged_in(qtbot, session, "clerk2")
    page = window.customers
    page.start_visit("C009", fixed_line=True)
    page.open_customer(customer_id)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.fixed_line_button, timeout=WAIT)
    qtbot.keyClick(page.fixed_line_button, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: window.fixed_wizard is not None and window.fixed_wizard.isVisible(),
        timeout=WAIT,
    )
    assert isinstance(window.fixed_wizard, FixedLineWizard)
    window.fixed_wizard.reject()
    for button in (page.open_mobile_button, page.relocation_button, page.work_order_button):
        assert button.autoDefault(), button.objectName()


def _to_confirm(qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations) -> FixedLineWizard:
    wizard = _wizard(qtbot, hall, clerk, ops)
    _to_slots(qtbot, hall, wizard)
    next_page(qtbot, wizard)
    return wizard


def _line_top(html: str, width: int, text: str) -> float:
    """Where ``text`` starts in ``html`` laid out ``width`` px wide (the label's own rich
    text engine)."""
    doc = QTextDocument()
    doc.setDefaultFont(QApplication.font())
    doc.setHtml(html)
    doc.setTextWidth(width)
    found = doc.find(text)
    assert not found.isNull(), text
    return doc.documentLayout().blockBoundingRect(found.block()).top()


def test_the_customer_sees_every_fee_and_the_total_beside_the_pad_and_confirm_is_default(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _to_confirm(qtbot, hall, clerk, ops)
    dialog = wizard.confirm.customer_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    qtbot.wait(60)
    assert dialog.screen().availableGeometry().size() == QSize(1366, 728)
    scroll = dialog.summary.parentWidget().parentWidget()
    assert isinstance(scroll, QScrollArea)
    view = scroll.viewport()
    total_at = _line_top(dialog.summary.text(), view.width(), "大写")
    assert total_at + 30 < view.height(), (total_at, view.size())
    assert dialog.pad.height() >= 200
    # Enter confirms; 重新签名 neither holds the focus nor is the default
    assert dialog.confirm_button.isDefault()
    assert not dialog.clear_button.autoDefault()
    assert dialog.clear_button.focusPolicy() == Qt.FocusPolicy.NoFocus
    assert QApplication.focusWidget() is not dialog.clear_button
    sign_now(qtbot, wizard)


def test_tab_from_cash_goes_to_next_and_change_shows_only_for_cash_over_the_total(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _to_confirm(qtbot, hall, clerk, ops)
    sign_now(qtbot, wizard)
    next_page(qtbot, wizard)
    pay = wizard.payment
    quote = wizard.draft.quote
    assert quote is not None
    qtbot.waitUntil(pay.tendered.hasFocus, timeout=WAIT)
    # the whole amount by card: nothing to give back, no green ¥0.00
    qtbot.keyClicks(pay.card_amount, f"{quote.total_fen / 100:.2f}")
    qtbot.keyClicks(pay.card_ref, "POS123456")
    assert wizard.next_button.isEnabled()
    assert not pay.change.isVisible() and pay.change.text() == ""
    pay.card_amount.clear()
    pay.card_ref.clear()
    pay.card_amount.setFocus()
    qtbot.keyClicks(pay.card_amount, "0")
    qtbot.keyClicks(pay.tendered, str(quote.total_fen // 100 + 1))
    assert pay.change.isVisible() and pay.change.text().startswith("¥")
    pay.tendered.setFocus()
    qtbot.keyClick(pay.tendered, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is wizard.next_button
    qtbot.keyClick(wizard.next_button, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is wizard.back_button
