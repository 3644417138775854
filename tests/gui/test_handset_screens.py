"""Every page of the 购机 wizard fits a 1366×768 counter monitor (the virtual screen of
screen_1366x768.json): the wizard with its frame, its minimum size and its buttons whole
inside it, on each page as the clerk reaches it: an installment sale whose credit check needs
a supervisor, a contract phone, a minor refused installments, the customer declining the
schedule. With HANDSET_SCREENS set to a directory, each page is also saved there as a PNG
(how docs/screens/handset-*.png are made, at 1366×768 and on a larger screen)."""

from __future__ import annotations

import os
import uuid
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select, update

from hall_app.app import HallApp
from hall_app.clock import business_date
from hall_app.db.models import Customer, Subscription
from hall_app.db.models.orders import InstallmentContract
from hall_app.domain.enums import CreditOutcome, CustomerKind, SaleMode
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from tests.gui.conftest import ShownMessages
from tests.gui.fixed_helpers import next_page, sign_now
from tests.gui.handset_helpers import adult_customer, contract_customer, stocked_model
from tests.gui.test_fixed_line_screens import USABLE, _inside
from tests.gui.test_open_mobile_wizard import WAIT
from ui.handsets.wizard import HandsetWizard
from ui.ops import Operations
from ui.screen import FRAME


def check(qtbot: QtBot, window: QWidget, name: str, buttons: list[QPushButton]) -> None:
    """Fits the screen (when it is the 1366×728 one); saved as a PNG when asked."""
    qtbot.wait(60)  # layouts settle
    area = window.screen().availableGeometry()
    if area.size() == USABLE:
        assert _inside(area, window.frameGeometry()), (name, window.frameGeometry(), area)
        outer = window.size() + FRAME
        assert outer.width() <= USABLE.width() and outer.height() <= USABLE.height(), name
        hint = window.minimumSizeHint() + FRAME
        assert hint.width() <= USABLE.width() and hint.height() <= USABLE.height(), name
        for button in buttons:
            assert button.isVisible(), (name, button.text())
            rect = QRect(button.mapTo(window, QPoint(0, 0)), button.size())
            assert _inside(window.rect(), rect), (name, button.text(), rect)
            assert button.width() >= button.minimumSizeHint().width(), (name, button.text())
    target = os.environ.get("HANDSET_SCREENS")
    if target:
        suffix = "" if area.size() == USABLE else f"-{area.width()}"
        Path(target).mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(Path(target) / f"handset-{name}{suffix}.png"))


def newcomer(hall: HallApp) -> uuid.UUID:
    """An adult customer registered (and verified) 20 days ago: the tenure rule refers the
    credit check to a supervisor."""
    customer_id, _, _ = adult_customer(hall)
    recent = hall.clock() - timedelta(days=20)
    with hall.db.unit_of_work() as s:
        s.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(created_at=recent, real_name_verified_at=recent)
        )
    return customer_id


def minor(hall: HallApp) -> uuid.UUID:
    """An individual under 18 with no installment contract."""
    today = business_date(hall.clock())
    with hall.db.read() as s:
        found = s.scalars(
            select(Customer.id)
            .where(
                Customer.kind == CustomerKind.INDIVIDUAL,
                Customer.birth_date > date(today.year - 17, 1, 1),
                Customer.id.not_in(select(InstallmentContract.customer_id)),
                Customer.id.not_in(
                    select(Subscription.customer_id).where(Subscription.balance_fen < 0)
                ),
            )
            .limit(1)
        ).first()
    if found is not None:
        return found
    customer_id, _, _ = adult_customer(hall)  # none in the demo: make one 16
    with hall.db.unit_of_work() as s:
        s.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(birth_date=date(today.year - 16, 3, 1))
        )
    return customer_id


def start(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, customer_id: uuid.UUID, name: str
) -> HandsetWizard:
    wizard = HandsetWizard(hall, clerk, ops, customer_id, customer_name=name)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard, timeout=WAIT)
    qtbot.waitUntil(lambda: wizard.model.rows.rowCount() > 0, timeout=WAIT)
    return wizard


