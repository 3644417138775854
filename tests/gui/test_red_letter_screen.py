"""A supervisor red-letters an invoice from the customer's record: the reason, a confirmation
of what will be issued, then the red invoice issued and shown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.db.models import Invoice
from hall_app.domain.enums import InvoiceKind, InvoiceStatus
from hall_app.domain.money import capital_amount, format_yuan
from hall_app.services.actor import Actor
from tests.gui.conftest import ShownMessages
from tests.gui.test_open_mobile_wizard import WAIT
from tests.integration.test_open_mobile import _request
from ui.customers.search import CustomerSearchPage
from ui.ops import Operations

CTRL = Qt.KeyboardModifier.ControlModifier


def _red_count(hall: HallApp) -> int:
    with hall.db.read() as s:
        return s.scalar(select(func.count()).where(Invoice.kind == InvoiceKind.RED)) or 0


def test_supervisor_red_letters_the_selected_invoice(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    supervisor: Actor,
    ops: Operations,
    shown: ShownMessages,
) -> None:
    req = _request(hall, clerk)
    done = hall.orders.open_mobile_number(clerk, req)
    assert done.invoice_no is not None
    clerk_page = CustomerSearchPage(hall.customers, clerk, ops, None, hall.invoices)
    assert not clerk_page.red_letter_button.isVisibleTo(clerk_page)  # no approvals: clerks cannot
    page = CustomerSearchPage(hall.customers, supervisor, ops, None, hall.invoices, hall.documents)
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
    before = _red_count(hall)
    qtbot.mouseClick(page.red_letter_button, Qt.MouseButton.LeftButton)
    dialog = page.red_letter_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)

    # an empty reason is said next to the field, and the dialog stays
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    assert dialog.reason_error.text() == "红冲原因：请填写原因"
    assert dialog.isVisible() and not dialog.confirming

    # a reason leads to the confirmation, which says what will be issued; nothing is yet
    dialog.reason.insert("发票抬头开错")  # what the input method commits
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    assert dialog.confirming and dialog.issue_button.isVisible()
    summary = dialog.summary.text()
    with hall.db.read() as s:
        total, tax = s.execute(
            select(Invoice.total_fen, Invoice.tax_fen).where(Invoice.invoice_no == done.invoice_no)
        ).one()
    assert done.invoice_no in summary
    assert format_yuan(-total) in summary and format_yuan(-tax) in summary
    assert capital_amount(-total) in summary  # 负…
    assert "发票抬头开错" in summary
    assert _red_count(hall) == before  # a single Enter issued nothing
    qtbot.keyClick(dialog, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)  # back, and on
    assert not dialog.confirming and dialog.reason.text() == "发票抬头开错"
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    assert dialog.confirming and _red_count(hall) == before

    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)  # 确认开具
    qtbot.waitUntil(lambda: page.red_preview is not None, timeout=WAIT)
    assert not dialog.isVisible()
    preview = page.red_preview
    assert preview is not None and preview.isVisible()
    assert preview.document.pageCount() >= 1 and "红字发票" in preview.windowTitle()
    assert "已开具红字发票" in page.hint.text()
    qtbot.waitUntil(
        lambda: page.current is not None and len(page.current.invoices) == 2, timeout=WAIT
    )
    with hall.db.read() as s:
        blue = s.scalars(select(Invoice).where(Invoice.invoice_no == done.invoice_no)).one()
        red = s.scalars(select(Invoice).where(Invoice.original_invoice_id == blue.id)).one()
        assert blue.status is InvoiceStatus.RED_LETTERED and red.kind is InvoiceKind.RED
        assert "发票抬头开错" in red.remarks
        assert red.invoice_no in preview.windowTitle()
    assert _red_count(hall) == before + 1
    assert len(shown.items) == 1  # only the "select an invoice first" warning
