"""套餐变更 and 增值业务 as a clerk does them from the open customer record: the number chosen on
the 号码 tab, the business from the 号码业务 menu, the plan or service chosen with the keyboard,
the customer's signature, the payment page only for a fee, and the done page; then the
subscription in the database. HALL_SHOTS=folder saves the screens as PNG."""

from __future__ import annotations

import os
import uuid
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from hall_app.db.models import Order, Payment, Subscription, SubscriptionAddon
from hall_app.domain.enums import OrderType
from hall_app.services.documents import DocumentKind
from tests.gui.conftest import ShownMessages
from tests.gui.fixed_helpers import sign_now
from tests.gui.test_customer_search import _logged_in
from tests.plan_helpers import TODAY, mobile_number, plan_id
from ui.app import Session
from ui.main_window.window import MainWindow
from ui.plan.common import ChangeDialog
from ui.screen import FRAME

WAIT = 10_000
CTRL = Qt.KeyboardModifier.ControlModifier
SHOTS = os.environ.get("HALL_SHOTS")


def _shot(widget: QWidget, name: str) -> None:
    if SHOTS:
        QTest.qWait(60)
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        assert widget.grab().save(str(Path(SHOTS) / f"{name}.png"))


def _fits(window: QWidget) -> None:
    area = window.screen().availableGeometry()
    outer = window.frameGeometry()
    assert area.contains(outer.topLeft()) and area.contains(outer.bottomRight())
    hint = window.minimumSizeHint() + FRAME
    assert hint.width() <= area.width() and hint.height() <= area.height()


def _open(
    qtbot: QtBot, session: Session, customer: uuid.UUID, sub_id: uuid.UUID, key: str
) -> tuple[MainWindow, ChangeDialog]:
    window = _logged_in(qtbot, session)
    page = window.customers
    page.open_customer(customer)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    record = page.record
    table = record.tables["业务号码"]
    qtbot.waitUntil(lambda: table.model().rowCount() > 0, timeout=WAIT)
    for row in range(table.model().rowCount()):
        table.selectRow(row)
        chosen = record.selected_subscription()
        if chosen is not None and chosen.id == sub_id:
            break
    assert record.selected_subscription().id == sub_id  # type: ignore[union-attr]
    page.account_bar.menu_actions[key].trigger()  # 号码业务 (Ctrl+E), then its item
    qtbot.waitUntil(
        lambda: window.account_dialog is not None and window.account_dialog.isVisible(),
        timeout=WAIT,
    )
    dialog = window.account_dialog
    assert isinstance(dialog, ChangeDialog)
    return window, dialog


def _row(dialog: ChangeDialog, qtbot: QtBot, text: str) -> None:
    """Arrow down the list to the row whose first column is ``text``."""
    table = dialog.choose.table  # type: ignore[attr-defined]
    model = table.model()
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=WAIT)
    table.setFocus()
    for _ in range(model.rowCount()):
        if model.index(table.currentIndex().row(), 0).data() == text:
            return
        qtbot.keyClick(table, Qt.Key.Key_Down)
    raise AssertionError(text)


def test_a_downgrade_inside_a_lock_in_with_the_penalty_paid_in_cash(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    hall = session.hall
    n = mobile_number(hall, "5G129", lock_in_until=date(2027, 5, 31))
    _window, dialog = _open(qtbot, session, n.customer_id, n.subscription_id, "plan_change")
    _fits(dialog)
    choose = dialog.choose
    _row(dialog, qtbot, "5G 畅享 29 元套餐")
    assert "违约金" in choose.note.text() and choose.agree.isVisible()  # type: ignore[attr-defined]
    assert not dialog.next_button.isEnabled()  # not without the customer's agreement
    qtbot.keyClick(choose.table, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)  # type: ignore[attr-defined]
    assert choose.agree.isChecked() and dialog.next_button.isEnabled()  # type: ignore[attr-defined]
    _shot(dialog, "plan-change-choose")
    qtbot.keyClick(choose.table, Qt.Key.Key_Return, CTRL)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: dialog.current is dialog.confirm, timeout=WAIT)
    assert (
        "¥100.00" in dialog.confirm.summary.text() and "2026-12-01" in dialog.confirm.summary.text()
    )
    sign_now(qtbot, dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: dialog.current is dialog.payment, timeout=WAIT)
    qtbot.keyClicks(dialog.payment.tendered, "200")
    qtbot.keyClick(dialog.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.current is dialog.finish, timeout=WAIT)
    done = dialog.draft.done
    assert done is not None and done.total_fen == 10_000 and done.invoice_no
    assert "找零 ¥100.00" in dialog.finish.result.text()
    assert dialog.finish.buttons[DocumentKind.RECEIPT].isEnabled()
    _shot(dialog, "plan-change-done")
    qtbot.keyClick(dialog.finish, Qt.Key.Key_F11)  # the 业务受理单
    qtbot.waitUntil(lambda: dialog.finish.preview is not None, timeout=WAIT)
    assert dialog.finish.preview is not None and dialog.finish.preview.document.pageCount() >= 1
    with hall.db.read() as s:
        sub = s.get_one(Subscription, n.subscription_id)
        assert sub.next_product_id == plan_id(hall, "5G029")
        assert sub.next_product_from == date(2026, 12, 1) and sub.lock_in_until is None
        payment = s.scalars(select(Payment).where(Payment.order_id == done.order_id)).one()
        assert (payment.amount_fen, payment.change_fen) == (10_000, 10_000)
    dialog.finish.preview.close()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)  # 完成
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    assert shown.items == []


def test_subscribing_a_value_added_service_skips_the_payment(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    hall = session.hall
    n = mobile_number(hall, "5G059", skip=5)
    _window, dialog = _open(qtbot, session, n.customer_id, n.subscription_id, "value_added")
    _fits(dialog)
    _row(dialog, qtbot, "视频彩铃")
    assert "今日不收费" in dialog.choose.note.text()  # type: ignore[attr-defined]
    _shot(dialog, "value-added-choose")
    qtbot.keyClick(dialog.choose.table, Qt.Key.Key_Return, CTRL)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: dialog.current is dialog.confirm, timeout=WAIT)
    sign_now(qtbot, dialog)
    assert not dialog.step_labels[2].isVisible()  # no 收款 step for a change with no fee
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: dialog.current is dialog.finish, timeout=WAIT)
    done = dialog.draft.done
    assert done is not None and done.total_fen == 0
    assert "本业务不收费" in dialog.finish.result.text()
    assert not dialog.finish.buttons[DocumentKind.RECEIPT].isEnabled()
    with hall.db.read() as s:
        addon = s.scalars(
            select(SubscriptionAddon).where(SubscriptionAddon.subscription_id == n.subscription_id)
        ).one()
        assert (addon.product_id, addon.active_from, addon.active_to) == (
            plan_id(hall, "VAS_RING"),
            TODAY,
            None,
        )
        order = s.get_one(Order, done.order_id)
        assert order.order_type is OrderType.ADD_VALUE_ADDED and order.signature_png
        assert s.scalar(select(func.count()).where(Payment.order_id == order.id)) == 0
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    assert shown.items == []
