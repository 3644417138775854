"""The broadband install as a clerk does it: call a C ticket, find the customer, check the
coverage, pick a plan and a fusion bundle, scan the modem's serial, book a slot, let the
customer sign, take cash, print the install work order. Then what the database holds and the
PDFs read back from the saved files."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.db.models import (
    Equipment,
    InstallSlot,
    Invoice,
    Order,
    Payment,
    PrintRecord,
    QueueTicket,
    Subscription,
    WorkOrder,
)
from hall_app.domain.enums import (
    EquipmentMode,
    EquipmentStatus,
    PaymentMethod,
    SubscriptionKind,
    SubscriptionStatus,
    TicketStatus,
    WorkOrderStatus,
)
from hall_app.domain.masking import mask_phone
from hall_app.domain.money import capital_amount
from hall_app.services.documents import DocumentKind
from tests.gui.conftest import ShownMessages
from tests.gui.fixed_helpers import (
    ADDRESS,
    COMMUNITY,
    bundle_customer,
    make_slots,
    modem_in_stock,
    next_page,
)
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_wizard import WAIT, pdf_text, sign
from ui.app import Session
from ui.documents import preview
from ui.fixed_line.wizard import FixedLineWizard


def test_a_broadband_install_from_c_ticket_to_printed_work_order(
    qtbot: QtBot,
    session: Session,
    shown: ShownMessages,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hall = session.hall
    assert hall is not None
    make_slots(hall)
    customer_id, id_number = bundle_customer(hall)
    serial = modem_in_stock(hall)
    ticket = hall.queue.issue_ticket(hall.auth.log_in("super2", "hall1234"), "fixed")
    assert ticket.ticket_no.startswith("C")

    window = _logged_in(qtbot, session, "clerk2")  # 2号窗口 serves 宽带固话
    qtbot.keyClick(window, Qt.Key.Key_F2)  # call the C ticket
    qtbot.waitUntil(lambda: window.queue.current is not None, timeout=WAIT)
    assert window.queue.current is not None and window.queue.current.id == ticket.id
    qtbot.keyClick(window, Qt.Key.Key_F5)
    page = window.customers
    assert "Ctrl+B" in page.hint.text()  # a C ticket: the hint names the broadband keys
    qtbot.keyClicks(page.query, id_number)
    qtbot.keyClick(page.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    qtbot.waitUntil(page.fixed_line_button.hasFocus, timeout=WAIT)  # what comes next
    qtbot.keyClick(page, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: window.fixed_wizard is not None and window.fixed_wizard.isVisible(),
        timeout=WAIT,
    )
    wizard = window.fixed_wizard
    assert isinstance(wizard, FixedLineWizard)
    assert wizard.draft.ticket_id == ticket.id

    # 1. address and coverage: the address (Chinese comes through the input method, which
    # QTest can not type), Enter checks it
    address = wizard.address
    address.address.setText(ADDRESS)
    qtbot.keyClick(address.address, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.coverage is not None, timeout=WAIT)
    text = address.result.text()
    assert COMMUNITY in text and "FTTH 光纤到户" in text and "1000M" in text
    assert "承诺装机日期" in text and "固话：可以安装" in text
    next_page(qtbot, wizard)

    # 2. the plans side by side; 500M and the customer's 129 fusion bundle
    plans = wizard.plan
    qtbot.waitUntil(lambda: plans.plan_combo.count() > 2, timeout=WAIT)
    headers = [
        plans.compare.horizontalHeaderItem(c).text() for c in range(plans.compare.columnCount())
    ]
    assert "500M 光宽带" in headers and "千兆光宽带 FTTR" in headers
    plans.plan_combo.setCurrentIndex(plans.plan_combo.findData("BB500"))
    qtbot.waitUntil(lambda: plans.bundle_combo.count() > 1, timeout=WAIT)
    plans.bundle_combo.setFocus()
    qtbot.keyClick(plans.bundle_combo, Qt.Key.Key_Down)
    bundle = wizard.draft.bundle
    assert bundle is not None and bundle.code == "RH129_500"
    assert "融合" in plans.bundle_note.text()
    next_page(qtbot, wizard)

    # 3. the modem: a serial not in stock first, then the real scan as keystrokes and Enter
    gear = wizard.equipment
    qtbot.keyClicks(gear.serials["modem"], "ZTEG00000000")
    qtbot.keyClick(gear.serials["modem"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "库存中没有" in gear.errors["modem"].text(), timeout=WAIT)
    assert not wizard.next_button.isEnabled()
    qtbot.keyClicks(gear.serials["modem"], serial)  # selected: the scan replaces it
    qtbot.keyClick(gear.serials["modem"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "modem" in wizard.draft.gear, timeout=WAIT)
    assert serial in gear.results["modem"].text()
    assert gear.modes["modem"].currentData() == EquipmentMode.FREE.value  # a contract plan
    next_page(qtbot, wizard)

    # 4. the appointment: contact, then ↓ Enter books the second free slot
    slots = wizard.appointment
    qtbot.waitUntil(lambda: slots.slots.rowCount() > 1, timeout=WAIT)
    assert slots.contact.text() == page.current.name  # type: ignore[union-attr]
    qtbot.keyClicks(slots.phone, "13905910000")
    qtbot.keyClick(slots.phone, Qt.Key.Key_Return)
    assert slots.table.hasFocus()
    qtbot.keyClick(slots.table, Qt.Key.Key_Down)
    qtbot.keyClick(slots.table, Qt.Key.Key_Return)
    slot = wizard.draft.slot
    assert slot is not None and slot == slots.slots.payload(1)
    with hall.db.read() as s:
        booked_before = s.get_one(InstallSlot, slot.slot_id).booked
    next_page(qtbot, wizard)
    quote = wizard.draft.quote
    assert quote is not None

    # 5. the customer signs on their screen
    dialog = wizard.confirm.customer_dialog
    assert dialog is not None and dialog.isVisible()
    summary = dialog.summary.text()
    assert capital_amount(quote.total_fen) in summary and serial in summary
    assert bundle.name in summary and COMMUNITY in summary
    sign(dialog.pad, [(60, 120), (120, 60), (180, 140), (260, 70), (330, 130)])
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.draft.signature_png is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard, timeout=WAIT)  # keys back
    next_page(qtbot, wizard)

    # 6. cash with change; Enter takes the money
    pay = wizard.payment
    tendered = (quote.total_fen // 10_000 + 1) * 10_000
    qtbot.keyClicks(pay.tendered, str(tendered // 100))
    qtbot.keyClick(pay.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.current is wizard.finish, timeout=WAIT)
    done = wizard.draft.installed
    assert done is not None and done.broadband_account
    result = wizard.finish.result.text()
    for part in (done.order_no, done.work_order_no, done.broadband_account):
        assert part in result

    # 7. the acceptance form and the invoice saved from the preview; the work order printed
    saved: list[Path] = []

    def save_to(_parent: QWidget, suggested: str) -> str:
        saved.append(tmp_path / suggested)
        return str(saved[-1])

    monkeypatch.setattr(preview, "_ask_save_path", save_to)
    printed_pdf = tmp_path / "printer-output.pdf"

    def printer_ok(_parent: QWidget, printer: QPrinter) -> bool:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(printed_pdf))
        return True

    monkeypatch.setattr(preview, "_choose_printer", printer_ok)
    finish = wizard.finish
    texts: dict[DocumentKind, str] = {}
    for key, kind in (
        (Qt.Key.Key_F11, DocumentKind.ACCEPTANCE_FORM),
        (Qt.Key.Key_F12, DocumentKind.INVOICE),
    ):
        qtbot.keyClick(finish, key)
        qtbot.waitUntil(lambda k=kind: k in finish.previewed, timeout=WAIT)
        view = finish.preview
        assert view is not None and view.document.pageCount() >= 1
        qtbot.waitUntil(lambda v=view: QApplication.activeWindow() is v, timeout=WAIT)
        qtbot.keyClick(view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda v=view: "已保存到" in v.info.text(), timeout=WAIT)
        texts[kind] = pdf_text(saved[-1])
        qtbot.keyClick(view, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard, timeout=WAIT)
    qtbot.keyClick(finish, Qt.Key.Key_F8)  # the install work order, to the printer
    qtbot.waitUntil(lambda: DocumentKind.WORK_ORDER in finish.previewed, timeout=WAIT)
    view = finish.preview
    assert view is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view, timeout=WAIT)
    qtbot.keyClick(view, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "已发送到打印机：第 1 份" in view.info.text(), timeout=WAIT)
    assert printed_pdf.read_bytes().startswith(b"%PDF")
    copy = tmp_path / "work-order-1.pdf"
    copy.write_bytes(view.issued[-1].pdf)
    work_order = pdf_text(copy)
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard, timeout=WAIT)
    assert done.work_order_no in work_order and done.order_no in work_order
    assert done.broadband_account in work_order and serial in work_order
    assert "闽江花园" in work_order and "FTTH" in work_order
    assert "13905910000" not in work_order and mask_phone("13905910000") in work_order
    form = texts[DocumentKind.ACCEPTANCE_FORM]
    assert done.order_no in form and capital_amount(quote.total_fen) in form
    invoice = texts[DocumentKind.INVOICE]
    assert done.invoice_no is not None and done.invoice_no in invoice

    qtbot.keyClick(wizard, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=WAIT)
    session.ops.wait_idle()
    assert not [t for t in shown.texts() if "错误" in t or "失败" in t], shown.items

    with hall.db.read() as s:
        order = s.scalars(select(Order).where(Order.order_no == done.order_no)).one()
        assert order.ticket_id == ticket.id and order.customer_id == customer_id
        assert order.total_fen == quote.total_fen and order.terms_text == quote.terms
        assert order.signature_png is not None and order.signature_png.startswith(b"\x89PNG")
        sub = s.get_one(Subscription, order.subscription_id)
        assert sub.kind is SubscriptionKind.BROADBAND
        assert sub.status is SubscriptionStatus.PENDING
        assert sub.service_number == done.broadband_account and sub.community == COMMUNITY
        assert sub.bundled_with_id == bundle.mobile_subscription_id and sub.bundle_id is not None
        modem = s.scalars(select(Equipment).where(Equipment.serial == serial)).one()
        assert modem.status is EquipmentStatus.LENT and modem.mode is EquipmentMode.FREE
        assert modem.order_id == order.id and modem.subscription_id == sub.id
        wo = s.get_one(WorkOrder, done.work_order_id)
        assert wo.status is WorkOrderStatus.SCHEDULED and wo.slot_id == slot.slot_id
        assert wo.order_id == order.id and wo.contact_phone == "13905910000"
        assert (wo.window_start, wo.window_end) == (slot.starts_at, slot.ends_at)
        assert s.get_one(InstallSlot, slot.slot_id).booked == booked_before + 1
        payment = s.scalars(select(Payment).where(Payment.order_id == order.id)).one()
        assert payment.method is PaymentMethod.CASH and payment.amount_fen == quote.total_fen
        assert payment.change_fen == tendered - quote.total_fen
        inv = s.scalars(select(Invoice).where(Invoice.order_id == order.id)).one()
        assert inv.invoice_no == done.invoice_no
        printed = s.scalars(
            select(PrintRecord.document_type).where(PrintRecord.order_id == order.id)
        ).all()
        assert sorted(printed) == ["acceptance_form", "invoice", "work_order"]
        assert s.get_one(QueueTicket, ticket.id).status is TicketStatus.SERVING
