"""Walk of issue 14: in demo mode (HALL_ID_READER=demo, as `make run` starts the app) the owner's
ID card asked for by 解挂 (and 补换卡, 过户, a renewed card in 资料变更) is never the owner's: the
demo reader places an arbitrary demo customer's card, so F9 always answers
证件与机主登记资料不符 and the README's 解挂 walk (高娜瑶 "解挂 with her ID card") cannot be done
(her ID number is shown masked, so it cannot be typed either)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Subscription
from hall_app.demo.reader import DemoIdCardReader
from hall_app.domain.enums import SubscriptionKind, SubscriptionStatus, SuspendReason
from tests.conftest import FakeClock
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from ui.app import Session
from ui.ops import Operations

WAIT = 10_000
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def demo_session(
    hall: HallApp, ops: Operations, qtbot: QtBot, clock: FakeClock
) -> Iterator[Session]:
    s = Session(replace(hall, id_reader=DemoIdCardReader(hall.db, clock)), ops)
    yield s
    ops.wait_idle()
    if s.window is not None:
        s.window.leave_confirmed = True
        s.window.close()


def test_f9_on_reinstatement_in_demo_mode_reads_the_owners_card(
    qtbot: QtBot, demo_session: Session, shown: ShownMessages
) -> None:
    session = demo_session
    with session.hall.db.read() as s:
        lost = s.scalars(
            select(Subscription)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.SUSPENDED,
                Subscription.suspend_reason == SuspendReason.LOST,
            )
            .order_by(Subscription.service_number)
            .limit(1)
        ).one()
        customer_id, number = lost.customer_id, lost.service_number
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
    page.account_bar.menu_actions["loss"].trigger()  # Ctrl+E, 挂失/解挂
    qtbot.waitUntil(
        lambda: window.account_dialog is not None and window.account_dialog.isVisible(),
        timeout=WAIT,
    )
    dialog = window.account_dialog
    first = dialog.current
    session.ops.wait_idle()
    qtbot.wait(300)
    focus = QApplication.focusWidget()
    assert focus is not None
    qtbot.keyClick(focus, Qt.Key.Key_F9)  # the owner puts her card on the reader
    session.ops.wait_idle()
    qtbot.wait(300)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)
    session.ops.wait_idle()
    qtbot.wait(500)
    texts = " ".join(w.text() for w in first.findChildren(QLabel) if w.text())
    assert dialog.current is not first, texts  # on to the customer's confirmation
