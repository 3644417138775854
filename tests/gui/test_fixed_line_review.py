"""The clerk walk-through review of the broadband/landline screens: each defect it found,
acted out as the clerk met it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.gui.conftest import ShownMessages
from tests.gui.fixed_helpers import bundle_customer, make_slots
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_wizard import WAIT
from ui.app import Session
from ui.fixed_line.wizard import FixedLineWizard


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
