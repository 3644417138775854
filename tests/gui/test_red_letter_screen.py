"""A supervisor red-letters an invoice from the customer's record."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Invoice
from hall_app.domain.enums import InvoiceKind, InvoiceStatus
from hall_app.services.actor import Actor
from tests.gui.conftest import ShownMessages
from tests.gui.test_open_mobile_wizard import WAIT
from tests.integration.test_open_mobile import _request
from ui.customers import search
from ui.customers.search import CustomerSearchPage
from ui.ops import Operations


def test_supervisor_red_letters_the_selected_invoice(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    supervisor: Actor,
    ops: Operations,
    shown: ShownMessages,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    req = _request(hall, clerk)
    done = hall.orders.open_mobile_number(clerk, req)
    clerk_page = CustomerSearchPage(hall.customers, clerk, ops, None, hall.invoices)
    assert not clerk_page.red_letter_button.isVisibleTo(clerk_page)  # clerks cannot
    page = CustomerSearchPage(hall.customers, supervisor, ops, None, hall.invoices)
    qtbot.addWidget(page)
    page.show()
    page.open_customer(req.customer_id)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    assert page.red_letter_button.isEnabled()
    table = page.record.tables["发票"]
    page.record.tabs.setCurrentWidget(table)
    qtbot.mouseClick(page.red_letter_button, Qt.MouseButton.LeftButton)
    assert "请先在“发票”页选中" in shown.texts()[-1]
    table.selectRow(0)
    monkeypatch.setattr(search, "_ask_red_letter_reason", lambda _p, _n: "发票抬头开错")
    qtbot.mouseClick(page.red_letter_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已开具红字发票" in " ".join(shown.texts()), timeout=WAIT)
    qtbot.waitUntil(
        lambda: page.current is not None and len(page.current.invoices) == 2, timeout=WAIT
    )
    with hall.db.read() as s:
        blue = s.scalars(select(Invoice).where(Invoice.invoice_no == done.invoice_no)).one()
        red = s.scalars(select(Invoice).where(Invoice.original_invoice_id == blue.id)).one()
        assert blue.status is InvoiceStatus.RED_LETTERED and red.kind is InvoiceKind.RED
        assert "发票抬头开错" in red.remarks
