"""An installment sale as a clerk makes it: find the customer, Ctrl+H, choose the model and
分期购机, scan a mistyped IMEI and then the unit (and the same unit again), choose the months
and the down payment, run the credit check, the customer signs the schedule on their screen,
cash for the down payment. Then what the database holds: the order, the installment contract
and its schedule rows, the unit sold to the customer; and the contract PDF's text."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.db.models import Order, Payment
from hall_app.db.models.inventory import Device
from hall_app.db.models.orders import InstallmentContract, Instalment
from hall_app.domain.enums import CreditOutcome, DeviceStatus, PaymentMethod, SaleMode
from hall_app.domain.handsets import min_down_payment_fen
from hall_app.domain.money import capital_amount
from hall_app.services.documents import DocumentKind
from tests.gui.conftest import ShownMessages
from tests.gui.fixed_helpers import next_page, sign_now, today
from tests.gui.handset_helpers import adult_customer, stocked_model
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_wizard import WAIT, pdf_text
from ui import format as fmt
from ui.app import Session
from ui.documents import preview
from ui.handsets.page_imei import ALREADY
from ui.handsets.wizard import HandsetWizard


def open_wizard(qtbot: QtBot, session: Session, id_number: str) -> HandsetWizard:
    window = _logged_in(qtbot, session)
    page = window.customers
    qtbot.keyClicks(page.query, id_number)
    qtbot.keyClick(page.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    qtbot.waitUntil(page.handset_button.isEnabled, timeout=WAIT)
    qtbot.keyClick(page, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: window.handset_wizard is not None and window.handset_wizard.isVisible(),
        timeout=WAIT,
    )
    wizard = window.handset_wizard
    assert isinstance(wizard, HandsetWizard)
    return wizard


def choose_model(qtbot: QtBot, wizard: HandsetWizard, product_id: object, mode: SaleMode) -> None:
    models = wizard.model
    qtbot.waitUntil(lambda: models.rows.rowCount() > 0, timeout=WAIT)
    row = next(i for i, m in enumerate(models._shown) if m.product_id == product_id)
    models.table.setFocus()
    models.table.selectRow(row)
    assert wizard.draft.model is not None and wizard.draft.model.product_id == product_id
    key = {SaleMode.OUTRIGHT: Qt.Key.Key_1, SaleMode.CONTRACT: Qt.Key.Key_2}.get(mode, Qt.Key.Key_3)
    qtbot.keyClick(models, key, Qt.KeyboardModifier.AltModifier)  # the radio's mnemonic
    assert wizard.draft.mode is mode


def scan(qtbot: QtBot, wizard: HandsetWizard, text: str) -> None:
    field = wizard.imei.imei
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def test_an_installment_sale_from_search_to_the_signed_schedule(
    qtbot: QtBot,
    session: Session,
    shown: ShownMessages,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hall = session.hall
    assert hall is not None
    stock = stocked_model(hall)
    customer_id, id_number, _name = adult_customer(hall)
    unit = stock.imeis[0]
    wizard = open_wizard(qtbot, session, id_number)
    assert wizard.draft.customer_id == customer_id

    # 1. the model, 分期购机 (Alt+3)
    choose_model(qtbot, wizard, stock.product_id, SaleMode.INSTALLMENT)
    assert wizard.model.offer_rows.rowCount() >= 1
    next_page(qtbot, wizard)

    # 2. a mistyped IMEI (check digit) is named at once; then the unit; then the same again
    imei = wizard.imei
    wrong = unit[:-1] + str((int(unit[-1]) + 1) % 10)
    scan(qtbot, wizard, wrong)
    qtbot.waitUntil(lambda: "校验位" in imei.error.text(), timeout=WAIT)
    assert not wizard.next_button.isEnabled()
    scan(qtbot, wizard, unit)  # selected: the scan replaces the wrong one
    qtbot.waitUntil(lambda: wizard.draft.device is not None, timeout=WAIT)
    assert unit in imei.result.text()
    scan(qtbot, wizard, unit)
    assert imei.error.text() == ALREADY and wizard.draft.device is not None
    next_page(qtbot, wizard)

    # 3. 12 months, a down payment below the minimum first, then 40 %; the credit check
    terms = wizard.terms.installment
    months = terms.months
    index = next(i for i in range(months.count()) if months.itemText(i).startswith("12 期"))
    months.setCurrentIndex(index)
    offer = wizard.draft.offer
    assert offer is not None and offer.months == 12
    terms.down.selectAll()
    qtbot.keyClicks(terms.down, "1")
    assert "首付不能少于" in terms.down_error.text() and terms.rows.rowCount() == 0
    assert not wizard.next_button.isEnabled()
    down_fen = min_down_payment_fen(stock.price_fen, min(offer.min_down_payment_pct + 20, 90))
    terms.down.selectAll()
    qtbot.keyClicks(terms.down, str(down_fen // 100))
    assert terms.down_error.text() == ""
    assert terms.rows.rowCount() == 12  # the schedule, live
    preview_rows = [terms.rows.payload(i) for i in range(12)]
    assert sum(r.principal_fen for r in preview_rows) == stock.price_fen - down_fen
    assert "信用评估" in wizard.next_hint.text()
    qtbot.keyClick(terms.down, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: wizard.draft.credit_current is not None, timeout=WAIT)
    credit = wizard.draft.credit_current
    assert credit is not None and credit.outcome is CreditOutcome.APPROVED, credit
    assert terms.rules.rowCount() == len(credit.rules) >= 5
    assert "评估通过" in terms.verdict.text()
    next_page(qtbot, wizard)
    quote = wizard.draft.quote
    assert quote is not None and quote.total_fen == down_fen
    assert [(i.due_date, i.amount_fen) for i in quote.schedule] == [
        (r.due_date, r.amount_fen) for r in preview_rows
    ]

    # 4. the customer reads every instalment (figures and capitals) and signs
    dialog = wizard.confirm.customer_dialog
    assert dialog is not None and dialog.isVisible()
    summary = dialog.summary.text()
    for i in quote.schedule:
        assert i.due_date.isoformat() in summary and capital_amount(i.amount_fen) in summary
    assert unit in summary and capital_amount(quote.total_fen) in summary
    sign_now(qtbot, wizard)
    next_page(qtbot, wizard)

    # 5. cash for the down payment, Enter takes it
    pay = wizard.payment
    tendered = (down_fen // 10_000 + 1) * 10_000
    qtbot.keyClicks(pay.tendered, str(tendered // 100))
    qtbot.keyClick(pay.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.current is wizard.finish, timeout=WAIT)
    sold = wizard.draft.sold
    assert sold is not None and sold.contract_id is not None and sold.imei == unit
    result = wizard.finish.result.text()
    assert sold.order_no in result and "分期合同已生效：12 期" in result
    assert fmt.money(tendered - down_fen) in result  # the change

    # 6. the installment contract (F8): its text read back from the saved PDF
    saved: list[Path] = []

    def save_to(_parent: QWidget, suggested: str) -> str:
        saved.append(tmp_path / suggested)
        return str(saved[-1])

    monkeypatch.setattr(preview, "_ask_save_path", save_to)
    finish = wizard.finish
    button = finish.buttons[DocumentKind.INSTALLMENT_CONTRACT]
    qtbot.waitUntil(lambda: button.isVisible() and button.isEnabled(), timeout=WAIT)
    qtbot.keyClick(finish, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: DocumentKind.INSTALLMENT_CONTRACT in finish.previewed, timeout=WAIT)
    view = finish.preview
    assert view is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view, timeout=WAIT)
    qtbot.keyClick(view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "已保存到" in view.info.text(), timeout=WAIT)
    text = pdf_text(saved[-1])
    for i in quote.schedule:
        assert i.due_date.isoformat() in text, i
        assert fmt.money(i.amount_fen).lstrip("¥") in text, i
        assert capital_amount(i.amount_fen) in text.replace(" ", ""), i
    assert unit in text and sold.order_no in text
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard, timeout=WAIT)

    qtbot.keyClick(wizard, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=WAIT)
    session.ops.wait_idle()
    assert not [t for t in shown.texts() if "错误" in t or "失败" in t], shown.items

    with hall.db.read() as s:
        order = s.get_one(Order, sold.order_id)
        assert order.customer_id == customer_id and order.total_fen == down_fen
        assert order.signature_png is not None and order.signature_png.startswith(b"\x89PNG")
        assert order.terms_text == quote.terms
        contract = s.get_one(InstallmentContract, sold.contract_id)
        assert contract.order_id == order.id and contract.customer_id == customer_id
        assert contract.months == 12 and contract.down_payment_fen == down_fen
        assert contract.financed_fen == stock.price_fen - down_fen
        rows = s.scalars(
            select(Instalment).where(Instalment.contract_id == contract.id).order_by(Instalment.seq)
        ).all()
        assert [(r.seq, r.due_date, r.principal_fen, r.fee_fen) for r in rows] == [
            (i.seq, i.due_date, i.principal_fen, i.fee_fen) for i in quote.schedule
        ]
        assert sum(r.principal_fen for r in rows) == contract.financed_fen
        assert all(r.paid_at is None for r in rows)
        device = s.scalars(select(Device).where(Device.imei == unit)).one()
        assert device.status is DeviceStatus.SOLD and device.order_id == order.id
        assert device.customer_id == customer_id and device.warranty_from == today(hall)
        payment = s.scalars(select(Payment).where(Payment.order_id == order.id)).one()
        assert payment.method is PaymentMethod.CASH and payment.amount_fen == down_fen
        assert payment.change_fen == tendered - down_fen
