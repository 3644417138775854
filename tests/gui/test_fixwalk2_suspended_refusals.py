"""套餐变更 and 增值业务 on a suspended number refuse when the page opens (the service's status
check asked up front), with 下一步 disabled, not only on Ctrl+Enter."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.db.models import Subscription
from hall_app.domain.enums import SubscriptionKind, SubscriptionStatus
from tests.gui.test_customer_search import _logged_in
from ui.app import Session

WAIT = 10_000


@pytest.mark.parametrize("action", ["plan_change", "value_added"])
def test_a_suspended_number_is_refused_when_the_page_opens(
    qtbot: QtBot, session: Session, action: str
) -> None:
    with session.hall.db.read() as s:
        sub = s.scalars(
            select(Subscription)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.SUSPENDED,
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
    page.account_bar.menu_actions[action].trigger()
    qtbot.waitUntil(
        lambda: window.account_dialog is not None and window.account_dialog.isVisible(),
        timeout=WAIT,
    )
    dialog = window.account_dialog
    session.ops.wait_idle()
    qtbot.wait(300)
    assert not dialog.next_button.isEnabled()
    assert "不能办理" in dialog.next_hint.text()
