"""Open an account action (Ctrl+E 停机保号/复机, 套餐变更, 增值业务 …) as a clerk would, on the
first suspended mobile number of the test template (for one suspension reason or any)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.db.models import Subscription
from hall_app.domain.enums import SubscriptionKind, SubscriptionStatus, SuspendReason
from tests.gui.test_customer_search import _logged_in
from ui.app import Session
from ui.wizard.dialog import WizardDialog

WAIT = 10_000


def open_on_suspended(
    qtbot: QtBot, session: Session, action: str, reason: SuspendReason | None = None
) -> WizardDialog:
    """The action's dialog on the number selected on the record's 号码 tab, its first reads
    done."""
    query = select(Subscription).where(
        Subscription.kind == SubscriptionKind.MOBILE,
        Subscription.status == SubscriptionStatus.SUSPENDED,
    )
    if reason is not None:
        query = query.where(Subscription.suspend_reason == reason)
    with session.hall.db.read() as s:
        sub = s.scalars(query.order_by(Subscription.service_number).limit(1)).one()
        customer_id, number = sub.customer_id, sub.service_number
    window = _logged_in(qtbot, session)
    page = window.customers
    page.open_customer(customer_id)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    record = page.record
    assert record._record is not None
    row = next(
        i
        for i, x in enumerate(record._record.subscriptions)
        if x.service_number[-4:] == number[-4:] and x.status.value == "suspended"
    )
    record.tables["业务号码"].selectRow(row)
    page.account_bar.menu_actions[action].trigger()
    qtbot.waitUntil(
        lambda: window.account_dialog is not None and window.account_dialog.isVisible(),
        timeout=WAIT,
    )
    dialog = window.account_dialog
    assert isinstance(dialog, WizardDialog)
    session.ops.wait_idle()
    qtbot.wait(300)
    return dialog
