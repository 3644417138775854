"""A B ticket served from the queue as a clerk serves it (issue 14): F2 calls the B ticket,
F5 starts it, the customer is found by phone; 缴费 (Ctrl+J) pays the two overdue bills with
their late fees; 充值 (Ctrl+U) tops the same number up with change; both receipts print; F8
finishes the visit. Then the balances, the bills, the invoice, the receipts and the ticket's
orders are what the clerk saw."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.db.models import Bill, Invoice, Order, Payment, QueueTicket
from hall_app.domain.enums import BillStatus, OrderType, Rating, TicketStatus
from hall_app.domain.masking import mask_phone
from hall_app.services.documents import DocumentKind
from tests.bill_fixtures import OCT_FEE, OCT_FEN, SEP_FEE, SEP_FEN, billed_customer
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from tests.top_up_helpers import balances, offers
from ui.app import Session
from ui.bills.wizard import BillPaymentDialog
from ui.top_up.wizard import TopUpDialog

WAIT = 10_000
CTRL = Qt.KeyboardModifier.ControlModifier
BILLS = SEP_FEN + SEP_FEE + OCT_FEN + OCT_FEE  # 356.48


def _text(pdf: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return "".join(out.split())


def _finish(qtbot: QtBot, dialog: object) -> None:
    assert isinstance(dialog, BillPaymentDialog | TopUpDialog)
    qtbot.keyClick(dialog.finish, Qt.Key.Key_F10)  # 收费小票
    qtbot.waitUntil(lambda: dialog.finish.preview is not None, timeout=WAIT)
    preview = dialog.finish.preview
    assert preview is not None and preview.document.pageCount() >= 1
    qtbot.keyClick(preview, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)  # 完成
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)


def test_a_b_ticket_pays_two_overdue_bills_then_tops_up_with_change(
    qtbot: QtBot, session: Session, shown: ShownMessages, tmp_path: Path
) -> None:
    hall = session.hall
    offers(hall, ("TU100", "充100送20", 10_000, 2_000))
    b = billed_customer(hall)
    before = balances(hall, b.subscription_id)
    ticket = hall.queue.issue_ticket(hall.auth.log_in("super2", "hall1234"), "billing")
    assert ticket.ticket_no.startswith("B")

    window = _logged_in(qtbot, session)
    qtbot.keyClick(window, Qt.Key.Key_F2)  # call the B ticket
    qtbot.waitUntil(lambda: window.queue.current is not None, timeout=WAIT)
    assert window.queue.current is not None and window.queue.current.id == ticket.id
    qtbot.keyClick(window, Qt.Key.Key_F5)  # the customer is at the window
    page = window.customers
    qtbot.keyClicks(page.query, b.number)  # found by phone
    qtbot.keyClick(page.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)

    # 缴费: both overdue bills, oldest first, with their late fees; 400 cash, 43.52 change
    qtbot.keyClick(QApplication.focusWidget() or page, Qt.Key.Key_J, CTRL)
    qtbot.waitUntil(
        lambda: (
            isinstance(window.account_dialog, BillPaymentDialog)
            and window.account_dialog.draft.quote is not None
        ),
        timeout=WAIT,
    )
    bills = window.account_dialog
    assert isinstance(bills, BillPaymentDialog)
    assert bills.draft.ticket_id == ticket.id
    assert [bills.choose.table.item(r, 1).text() for r in range(2)] == ["2026-09", "2026-10"]
    assert "本次应收 ¥356.48" in bills.choose.quote_label.text()
    qtbot.keyClick(bills, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: bills.current is bills.payment, timeout=WAIT)
    qtbot.keyClicks(bills.payment.tendered, "400")
    assert "¥43.52" in bills.payment.change.text()
    qtbot.keyClick(bills.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bills.current is bills.finish, timeout=WAIT)
    paid = bills.draft.done
    assert paid is not None and paid.invoice_no is not None
    _finish(qtbot, bills)

    # 充值 of the same number: 150 with the 充100送20 bonus, 200 cash, 50.00 change
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)
    qtbot.keyClick(QApplication.focusWidget() or page, Qt.Key.Key_U, CTRL)
    qtbot.waitUntil(
        lambda: (
            isinstance(window.account_dialog, TopUpDialog)
            and window.account_dialog.isVisible()
            and window.account_dialog.draft.target is not None
        ),
        timeout=WAIT,
    )
    top = window.account_dialog
    assert isinstance(top, TopUpDialog)
    assert top.draft.target is not None
    assert top.draft.target.subscription_id == b.subscription_id
    choose = top.choose
    choose.amount.setFocus()
    choose.amount.selectAll()
    qtbot.keyClicks(choose.amount, "150")
    qtbot.waitUntil(choose.is_complete, timeout=WAIT)
    assert "赠送 ¥20.00" in choose.offer.text()
    qtbot.keyClick(choose.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: top.current is top.payment, timeout=WAIT)
    qtbot.keyClicks(top.payment.tendered, "200")
    assert top.payment.change.text() == "¥50.00"
    qtbot.keyClick(top.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: top.current is top.finish, timeout=WAIT)
    topped = top.draft.done
    assert topped is not None
    _finish(qtbot, top)

    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)
    qtbot.keyClick(window, Qt.Key.Key_F8)  # 办结: the visit ends, the customer rates it
    qtbot.waitUntil(lambda: window.queue.evaluation is not None, timeout=WAIT)
    screen = window.queue.evaluation
    assert screen is not None and ticket.ticket_no in screen.served_label.text()
    qtbot.mouseClick(screen.buttons[Rating.VERY_SATISFIED], Qt.MouseButton.LeftButton)
    session.ops.wait_idle()

    clerk = hall.auth.log_in("clerk1", "hall1234")
    assert balances(hall, b.subscription_id) == (before[0] + 15_000, before[1] + 2_000)
    with hall.db.read() as s:
        assert s.get_one(Bill, b.sep).status is BillStatus.PAID
        assert s.get_one(Bill, b.oct).status is BillStatus.PAID
        assert s.get_one(QueueTicket, ticket.id).status is TicketStatus.DONE
        kinds = {
            o.order_type: o for o in s.scalars(select(Order).where(Order.ticket_id == ticket.id))
        }
        assert set(kinds) == {OrderType.BILL_PAYMENT, OrderType.TOP_UP}  # the visit's two
        cash = {
            p.order_id: (p.amount_fen, p.tendered_fen, p.change_fen)
            for p in s.scalars(
                select(Payment).where(Payment.order_id.in_([o.id for o in kinds.values()]))
            )
        }
        assert cash[paid.order_id] == (BILLS, 40_000, 40_000 - BILLS)
        assert cash[topped.order_id] == (15_000, 20_000, 5_000)
        [invoice] = s.scalars(select(Invoice).where(Invoice.order_id == paid.order_id)).all()
        assert invoice.invoice_no == paid.invoice_no and invoice.total_fen == BILLS
        assert s.scalars(select(Invoice).where(Invoice.order_id == topped.order_id)).all() == []
    bill_receipt = _text(
        hall.documents.print_document(clerk, paid.order_id, DocumentKind.RECEIPT, "核对").pdf,
        tmp_path,
        "bills.pdf",
    )
    assert "话费2026-09" in bill_receipt and "违约金2026-09" in bill_receipt
    assert "¥356.48" in bill_receipt and "¥400.00/¥43.52" in bill_receipt
    top_receipt = _text(
        hall.documents.print_document(clerk, topped.order_id, DocumentKind.RECEIPT, "核对").pdf,
        tmp_path,
        "top-up.pdf",
    )
    assert f"预存话费（{mask_phone(b.number)}）¥150.00" in top_receipt
    assert "赠送金额：¥20.00" in top_receipt and b.number not in top_receipt
    assert shown.items == []