def pick(qtbot: QtBot, wizard: HandsetWizard, product_id: uuid.UUID, mode: SaleMode) -> None:
    models = wizard.model
    models.table.selectRow(
        next(i for i, m in enumerate(models._shown) if m.product_id == product_id)
    )
    models.mode_buttons[mode].click()
    assert wizard.draft.mode is mode


def scan(qtbot: QtBot, wizard: HandsetWizard, imei: str) -> None:
    wizard.imei.imei.selectAll()
    qtbot.keyClicks(wizard.imei.imei, imei)
    qtbot.keyClick(wizard.imei.imei, Qt.Key.Key_Return)


def test_every_page_of_an_installment_sale_needing_a_supervisor_fits(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    ops: Operations,
    shown: ShownMessages,
) -> None:
    stock = stocked_model(hall)
    wizard = start(qtbot, hall, clerk, ops, newcomer(hall), "张敏")
    nav = [wizard.next_button, wizard.back_button, wizard.cancel_button]
    pick(qtbot, wizard, stock.product_id, SaleMode.INSTALLMENT)
    check(qtbot, wizard, "model", nav)

    next_page(qtbot, wizard)
    scan(qtbot, wizard, stock.imeis[0])
    qtbot.waitUntil(lambda: wizard.draft.device is not None, timeout=WAIT)
    check(qtbot, wizard, "imei", nav)

    next_page(qtbot, wizard)
    terms = wizard.terms.installment
    months = terms.months
    months.setCurrentIndex(
        next(i for i in range(months.count()) if months.itemText(i).startswith("12 期"))
    )
    assert terms.rows.rowCount() == 12
    qtbot.keyClick(terms.down, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: wizard.draft.credit_current is not None, timeout=WAIT)
    credit = wizard.draft.credit_current
    assert credit is not None and credit.outcome is CreditOutcome.SUPERVISOR, credit
    assert terms.sup_box.isVisible() and not wizard.next_button.isEnabled()
    assert "实名在网" in terms.verdict.text()
    check(
        qtbot,
        wizard,
        "terms-supervisor",
        [*nav, terms.assess_button, terms.sup_button, terms.remote_button],
    )

    # a wrong password is named; the supervisor's own lets the sale go ahead
    qtbot.keyClicks(terms.sup_user, "super1")
    qtbot.keyClicks(terms.sup_password, "wrong-password")
    qtbot.keyClick(terms.sup_password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: terms.sup_result.text() != "", timeout=WAIT)
    assert not wizard.next_button.isEnabled()
    qtbot.keyClicks(terms.sup_password, "hall1234")
    qtbot.keyClick(terms.sup_password, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: bool(wizard.draft.credit and wizard.draft.credit.approved_by), timeout=WAIT
    )
    assert not terms.sup_box.isVisible() and "审批通过" in terms.verdict.text()
    check(qtbot, wizard, "terms-installment", [*nav, terms.assess_button])

    # another down payment is another monthly amount: assessed again
    terms.down.selectAll()
    qtbot.keyClicks(terms.down, str(stock.price_fen // 200))
    assert wizard.draft.credit_current is None and not wizard.next_button.isEnabled()
    assert "重新评估" in terms.verdict.text()
    qtbot.keyClick(terms.down, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: wizard.draft.credit_current is not None, timeout=WAIT)
    terms.sup_user.clear()
    qtbot.keyClicks(terms.sup_user, "super1")
    qtbot.keyClicks(terms.sup_password, "hall1234")
    qtbot.keyClick(terms.sup_password, Qt.Key.Key_Return)
    qtbot.waitUntil(wizard.next_button.isEnabled, timeout=WAIT)

    next_page(qtbot, wizard)
    dialog = wizard.confirm.customer_dialog
    assert dialog is not None
    check(
        qtbot,
        dialog,
        "customer-confirm",
        [dialog.confirm_button, dialog.clear_button, dialog.decline_button],
    )
    # the customer rejects the schedule: back to the terms, nothing signed
    dialog.decline_button.click()
    qtbot.waitUntil(lambda: wizard.current is wizard.terms, timeout=WAIT)
    assert wizard.draft.signature_png is None and not dialog.isVisible()
    assert any("客户不同意" in t and "未收取任何费用" in t for t in shown.texts()), shown.items
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard, timeout=WAIT)  # keys back
    next_page(qtbot, wizard)
    sign_now(qtbot, wizard)
    check(qtbot, wizard, "confirm", [*nav, wizard.confirm.ask_button])

    next_page(qtbot, wizard)
    quote = wizard.draft.quote
    assert quote is not None
    qtbot.keyClicks(wizard.payment.tendered, str(quote.total_fen // 10_000 * 100 + 100))
    check(qtbot, wizard, "payment", nav[:2])
    qtbot.keyClick(wizard.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.current is wizard.finish, timeout=WAIT)
    # offered once the page has asked whether there is one
    qtbot.waitUntil(
        wizard.finish.buttons[DocumentKind.INSTALLMENT_CONTRACT].isVisible, timeout=WAIT
    )
    check(qtbot, wizard, "done", [wizard.next_button, *wizard.finish.buttons.values()])
    ops.wait_idle()
    assert not [t for t in shown.texts() if "错误" in t], shown.items


def test_a_contract_phone_and_a_minor_refused_installments_fit(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    ops: Operations,
    shown: ShownMessages,
) -> None:
    stock = stocked_model(hall)
    offer_plan = 0
    wizard = start(qtbot, hall, clerk, ops, minor(hall), "陈小雨")
    nav = [wizard.next_button, wizard.back_button, wizard.cancel_button]
    pick(qtbot, wizard, stock.product_id, SaleMode.INSTALLMENT)
    next_page(qtbot, wizard)
    scan(qtbot, wizard, stock.imeis[1])
    qtbot.waitUntil(lambda: wizard.draft.device is not None, timeout=WAIT)
    next_page(qtbot, wizard)
    terms = wizard.terms.installment
    terms.assess()
    qtbot.waitUntil(lambda: terms.verdict.text() != "正在评估…", timeout=WAIT)
    credit = wizard.draft.credit_current
    assert credit is not None and credit.outcome is CreditOutcome.REFUSED, credit
    assert "18 周岁" in terms.verdict.text() and "不能分期购机" in wizard.next_hint.text()
    assert not wizard.next_button.isEnabled()
    check(qtbot, wizard, "terms-refused", [*nav, terms.assess_button])
    wizard.reject()

    model = next(m for m in [wizard.draft.model] if m is not None)
    contract = next(o for o in model.offers if o.kind.value == "contract")
    offer_plan = contract.min_plan_fen
    customer_id, _ = contract_customer(hall, offer_plan)
    wizard = start(qtbot, hall, clerk, ops, customer_id, "王建国")
    nav = [wizard.next_button, wizard.back_button, wizard.cancel_button]
    pick(qtbot, wizard, stock.product_id, SaleMode.CONTRACT)
    wizard.model.offers.selectRow(
        next(i for i, o in enumerate(wizard.model._offers) if o.id == contract.id)
    )
    check(qtbot, wizard, "model-contract", nav)
    next_page(qtbot, wizard)
    scan(qtbot, wizard, stock.imeis[2])
    qtbot.waitUntil(lambda: wizard.draft.device is not None, timeout=WAIT)
    next_page(qtbot, wizard)
    part = wizard.terms.contract
    qtbot.waitUntil(lambda: part.rows.rowCount() > 0, timeout=WAIT)
    qtbot.waitUntil(lambda: wizard.draft.plan is not None, timeout=WAIT)
    assert "退还未履约月份的补贴" in part.rule.text()
    check(qtbot, wizard, "terms-contract", nav)
    next_page(qtbot, wizard)
    dialog = wizard.confirm.customer_dialog
    assert dialog is not None
    assert wizard.draft.plan is not None and wizard.draft.plan.number_masked in (
        dialog.summary.text()
    )
    check(qtbot, dialog, "customer-confirm-contract", [dialog.confirm_button])
    wizard.reject()
    ops.wait_idle()
