"""Walk of issue 14: 停机保号/复机 on a number 欠费停机 opens as 停机保号 with 下一步 enabled and
refuses only on Ctrl+Enter; the page knows the number's state when it opens and says so at once,
pointing to 缴费 (Ctrl+J) as 复机 does."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.db.models import Subscription
from hall_app.domain.enums import SubscriptionKind, SubscriptionStatus, SuspendReason
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from ui.app import Session

WAIT = 10_000


def test_suspend_on_an_arrears_suspended_number_says_so_at_once(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    with session.hall.db.read() as s:
        sub = s.scalars(
            select(Subscription)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.SUSPENDED,
                Subscription.suspend_reason == SuspendReason.ARREARS,
            )
            .order_by(Subscription.service_number)
            .limit(1)
        ).one()
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
    page.account_bar.menu_actions["suspend"].trigger()  # Ctrl+E, 停机保号/复机
    qtbot.waitUntil(
        lambda: window.account_dialog is not None and window.account_dialog.isVisible(),
        timeout=WAIT,
    )
    dialog = window.account_dialog
    session.ops.wait_idle()
    qtbot.wait(300)
    assert not dialog.next_button.isEnabled()  # nothing can be done here for this number
    assert "欠费停机" in dialog.next_hint.text() or any("欠费停机" in t for t in shown.texts())
