"""The plan page's promotion, as the clerk and the customer see it, is what is charged: the
comparison states the discounted fee, the customer's screen lists the discount line and the
terms, and the payment page asks for the discounted total."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Order
from hall_app.services.actor import Actor
from tests.gui.conftest import ShownMessages
from tests.gui.test_open_mobile_pages import _to_number_page, _wizard
from tests.gui.test_open_mobile_wizard import WAIT, next_page, sign
from tests.integration.test_open_mobile import _customer_without_mobile, _sim
from ui.ops import Operations

NEW5G = "新入网 5G 套餐前 6 个月半价"


def test_the_promotion_shown_is_signed_and_charged(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops, _customer_without_mobile(hall))
    _to_number_page(qtbot, wizard)
    next_page(qtbot, wizard)
    plans = wizard.plan
    qtbot.waitUntil(lambda: plans.plan_list.count() > 0, timeout=WAIT)
    row = next(
        i
        for i in range(plans.plan_list.count())
        if plans.plan_list.item(i).data(Qt.ItemDataRole.UserRole) == "5G129"
    )
    plans.plan_list.setCurrentRow(row)
    qtbot.keyClick(plans.plan_list, Qt.Key.Key_Space)
    assert plans.compared_codes() == ["5G129"]
    promotion_cell = plans.compare.item(5, 0).text()
    assert NEW5G in promotion_cell and "前 6 个月 ¥64.50/月" in promotion_cell
    plans.plan_combo.setCurrentIndex(plans.plan_combo.findData("5G129"))
    next_page(qtbot, wizard)
    quote = wizard.draft.quote
    assert quote is not None and quote.total_fen == 6_450  # ¥129.00 - ¥64.50, no add-on

    qtbot.keyClicks(wizard.sim.iccid, _sim(hall))
    qtbot.keyClick(wizard.sim.iccid, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.sim is not None, timeout=WAIT)
    next_page(qtbot, wizard)
    dialog = wizard.confirm.customer_dialog
    assert dialog is not None and dialog.isVisible()
    summary = dialog.summary.text()
    assert f"优惠：{NEW5G}" in summary and "-¥64.50" in summary
    assert "¥129.00" in summary and "<b>¥64.50</b>" in summary  # the total, in bold
    assert "第 1–6 个月月费 ¥64.50，第 7 个月起 ¥129.00" in summary
    sign(dialog.pad, [(40, 40), (200, 120), (300, 60)])
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.draft.signature_png is not None, timeout=WAIT)
    next_page(qtbot, wizard)

    pay = wizard.payment
    assert pay.due.text().endswith("¥64.50")
    qtbot.keyClicks(pay.tendered, "100")
    assert pay.change.text() == "¥35.50"
    qtbot.keyClick(pay.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.current is wizard.done_page, timeout=WAIT)
    opened = wizard.draft.opened
    assert opened is not None and opened.total_fen == 6_450
    assert opened.invoice_total_fen == 6_450
    with hall.db.read() as s:
        order = s.get_one(Order, opened.order_id)
        assert order.terms_text == quote.terms and NEW5G in order.terms_text
        assert s.scalars(select(Order.total_fen).where(Order.id == opened.order_id)).one() == 6_450
