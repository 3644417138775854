"""资料变更 and 挂失 → 解挂 as a clerk does them from the open customer record: the 号码业务
menu item, typing, the customer signing on the customer screen, 确认办理 (Ctrl+Enter), the
acceptance form; then what the database holds."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Customer, Order, Subscription
from hall_app.devices.id_reader import SimulatedIdCardReader
from hall_app.domain.enums import OrderType, SubscriptionStatus, SuspendReason
from hall_app.services.documents import DocumentKind
from tests.custdata_helpers import Owner, card, make_owner
from tests.gui.conftest import ShownMessages
from tests.gui.fixed_helpers import sign_now
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_wizard import WAIT
from ui.account_changes.frame import ChangeDialog
from ui.app import Session
from ui.main_window.window import MainWindow
from ui.ops import Operations

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"


def _screen(dialog: ChangeDialog, name: str) -> None:
    """With HALL_SCREENS=1, the dialog as the clerk sees it, for docs/screens."""
    if os.environ.get("HALL_SCREENS"):
        dialog.grab().save(str(SCREENS / f"{name}.png"))


@pytest.fixture
def reader_session(hall: HallApp, ops: Operations, qtbot: QtBot) -> Iterator[Session]:
    s = Session(replace(hall, id_reader=SimulatedIdCardReader([card()])), ops)
    yield s
    ops.wait_idle()
    if s.window is not None:
        s.window.leave_confirmed = True
        s.window.close()
    if s.login is not None:
        s.login.close()


def _record(qtbot: QtBot, session: Session, customer_id: uuid.UUID) -> MainWindow:
    window = _logged_in(qtbot, session)
    page = window.customers
    page.open_customer(customer_id)
    qtbot.waitUntil(
        lambda: page.current is not None and page.selected_subscription() is not None,
        timeout=WAIT,
    )
    return window


def _menu(qtbot: QtBot, window: MainWindow, key: str) -> ChangeDialog:
    """The 号码业务 menu's item, as the clerk picks it (Ctrl+E then its digit)."""
    window.customers.account_bar.menu_actions[key].trigger()
    qtbot.waitUntil(
        lambda: window.account_dialog is not None and window.account_dialog.isVisible(),
        timeout=WAIT,
    )
    dialog = window.account_dialog
    assert isinstance(dialog, ChangeDialog)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)
    return dialog


def _next(qtbot: QtBot, dialog: ChangeDialog) -> None:
    qtbot.keyClick(
        QApplication.focusWidget() or dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
    )


def _done(qtbot: QtBot, dialog: ChangeDialog) -> None:
    qtbot.waitUntil(lambda: dialog.current is dialog.finish, timeout=WAIT)


