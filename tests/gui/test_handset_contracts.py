"""The customer record's 分期/合约 tab as a clerk uses it: the overdue instalments flagged red,
the contract phone's months left and today's 违约金; 还款 (Ctrl+K) of the overdue ones in cash
with the receipt offered after, 提前结清 (Ctrl+Shift+K), and a payment another window took
first. Screens fit 1366×768; HALL_SHOTS=folder saves them as PNG."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from hall_app.db.models import Instalment, Order, Payment
from hall_app.domain.enums import ContractStatus, OrderType
from hall_app.services.documents import DocumentKind
from hall_app.services.instalments import InstalmentPayRequest
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from tests.integration.handset_rows import Sold, contract_sale, installment_sale, with_mobile
from tests.integration.test_instalments import cash
from ui.app import Session
from ui.handsets.contracts import IMEI_COLUMN, OVERDUE_RED, MiddleElided
from ui.handsets.repay import RepaymentDialog
from ui.main_window.window import MainWindow
from ui.screen import FRAME

WAIT = 10_000
CTRL = Qt.KeyboardModifier.ControlModifier
SHOTS = os.environ.get("HALL_SHOTS")


def _fits(window: QWidget) -> None:
    """Inside the 1366×728 left beside the taskbar, as tests/gui/test_window_sizes.py checks."""
    outer = window.frameGeometry()
    area = window.screen().availableGeometry()
    assert area.contains(outer.topLeft()) and area.contains(outer.bottomRight())
    hint = window.minimumSizeHint() + FRAME
    assert hint.width() <= area.width() and hint.height() <= area.height()


def _shot(widget: QWidget, name: str) -> None:
    if SHOTS:
        QTest.qWait(60)  # layouts settle (a button's text just changed)
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        assert widget.grab().save(str(Path(SHOTS) / f"{name}.png"))


def _open(qtbot: QtBot, session: Session) -> tuple[MainWindow, Sold, Sold]:
    hall = session.hall
    clerk = hall.auth.log_in("clerk1", "hall1234")
    customer = with_mobile(hall)
    sold = installment_sale(hall, clerk, customer)  # 2026-07-28, 6 months, 1 paid
    phone = contract_sale(hall, clerk, customer, starts_on=date(2026, 1, 24))
    window = _logged_in(qtbot, session)
    page = window.customers
    page.open_customer(customer)
    qtbot.waitUntil(
        lambda: page.current is not None and bool(page.record.handsets.shown_contracts),
        timeout=WAIT,
    )
    return window, sold, phone


def _dialog(qtbot: QtBot, window: MainWindow) -> RepaymentDialog:
    qtbot.waitUntil(
        lambda: window.repayment_dialog is not None and window.repayment_dialog.isVisible(),
        timeout=WAIT,
    )
    dialog = window.repayment_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)
    return dialog


def test_the_record_flags_overdue_instalments_and_a_clerk_takes_them_in_cash(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    window, sold, phone = _open(qtbot, session)
    hall, page = session.hall, window.customers
    record = page.record
    qtbot.keyClick(
        QApplication.focusWidget() or page, Qt.Key.Key_7, Qt.KeyboardModifier.AltModifier
    )
    panel = record.handsets
    assert record.tabs.currentWidget() is panel
    index = record.tabs.currentIndex()
    assert record.tabs.tabText(index) == "终端 (2)"  # the contract and the contract phone
    assert record.tabs.tabBar().tabTextColor(index) == OVERDUE_RED
    assert "有 2 期分期逾期未还" in record.tabs.tabToolTip(index)
    assert "有 2 期分期逾期未还" in panel.banner.text() and sold.order_no in panel.banner.text()
    model = panel.instalments
    states = [model.index(r, 5).data() for r in range(model.rowCount())]
    assert states == ["已还", "逾期", "逾期", "待还", "未到期", "未到期"]
    red = [model.index(r, 0).data(Qt.ItemDataRole.ForegroundRole) for r in range(model.rowCount())]
    assert [r is not None and r.color() == OVERDUE_RED for r in red] == [
        False, True, True, False, False, False,
    ]  # fmt: skip
    c = panel.commitments
    assert c.index(0, 3).data() == "14/24 个月" and c.index(0, 5).data() == "¥700.00"
    assert c.index(0, 2).data() == phone.imei
    _fits(window)
    # at 1366 the 终端 tab is wholly in view, not scrolled off the record's right edge
    bar = record.tabs.tabBar()
    assert bar.sizeHint().width() <= record.tabs.width(), (bar.sizeHint(), record.tabs.width())
    assert bar.rect().contains(bar.tabRect(index)), (bar.tabRect(index), bar.rect())
    assert record.tabs.tabToolTip(3).startswith("缴费记录。")  # short tab name, long one on hover
    for table in (panel.contract_table, panel.commitment_table):  # every column in view
        widths = sum(table.columnWidth(c) for c in range(table.model().columnCount()))
        assert widths <= table.viewport().width() + 1, table.objectName()
        assert table.columnWidth(1) >= 90  # 机型 not cut to "Appl…"
        # the IMEI elided in the middle: its first and last digits stay
        delegate = table.itemDelegateForColumn(IMEI_COLUMN)
        assert isinstance(delegate, MiddleElided)
        option = QStyleOptionViewItem()
        delegate.initStyleOption(option, table.model().index(0, IMEI_COLUMN))
        assert option.textElideMode == Qt.TextElideMode.ElideMiddle
        assert option.text == table.model().index(0, IMEI_COLUMN).data()
    _shot(window, "handsets-record")

    qtbot.keyClick(panel.instalment_table, Qt.Key.Key_K, CTRL)  # 还款
    dialog = _dialog(qtbot, window)
    _fits(dialog)
    assert dialog.choose.count.value() == 2  # the overdue ones, by default
    [contract] = hall.instalments.contracts(window.actor, sold.customer_id)
    due = contract.instalments[1].amount_fen + contract.instalments[2].amount_fen
    assert f"{due / 100:,.2f}" in dialog.choose.total.text()
    _shot(dialog, "handsets-repay-choose")
    qtbot.keyClick(dialog.choose.count, Qt.Key.Key_Return, CTRL)  # from the field
    pay = dialog.payment
    qtbot.waitUntil(lambda: dialog.current is pay, timeout=WAIT)
    assert dialog.next_button.text().startswith("收款并办结")
    qtbot.wait(60)
    button = dialog.next_button
    assert button.width() >= button.minimumSizeHint().width()  # the whole text shown
    _shot(dialog, "handsets-repay-payment")
    qtbot.keyClicks(pay.tendered, "3000")
    qtbot.keyClick(pay.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.current is dialog.finish, timeout=WAIT)
    paid = dialog.draft.paid
    assert paid is not None and paid.paid_seqs == (2, 3)
    assert "找零" in dialog.finish.result.text() and paid.order_no in dialog.finish.result.text()
    _shot(dialog, "handsets-repay-done")
    receipt = dialog.finish.buttons[DocumentKind.RECEIPT]
    assert receipt.isVisible() and "F10" in receipt.text()
    # the fee of instalments 2 and 3 is invoiced now: its invoice is offered beside the receipt
    invoice = dialog.finish.buttons[DocumentKind.INVOICE]
    assert paid.invoice_no is not None and invoice.isEnabled() and "F12" in invoice.text()
    assert f"手续费电子发票 {paid.invoice_no}" in dialog.finish.result.text()
    qtbot.keyClick(dialog.finish, Qt.Key.Key_F10)
    qtbot.waitUntil(lambda: dialog.finish.preview is not None, timeout=WAIT)
    assert dialog.finish.preview is not None and dialog.finish.preview.document.pageCount() == 1

    with hall.db.read() as s:
        order = s.scalars(
            select(Order).where(
                Order.order_type == OrderType.INSTALMENT_PAYMENT,
                Order.customer_id == sold.customer_id,  # the demo data has repayments of its own
            )
        ).one()
        assert order.total_fen == due
        [payment] = s.scalars(select(Payment).where(Payment.order_id == order.id)).all()
        assert payment.tendered_fen == 300_000 and payment.change_fen == 300_000 - due
        assert sorted(
            s.scalars(select(Instalment.seq).where(Instalment.paid_order_id == order.id))
        ) == [2, 3]
    # the record refreshed from the payment's announcement: nothing overdue now
    qtbot.waitUntil(lambda: "逾期" not in panel.banner.text(), timeout=WAIT)
    assert record.tabs.tabBar().tabTextColor(index) != OVERDUE_RED
    assert [model.index(r, 5).data() for r in range(model.rowCount())][:4] == [
        "已还", "已还", "已还", "待还",
    ]  # fmt: skip
    dialog.finish.preview.close()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)  # 完成
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    assert shown.items == []


def test_paying_off_early_and_a_payment_another_window_took_first(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    window, sold, _phone = _open(qtbot, session)
    hall, panel = session.hall, window.customers.record.handsets
    window.customers.record.tabs.setCurrentWidget(panel)
    [contract] = panel.shown_contracts

    # 还款 opened, but another window takes instalment 2 before this clerk's Enter
    qtbot.mouseClick(panel.repay_button, Qt.MouseButton.LeftButton)
    dialog = _dialog(qtbot, window)
    dialog.choose.count.setValue(1)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: dialog.current is dialog.payment, timeout=WAIT)
    other = hall.auth.log_in("clerk2", "hall1234")
    one = contract.instalments[1].amount_fen
    hall.instalments.pay_instalments(
        other, InstalmentPayRequest(contract.contract_id, 1, cash(one), from_seq=2)
    )
    qtbot.keyClicks(dialog.payment.tendered, f"{one / 100:.2f}")
    qtbot.keyClick(dialog.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "第 2 期已由其他窗口收款" in dialog.payment.error.text(), timeout=WAIT)
    assert dialog.payment.error.text().startswith("未办结，未收取任何费用")
    assert dialog.current is dialog.payment and dialog.draft.paid is None
    with hall.db.read() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(Order)
                .where(
                    Order.order_type == OrderType.INSTALMENT_PAYMENT,
                    Order.customer_id == sold.customer_id,
                )
            )
            == 1
        )  # the other window's only
    dialog.reject()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)

    # 提前结清 from the refreshed record
    qtbot.waitUntil(
        lambda: (
            panel.shown_contracts
            and panel.shown_contracts[0].next_due is not None
            and panel.shown_contracts[0].next_due.seq == 3
        ),
        timeout=WAIT,
    )
    fresh = panel.shown_contracts[0]
    qtbot.keyClick(panel.contract_table, Qt.Key.Key_K, CTRL | Qt.KeyboardModifier.ShiftModifier)
    dialog = _dialog(qtbot, window)
    assert not dialog.choose.count.isVisibleTo(dialog)
    assert "提前结清手续费 ¥50.00" in dialog.choose.note.text()
    # instalment 3 is overdue: its fee is paid; 4 (due on the 28th) and later ones' is waived
    fees = [dialog.choose.rows.index(r, 3).data() for r in range(dialog.choose.rows.rowCount())]
    three = fresh.unpaid[0]
    assert three.seq == 3 and three.overdue and three.fee_fen > 0
    assert fees == [f"¥{three.fee_fen / 100:,.2f}"] + ["¥0.00"] * (len(fresh.unpaid) - 1)
    assert f"已到期各期手续费 ¥{three.fee_fen / 100:,.2f}" in dialog.choose.note.text()
    assert f"{fresh.payoff_fen / 100:,.2f}" in dialog.choose.total.text()
    _shot(dialog, "handsets-payoff-choose")
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: dialog.current is dialog.payment, timeout=WAIT)
    qtbot.keyClicks(dialog.payment.tendered, f"{fresh.payoff_fen / 100:.2f}")
    qtbot.keyClick(dialog.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.current is dialog.finish, timeout=WAIT)
    paid = dialog.draft.paid
    assert paid is not None and paid.contract_status is ContractStatus.PAID_OFF
    assert paid.total_fen == fresh.payoff_fen
    qtbot.waitUntil(lambda: not panel.repay_button.isEnabled(), timeout=WAIT)
    assert "提前结清" in panel.summary.text()
    rect = QRect(dialog.next_button.mapTo(dialog, QPoint(0, 0)), dialog.next_button.size())
    assert dialog.rect().contains(rect)
    assert shown.items == []
