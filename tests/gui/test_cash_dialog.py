"""开班 and 日结 from the keyboard (F10, the amount, Enter), and the main window's housekeeping."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.db.models import PhoneNumber
from hall_app.domain.enums import CashSessionStatus, NumberStatus
from hall_app.services.numbers import NumberFilter
from tests.conftest import FakeClock
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_wizard import WAIT
from tests.integration.test_open_mobile import _request
from ui.app import Session


def test_open_the_till_take_money_then_close_it(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    hall = session.hall
    assert hall is not None
    window = _logged_in(qtbot, session)
    qtbot.keyClick(window, Qt.Key.Key_F10)
    dialog = window.cash_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.action.text() == "开班", timeout=WAIT)
    qtbot.keyClicks(dialog.amount, "2OO")  # letters O for zeros: refused, field named
    qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
    assert dialog.error.text().startswith("备用金：")
    dialog.amount.clear()
    qtbot.keyClicks(dialog.amount, "200")
    qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.action.text() == "日结", timeout=WAIT)
    assert "备用金 ¥200.00" in dialog.state.text()

    clerk = window.actor
    hall.orders.open_mobile_number(clerk, _request(hall, clerk))  # 69.50 yuan in cash
    dialog.refresh()
    qtbot.waitUntil(lambda: "¥269.50" in dialog.state.text(), timeout=WAIT)
    qtbot.keyClicks(dialog.amount, "270.50")
    qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "已日结" in dialog.state.text(), timeout=WAIT)
    assert "长款 ¥1.00" in dialog.state.text()
    closed = hall.cash.day_sessions(
        hall.auth.log_in("super1", "hall1234"), dialog._closed.business_date
    )  # type: ignore[union-attr]
    mine = [t for t in closed if t.staff_name == clerk.full_name and t.counted_cash_fen == 27_050]
    assert len(mine) == 1 and mine[0].status is CashSessionStatus.CLOSED
    assert not shown.items


def test_the_main_window_gives_lapsed_reservations_back(
    qtbot: QtBot, session: Session, clock: FakeClock
) -> None:
    hall = session.hall
    assert hall is not None
    window = _logged_in(qtbot, session)
    number = hall.numbers.find_numbers(window.actor, NumberFilter())[0].number
    hall.numbers.reserve_number(window.actor, number)
    clock.now += timedelta(minutes=31)
    window.release_lapsed_numbers()  # what its timer does every few minutes
    session.ops.wait_idle()

    def status() -> NumberStatus:
        with hall.db.read() as s:
            return s.scalars(select(PhoneNumber.status).where(PhoneNumber.number == number)).one()

    qtbot.waitUntil(lambda: status() is NumberStatus.AVAILABLE, timeout=WAIT)