def test_a_clerk_changes_the_contact_phone(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    hall = session.hall
    owner = make_owner(hall)
    window = _record(qtbot, session, owner.customer_id)
    dialog = _menu(qtbot, window, "customer_data")
    page = dialog.first
    assert not dialog.next_button.isEnabled()  # nothing to change yet
    qtbot.keyClicks(QApplication.focusWidget() or page.phone, "12345678901")
    assert page.phone.hasFocus()
    _next(qtbot, dialog)
    qtbot.waitUntil(lambda: "号段" in page.error.text(), timeout=WAIT)
    assert dialog.current is page
    page.phone.clear()
    qtbot.keyClicks(page.phone, "13305912345")
    _next(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.current is dialog.confirm, timeout=WAIT)
    assert "133****2345" in dialog.confirm.summary.text()
    assert dialog.next_button.text() == "确认办理 (Ctrl+Enter)"
    assert not dialog.next_button.isEnabled()  # the customer signs first
    sign_now(qtbot, dialog)
    _screen(dialog, "custdata_confirm")
    _next(qtbot, dialog)
    _done(qtbot, dialog)
    assert "资料变更已办结" in dialog.finish.result.text()
    qtbot.keyClick(dialog.finish, Qt.Key.Key_F11)  # the acceptance form's preview
    qtbot.waitUntil(lambda: dialog.finish.preview is not None, timeout=WAIT)
    assert DocumentKind.ACCEPTANCE_FORM in dialog.finish.previewed
    dialog.finish.preview.close()
    _screen(dialog, "custdata_done")
    with hall.db.read() as s:
        assert s.get_one(Customer, owner.customer_id).contact_phone == "13305912345"
        order = s.scalars(select(Order).where(Order.customer_id == owner.customer_id)).one()
        assert order.order_type is OrderType.CHANGE_CUSTOMER and order.signature_png
        assert "133****2345" in order.terms_text
    assert not shown.texts()


def test_a_clerk_reports_a_loss_then_reinstates_with_the_card(
    qtbot: QtBot, reader_session: Session, shown: ShownMessages
) -> None:
    session = reader_session
    hall = session.hall
    owner = make_owner(hall)
    window = _record(qtbot, session, owner.customer_id)
    dialog = _menu(qtbot, window, "loss")
    assert dialog.first.what == "挂失"
    dialog.first.reporter.insert("王大明")  # typed through the input method
    _next(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.current is dialog.confirm, timeout=WAIT)
    # the owner is not there: no signature needed for a loss report
    assert dialog.next_button.isEnabled()
    _next(qtbot, dialog)
    _done(qtbot, dialog)
    assert "挂失已办结" in dialog.finish.result.text()
    with hall.db.read() as s:
        sub = s.get_one(Subscription, owner.subscription_id)
        assert sub.status is SubscriptionStatus.SUSPENDED
        assert sub.suspend_reason is SuspendReason.LOST
    _next(qtbot, dialog)  # 完成
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    page = window.customers
    qtbot.waitUntil(
        lambda: (s := page.selected_subscription()) is not None and "挂失" in s.status_text,
        timeout=WAIT,
    )
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)

    dialog = _menu(qtbot, window, "loss")
    first = dialog.first
    assert first.what == "解挂"
    assert not dialog.next_button.isEnabled()  # the owner's ID first
    qtbot.keyClick(first, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: first.card is not None, timeout=WAIT)
    _screen(dialog, "custdata_reinstate")
    _next(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.current is dialog.confirm, timeout=WAIT)
    assert not dialog.next_button.isEnabled()
    sign_now(qtbot, dialog)
    _next(qtbot, dialog)
    _done(qtbot, dialog)
    assert "解挂已办结" in dialog.finish.result.text()
    with hall.db.read() as s:
        sub = s.get_one(Subscription, owner.subscription_id)
        assert sub.status is SubscriptionStatus.ACTIVE and sub.suspend_reason is None
        types = s.scalars(
            select(Order.order_type).where(Order.customer_id == owner.customer_id)
        ).all()
        assert sorted(t.value for t in types) == ["loss_report", "reinstate"]
    assert not shown.texts()


def _suspend_or_resume(
    qtbot: QtBot, window: MainWindow, owner: Owner, what: str, after: tuple[object, object]
) -> None:
    dialog = _menu(qtbot, window, "suspend")
    assert dialog.first.what == what
    _next(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.current is dialog.confirm, timeout=WAIT)
    if what == "停机保号":
        assert "¥5.00/月" in dialog.confirm.summary.text()
    sign_now(qtbot, dialog)
    _next(qtbot, dialog)
    _done(qtbot, dialog)
    assert f"{what}已办结" in dialog.finish.result.text()
    with dialog.env.app.db.read() as s:
        sub = s.get_one(Subscription, owner.subscription_id)
        assert (sub.status, sub.suspend_reason) == after
    _next(qtbot, dialog)  # 完成
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    page = window.customers
    qtbot.waitUntil(
        lambda: (v := page.selected_subscription()) is not None and v.status is after[0],
        timeout=WAIT,
    )
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)


def test_a_clerk_suspends_a_number_and_resumes_it(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    owner = make_owner(session.hall)
    window = _record(qtbot, session, owner.customer_id)
    suspended = (SubscriptionStatus.SUSPENDED, SuspendReason.VOLUNTARY)
    _suspend_or_resume(qtbot, window, owner, "停机保号", suspended)
    _suspend_or_resume(qtbot, window, owner, "复机", (SubscriptionStatus.ACTIVE, None))
    assert not shown.texts()
