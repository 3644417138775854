"""A B ticket's visit as a clerk serves it: find the customer by phone number, 缴费 (Ctrl+J),
pay the two overdue bills with their late fees in cash with change, print the receipt (F10);
then the bills are paid, the invoice covers the bills and the late fees, the receipt says so."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.db.models import Bill, BillSettlement, Invoice, Payment
from hall_app.domain.enums import BillStatus
from hall_app.services.bills import BillPaymentRequest
from hall_app.services.documents import DocumentKind
from tests.bill_fixtures import OCT_FEE, OCT_FEN, SEP_FEE, SEP_FEN, billed_customer, cash
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from ui.app import Session
from ui.bills.wizard import BillPaymentDialog

WAIT = 10_000
CTRL = Qt.KeyboardModifier.ControlModifier
ALL = SEP_FEN + SEP_FEE + OCT_FEN + OCT_FEE  # 356.48


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def open_bill_payment(qtbot: QtBot, session: Session, number: str) -> BillPaymentDialog:
    window = _logged_in(qtbot, session)
    page = window.customers
    qtbot.keyClicks(page.query, number)
    qtbot.keyClick(page.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    qtbot.keyClick(page, Qt.Key.Key_J, CTRL)  # 缴费
    qtbot.waitUntil(
        lambda: window.account_dialog is not None and window.account_dialog.isVisible(),
        timeout=WAIT,
    )
    dialog = window.account_dialog
    assert isinstance(dialog, BillPaymentDialog)
    qtbot.waitUntil(lambda: dialog.draft.quote is not None, timeout=WAIT)
    return dialog


def test_a_b_ticket_pays_two_overdue_bills_with_the_late_fee_in_cash(
    qtbot: QtBot, session: Session, shown: ShownMessages, tmp_path: Path
) -> None:
    hall = session.hall
    b = billed_customer(hall)
    dialog = open_bill_payment(qtbot, session, b.number)
    window = session.window
    assert window is not None
    record = window.customers.record
    tab = record.tabs.indexOf(record.bills)
    assert record.tabs.tabText(tab) == "账单 (2)"  # the record's 账单 tab: two unpaid
    assert [b.period for b in record.bills.bills][:2] == ["2026-10", "2026-09"]  # newest first
    choose = dialog.choose
    assert choose.table.rowCount() == 2
    assert choose.table.item(0, 1).text() == "2026-09"  # oldest first
    assert choose.table.item(0, 7).text() == "¥24.00"  # the late fee shown
    assert choose.table.item(0, 1).foreground().color().name() == "#c62828"  # overdue: red
    assert "套餐外流量" in choose.items.text()  # the selected bill's items
    assert "本次应收 ¥356.48" in choose.quote_label.text()
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)  # 下一步
    pay = dialog.payment
    qtbot.waitUntil(lambda: dialog.current is pay, timeout=WAIT)
    assert "¥356.48" in pay.due.text()
    qtbot.keyClicks(pay.tendered, "400")
    assert "¥43.52" in pay.change.text()
    qtbot.keyClick(pay.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.current is dialog.finish, timeout=WAIT)
    done = dialog.draft.done
    assert done is not None and done.invoice_no is not None
    text = dialog.finish.result.text()
    assert "缴费成功" in text and done.order_no in text and "找零" in text
    assert f"电子发票 {done.invoice_no}" in text
    qtbot.keyClick(dialog.finish, Qt.Key.Key_F10)  # 收费小票
    qtbot.waitUntil(lambda: dialog.finish.preview is not None, timeout=WAIT)
    assert dialog.finish.preview is not None
    with hall.db.read() as s:
        assert s.get_one(Bill, b.sep).status is BillStatus.PAID
        assert s.get_one(Bill, b.oct).status is BillStatus.PAID
        [payment] = s.scalars(select(Payment).where(Payment.order_id == done.order_id)).all()
        assert (payment.amount_fen, payment.tendered_fen, payment.change_fen) == (
            ALL,
            40_000,
            40_000 - ALL,
        )
        invoice = s.scalars(select(Invoice).where(Invoice.order_id == done.order_id)).one()
        assert invoice.total_fen == ALL
    clerk = hall.auth.log_in("clerk1", "hall1234")
    receipt = _pdf_text(
        hall.documents.print_document(clerk, done.order_id, DocumentKind.RECEIPT, "测试核对").pdf,
        tmp_path,
    )
    assert "话费 2026-09" in receipt and "违约金 2026-09" in receipt and "356.48" in receipt
    dialog.finish.preview.close()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)  # 完成
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    assert hall.bills.unpaid_bills(clerk, b.customer_id).bills == ()
    qtbot.waitUntil(lambda: record.tabs.tabText(tab) == "账单", timeout=WAIT)  # refreshed
    assert {x.status for x in record.bills.bills} == {BillStatus.PAID}


def test_a_late_fee_waived_with_the_supervisor_at_the_counter(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    hall = session.hall
    b = billed_customer(hall)
    dialog = open_bill_payment(qtbot, session, b.number)
    choose = dialog.choose
    choose.waive.setFocus()
    qtbot.keyClick(choose.waive, Qt.Key.Key_Space)  # 减免违约金
    qtbot.waitUntil(lambda: "减免违约金 ¥27.48" in choose.quote_label.text(), timeout=WAIT)
    assert not dialog.next_button.isEnabled()  # the supervisor has not signed in yet
    qtbot.keyClicks(choose.sup_user, "super1")
    qtbot.keyClicks(choose.sup_password, "hall1234")
    assert dialog.next_button.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: dialog.current is dialog.payment, timeout=WAIT)
    assert "¥329.00" in dialog.payment.due.text()
    qtbot.keyClicks(dialog.payment.tendered, "329")
    qtbot.keyClick(dialog.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.current is dialog.finish, timeout=WAIT)
    done = dialog.draft.done
    assert done is not None and done.waived_fen == SEP_FEE + OCT_FEE and done.total_fen == 32_900
    assert "减免 ¥24.00" in dialog.finish.result.text()
    with hall.db.read() as s:
        rows = s.scalars(select(BillSettlement).where(BillSettlement.order_id == done.order_id))
        assert sum(x.late_fee_waived_fen for x in rows) == SEP_FEE + OCT_FEE


def test_bills_paid_at_another_window_meanwhile_are_refused_on_the_payment_page(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    hall = session.hall
    b = billed_customer(hall)
    dialog = open_bill_payment(qtbot, session, b.number)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: dialog.current is dialog.payment, timeout=WAIT)
    other = hall.auth.log_in("clerk2", "hall1234")  # another window takes September
    hall.bills.pay_bills(
        other,
        BillPaymentRequest(b.customer_id, cash(SEP_FEN + SEP_FEE), bill_ids=(b.sep,)),
    )
    qtbot.keyClicks(dialog.payment.tendered, "400")
    qtbot.keyClick(dialog.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "已由其他窗口缴费" in dialog.payment.error.text(), timeout=WAIT)
    assert dialog.payment.error.text().startswith("未办结，未收取任何费用")
    assert dialog.draft.done is None
    with hall.db.read() as s:
        assert s.get_one(Bill, b.oct).paid_fen == 0  # nothing of this window's was kept
