"""补换卡 and 销户 as a clerk does them from the open record's number: keys, scans and the
customer's signature, then the database."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Order, Payment, PhoneNumber, SimCard, Subscription
from hall_app.domain.enums import NumberStatus, OrderType, SimStatus, SubscriptionStatus
from hall_app.services.actor import Actor
from hall_app.services.customers import SubscriptionView
from hall_app.services.documents import DocumentKind
from tests.gui.conftest import ShownMessages
from tests.gui.fixed_helpers import sign_now
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_wizard import WAIT
from tests.sim_cancel_helpers import Mobile, mobile, new_sim, sim_of
from ui.account.actions import AccountContext, action
from ui.app import Session
from ui.ops import Operations
from ui.sim_cancel.cancel import CancelDialog
from ui.wizard.dialog import WizardDialog

CTRL = Qt.KeyboardModifier.ControlModifier
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screens"


def _context(
    hall: HallApp, clerk: Actor, ops: Operations, sub: Mobile, qtbot: QtBot
) -> AccountContext:
    from PySide6.QtWidgets import QWidget

    record = hall.customers.get_customer_record(clerk, sub.customer_id)
    view: SubscriptionView = next(v for v in record.subscriptions if v.id == sub.id)
    parent = QWidget()
    qtbot.addWidget(parent)
    return AccountContext(hall, clerk, ops, sub.customer_id, record.name, view, None, parent)


def _open(qtbot: QtBot, key: str, context: AccountContext) -> WizardDialog:
    dialog = action(key).opener()(context)
    assert isinstance(dialog, WizardDialog)  # owned by the context's parent window
    dialog.resize(1366 - 20, 728 - 40)
    dialog.open()
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    dialog.activateWindow()  # as the main window leaves it: the clerk's keys go to it
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)
    return dialog


def _shot(widget: object, name: str) -> None:
    import os

    if os.environ.get("HALL_SHOTS"):
        widget.grab().save(str(SHOTS / f"{name}.png"))  # type: ignore[attr-defined]


def test_a_clerk_swaps_the_card_of_a_number(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    sub = mobile(hall, clerk)
    card = new_sim(hall, 31)
    context = _context(hall, clerk, ops, sub, qtbot)  # its parent window stays alive
    dialog = _open(qtbot, "sim_swap", context)
    page = dialog.check  # type: ignore[attr-defined]
    assert not dialog.next_button.isEnabled() and "身份证件" in dialog.next_hint.text()
    qtbot.keyClick(page.id_ok, Qt.Key.Key_Space)
    qtbot.keyClick(page.id_ok, Qt.Key.Key_Tab)
    qtbot.keyClicks(page.face, "HK-FR-200")
    qtbot.keyClicks(page.iccid, card[:-1] + str((int(card[-1]) + 1) % 10))  # a misread
    qtbot.keyClick(page.iccid, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(page.error.text()), timeout=WAIT)
    assert dialog.env.draft.sim is None
    page.iccid.clear()
    qtbot.keyClicks(page.iccid, card)
    qtbot.keyClick(page.iccid, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.env.draft.sim is not None, timeout=WAIT)
    assert "新卡可用" in page.result.text()
    _shot(dialog, "sim-swap-check")
    qtbot.keyClick(page.iccid, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: dialog.current is dialog.confirm, timeout=WAIT)  # type: ignore[attr-defined]
    assert "补换卡费" in dialog.confirm.summary.text()  # type: ignore[attr-defined]
    sign_now(qtbot, dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)
    pay = dialog.payment  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: dialog.current is pay, timeout=WAIT)
    qtbot.keyClicks(pay.tendered, "50")
    qtbot.keyClick(pay.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.current is dialog.finish, timeout=WAIT)  # type: ignore[attr-defined]
    done = dialog.env.draft.done
    assert done is not None and done.invoice_no is not None
    text = dialog.finish.result.text()  # type: ignore[attr-defined]
    assert "已换新卡" in text and "找零 ¥40.00" in text
    _shot(dialog, "sim-swap-done")
    qtbot.keyClick(dialog.finish, Qt.Key.Key_F11)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: dialog.finish.preview is not None, timeout=WAIT)  # type: ignore[attr-defined]
    with hall.db.read() as s:
        after = s.get_one(Subscription, sub.id)
        assert after.sim_id == s.scalar(select(SimCard.id).where(SimCard.iccid == card))
        order = s.get_one(Order, done.order_id)
        assert order.order_type is OrderType.SIM_REPLACEMENT and order.signature_png
        pay_row = s.scalars(select(Payment).where(Payment.order_id == order.id)).one()
        assert (pay_row.tendered_fen, pay_row.change_fen) == (5_000, 4_000)
    assert sim_of(hall, card) is SimStatus.ASSIGNED
    assert sub.sim_id is not None
    dialog.finish.preview.close()  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)  # 完成
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    assert shown.items == []


def test_a_clerk_cancels_a_number_and_refunds_its_balance(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    sub = mobile(hall, clerk)
    context = _context(hall, clerk, ops, sub, qtbot)  # its parent window stays alive
    dialog = _open(qtbot, "cancel", context)
    checks = dialog.checks  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: dialog.env.draft.check is not None, timeout=WAIT)
    assert checks.rows.rowCount() == 6
    assert all(checks.rows.index(r, 1).data() == "✓ 通过" for r in range(6))
    assert "¥88.50" in checks.money.text() and "¥20.00" in checks.money.text()
    _shot(dialog, "cancel-checks")
    qtbot.keyClick(checks.table, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: dialog.current is dialog.confirm, timeout=WAIT)  # type: ignore[attr-defined]
    assert dialog.next_button.text().startswith("确认销户并退款")
    sign_now(qtbot, dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: dialog.current is dialog.finish, timeout=WAIT)  # type: ignore[attr-defined]
    done = dialog.env.draft.done
    assert done is not None and done.refund_fen == 8_850
    assert "请退还现金 ¥88.50" in dialog.finish.result.text()  # type: ignore[attr-defined]
    _shot(dialog, "cancel-done")
    qtbot.keyClick(dialog.finish, Qt.Key.Key_F10)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: dialog.finish.preview is not None, timeout=WAIT)  # type: ignore[attr-defined]
    with hall.db.read() as s:
        after = s.get_one(Subscription, sub.id)
        assert after.status is SubscriptionStatus.CANCELLED and after.balance_fen == 0
        number = s.scalars(select(PhoneNumber).where(PhoneNumber.number == sub.service_number))
        assert number.one().status is NumberStatus.QUARANTINED
        refund = s.scalars(select(Payment).where(Payment.order_id == done.order_id)).one()
        assert refund.amount_fen == -8_850
    dialog.finish.preview.close()  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)
    assert DocumentKind.INVOICE not in dialog.finish.buttons  # type: ignore[attr-defined]
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    assert shown.items == []


def test_a_refused_cancellation_cannot_go_on(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    from datetime import timedelta

    from hall_app.clock import business_date
    from tests.sim_cancel_helpers import unpaid_bill

    sub = mobile(hall, clerk)
    unpaid_bill(hall, sub, 4_321, business_date(hall.clock()) - timedelta(days=5))
    context = _context(hall, clerk, ops, sub, qtbot)  # its parent window stays alive
    dialog = _open(qtbot, "cancel", context)
    qtbot.waitUntil(lambda: dialog.env.draft.check is not None, timeout=WAIT)
    checks = dialog.checks  # type: ignore[attr-defined]
    assert checks.rows.index(0, 1).data() == "✗ 不通过"
    assert "有未缴话费 ¥43.21" in checks.verdict.text()
    assert not dialog.next_button.isEnabled()
    qtbot.keyClick(checks.table, Qt.Key.Key_Return, CTRL)
    assert dialog.current is checks
    _shot(dialog, "cancel-refused")


def test_from_the_record_menu_a_clerk_cancels_the_selected_number(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    """The 号码业务 menu's 销户 on the number selected on the record's 号码 tab; the record
    shows it cancelled afterwards."""
    hall = session.hall
    sub = mobile(hall, hall.auth.log_in("clerk1", "hall1234"))
    window = _logged_in(qtbot, session)
    page = window.customers
    page.open_customer(sub.customer_id)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    record = page.record
    table = record.tables["业务号码"]
    row = next(i for i, v in enumerate(record._record.subscriptions) if v.id == sub.id)  # type: ignore[union-attr]
    table.setFocus()
    table.setCurrentIndex(table.model().index(row, 0))
    assert page.selected_subscription() is not None
    page.account_bar.menu_actions["cancel"].trigger()  # 号码业务 (Ctrl+E) → 销户
    qtbot.waitUntil(
        lambda: window.account_dialog is not None and window.account_dialog.isVisible(),
        timeout=WAIT,
    )
    dialog = window.account_dialog
    assert isinstance(dialog, CancelDialog)
    qtbot.waitUntil(lambda: dialog.draft.check is not None, timeout=WAIT)
    assert dialog.draft.subscription_id == sub.id
    qtbot.keyClick(dialog.checks.table, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: dialog.current is dialog.confirm, timeout=WAIT)
    sign_now(qtbot, dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: dialog.current is dialog.finish, timeout=WAIT)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)  # 完成
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    # The record refreshed from the order's announcement: the number is 已销户.
    qtbot.waitUntil(
        lambda: any(
            v.id == sub.id and v.status is SubscriptionStatus.CANCELLED
            for v in (record._record.subscriptions if record._record else ())  # type: ignore[union-attr]
        ),
        timeout=WAIT,
    )
    assert shown.items == []


def test_f8_reads_the_owners_card_and_refuses_another(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    from dataclasses import replace

    from hall_app.devices.id_reader import SimulatedIdCardReader
    from tests.gui.test_open_mobile_wizard import card_of

    sub, other = mobile(hall, clerk), mobile(hall, clerk, skip=1)
    assert other.customer_id != sub.customer_id
    reader = SimulatedIdCardReader(
        [card_of(hall, other.customer_id), card_of(hall, sub.customer_id)]
    )
    app = replace(hall, id_reader=reader)
    context = replace(_context(hall, clerk, ops, sub, qtbot), app=app)
    dialog = _open(qtbot, "sim_swap", context)
    page = dialog.check  # type: ignore[attr-defined]
    assert page.read_button.isVisible()
    qtbot.keyClick(page.id_ok, Qt.Key.Key_F8)  # a stranger's card first
    qtbot.waitUntil(lambda: bool(shown.items), timeout=WAIT)
    assert "不是该号码机主" in shown.texts()[0] and not page.id_ok.isChecked()
    qtbot.keyClick(page.id_ok, Qt.Key.Key_F8)  # then the owner's
    qtbot.waitUntil(page.id_ok.isChecked, timeout=WAIT)
    assert dialog.env.draft.id_card is not None and "核对一致" in page.id_ok.text()
    assert page.face.hasFocus()
