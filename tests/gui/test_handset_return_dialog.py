"""手机退货 from the customer page, as a clerk does it: the customer's handset sales listed
(the returnable one chosen), 验机 ticked, the reason typed, the supervisor's user name and
password, Ctrl+Enter; the refund by the sale's methods, the red-letter invoice and the unit
back in stock, announced and told, the refund's receipt shown. With HANDSET_SCREENS set to a
directory the dialog is saved there as handset_return.png (docs/screens)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Device, Invoice, Payment
from hall_app.domain.enums import (
    DeviceStatus,
    InvoiceKind,
    InvoiceStatus,
    PaymentMethod,
    SaleMode,
)
from hall_app.domain.payments import PaymentInput
from hall_app.services.actor import Actor
from tests.gui.conftest import ShownMessages
from tests.gui.test_open_mobile_wizard import WAIT
from tests.handset_fixtures import prepare_handsets, sale_request, signed
from tests.return_fixtures import sell_outright, stock_unit
from ui import format as fmt
from ui.customers.search import CustomerSearchPage
from ui.ops import ChangeEvent, Changes, Operations

CTRL = Qt.KeyboardModifier.ControlModifier


def test_a_clerk_returns_a_handset_with_the_supervisor(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    st = prepare_handsets(hall)
    first = sell_outright(hall, clerk, st, stock_unit(hall, clerk, st, 11))
    price = first.total_fen
    cash = PaymentInput(PaymentMethod.CASH, 50_000, tendered_fen=50_000)
    card = PaymentInput(PaymentMethod.BANK_CARD, price - 50_000, reference="POS654321")
    sold = sell_outright(hall, clerk, st, stock_unit(hall, clerk, st, 12), (cash, card))
    announced: list[ChangeEvent] = []
    ops.changed.connect(announced.append)

    page = CustomerSearchPage(
        hall.customers, clerk, ops, None, hall.invoices, hall.documents,
        returns=hall.handset_returns, auth=hall.auth,
    )  # fmt: skip
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    assert not page.return_button.isEnabled()  # nobody open yet
    page.open_customer(st.customer_id)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    assert page.return_button.isEnabled()
    qtbot.keyClick(page, Qt.Key.Key_T, CTRL)
    dialog = page.return_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.model.rowCount() >= 2, timeout=WAIT)
    assert dialog.chosen is not None and dialog.chosen.order_id == sold.order_id  # the newest
    assert "可以退货" in dialog.model.data(dialog.model.index(0, 7))
    assert "现金" in dialog.status.text() and sold.imei in dialog.status.text()

    # Not ticked: said in the dialog, nothing returned.
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)
    assert "外观完好" in dialog.error.text()
    assert dialog.undamaged.hasFocus()  # the check asks for it: Space ticks it
    qtbot.keyClick(dialog.undamaged, Qt.Key.Key_Space)
    assert dialog.undamaged.isChecked()
    dialog.reason.insert("七天无理由退货")  # what the input method commits
    qtbot.keyClicks(dialog.supervisor_user, "super1")
    # A wrong password: refused by the service, said in the dialog, the password cleared.
    qtbot.keyClicks(dialog.supervisor_password, "wrong-pass")
    qtbot.keyClick(dialog.supervisor_password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "未退货" in dialog.error.text(), timeout=WAIT)
    assert dialog.supervisor_password.text() == ""
    with hall.db.read() as s:
        assert s.scalar(select(Device.status).where(Device.imei == sold.imei)) is (
            DeviceStatus.SOLD
        )
    qtbot.waitUntil(lambda: dialog.return_button.isEnabled(), timeout=WAIT)
    qtbot.keyClicks(dialog.supervisor_password, "hall1234")
    dialog.error.clear()
    target = os.environ.get("HANDSET_SCREENS")  # a directory: docs/screens for the README
    if target:
        assert dialog.grab().save(str(Path(target) / "handset_return.png"))
    assert dialog.width() <= 1366 and dialog.height() <= 768
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)

    assert "已退货" in shown.texts()[-1] and sold.imei in shown.texts()[-1]
    assert "现金 ¥500.00" in shown.texts()[-1]
    assert any(
        e.touches(Changes.CASH | Changes.STOCK) and e.customer_id == st.customer_id
        for e in announced
    )
    assert "已退货" in page.hint.text() and "红字发票" in page.hint.text()
    # The refund's receipt is shown to print.
    qtbot.waitUntil(
        lambda: page.return_preview is not None and page.return_preview.isVisible(), timeout=WAIT
    )
    assert page.return_preview is not None
    assert page.return_preview.windowTitle().startswith("退货小票 SL")
    page.return_preview.close()
    with hall.db.read() as s:
        unit = s.scalars(select(Device).where(Device.imei == sold.imei)).one()
        assert unit.status is DeviceStatus.RETURNED and unit.location == "营业厅库房"
        blue = s.scalars(select(Invoice).where(Invoice.invoice_no == sold.invoice_no)).one()
        assert blue.status is InvoiceStatus.RED_LETTERED
        assert (
            s.scalar(
                select(Invoice.total_fen).where(
                    Invoice.kind == InvoiceKind.RED, Invoice.original_invoice_id == blue.id
                )
            )
            == -price
        )
        refunds = sorted(  # this return's (the demo data has returns of its own)
            s.scalars(
                select(Payment.amount_fen).where(
                    Payment.amount_fen < 0, Payment.customer_id == st.customer_id
                )
            ).all()
        )
        assert refunds == sorted([-50_000, 50_000 - price])
    # The other sale is still listed, this one as returned.
    qtbot.mouseClick(page.return_button, Qt.MouseButton.LeftButton)
    again = page.return_dialog
    assert again is not None and again is not dialog
    qtbot.waitUntil(lambda: again.model.rowCount() >= 2, timeout=WAIT)
    rows = {again.model.data(again.model.index(r, 0)): again.model.data(again.model.index(r, 7))
            for r in range(again.model.rowCount())}  # fmt: skip
    assert "已于受理单" in rows[sold.order_no] and rows[first.order_no] == "可以退货"
    again.reject()
    QApplication.processEvents()


def test_an_installment_sale_is_listed_at_its_price_without_a_deadline(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations
) -> None:
    """Walk-through: ¥1,500.00 (the down payment) for a ¥5,999 installment sale, and a 退货截止
    date although it can never be returned."""
    st = prepare_handsets(hall)
    req = sale_request(st, SaleMode.INSTALLMENT)
    assert req.offer_id is not None
    credit = hall.handsets.assess_credit(
        clerk, req.customer_id, req.product_id, req.offer_id, req.down_payment_fen
    )
    req = replace(req, credit_assessment_id=credit.assessment_id)
    sold = hall.handsets.sell(clerk, signed(hall, clerk, req))
    page = CustomerSearchPage(
        hall.customers, clerk, ops, None, hall.invoices, hall.documents,
        returns=hall.handset_returns, auth=hall.auth,
    )  # fmt: skip
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    page.open_customer(st.customer_id)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    qtbot.keyClick(page, Qt.Key.Key_T, CTRL)
    dialog = page.return_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.model.rowCount() >= 1, timeout=WAIT)
    row = next(
        r for r in range(dialog.model.rowCount())
        if dialog.model.data(dialog.model.index(r, 0)) == sold.order_no
    )  # fmt: skip
    cells = [dialog.model.data(dialog.model.index(row, c)) for c in range(8)]
    assert cells[4] == "—"
    assert cells[5] == fmt.money(st.price_fen)  # the price, not the down payment
    assert cells[6] == f"现金 {fmt.money(sold.total_fen)}" and sold.total_fen < st.price_fen
    assert cells[7] == "分期购机不能退货（仅限裸机购买）"
    dialog.table.selectRow(row)
    assert f"已付 {fmt.money(sold.total_fen)}" in dialog.status.text()
    assert not dialog.return_button.isEnabled()
    target = os.environ.get("HANDSET_SCREENS")
    if target:
        assert dialog.grab().save(str(Path(target) / "handset_return_installment.png"))
    dialog.reject()
    QApplication.processEvents()
