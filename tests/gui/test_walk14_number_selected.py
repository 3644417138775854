"""Walk of issue 14: the clerk finds the customer by typing one of the customer's numbers; the
record's 号码 tab has that number selected, so 号码业务 (Ctrl+E) acts on it at once (instead of
"请先在客户资料的“号码”页选中要办理的号码" for every customer with more than one number)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from hall_app.db.models import Subscription
from hall_app.domain.enums import SubscriptionKind, SubscriptionStatus
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from ui.app import Session

WAIT = 10_000


def test_the_number_typed_in_the_search_is_the_one_selected(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    with session.hall.db.read() as s:
        several = (
            select(Subscription.customer_id)
            .group_by(Subscription.customer_id)
            .having(func.count() >= 3)
        )
        numbers = s.scalars(
            select(Subscription.service_number)
            .where(
                Subscription.customer_id.in_(several),
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
            )
            .order_by(Subscription.service_number.desc())
            .limit(1)
        ).all()
    [number] = numbers
    window = _logged_in(qtbot, session)
    page = window.customers
    qtbot.keyClicks(page.query, number)
    qtbot.keyClick(page.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    session.ops.wait_idle()
    qtbot.wait(300)
    chosen = page.selected_subscription()
    assert chosen is not None, "no number selected: 号码业务 refuses until the clerk picks one"
    assert chosen.service_number[-4:] == number[-4:]
    page.account_bar.menu_actions["plan_change"].trigger()  # Ctrl+E, 1 套餐变更
    qtbot.waitUntil(lambda: window.account_dialog is not None, timeout=WAIT)
    assert "请先在客户资料的“号码”页选中要办理的号码" not in shown.texts()
