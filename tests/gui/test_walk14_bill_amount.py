"""Walk of issue 14: an amount typed with three decimals on the 缴费 page is refused, and stays
refused: the quote asked for the amount typed so far (one keystroke earlier) must not come back
after the refusal and enable 下一步 (nor replace the refusal with its own message)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from tests.gui.conftest import ShownMessages
from tests.gui.test_bill_payment import open_bill_payment
from tests.gui.walk14_helpers import overdue_number
from ui.app import Session


def test_three_decimals_typed_keep_the_next_button_disabled(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    dialog = open_bill_payment(qtbot, session, overdue_number(session.hall))
    choose = dialog.choose
    assert dialog.draft.quote is not None
    total = dialog.draft.quote.total_fen
    # as a clerk types it: a quote asked per keystroke
    qtbot.keyClicks(choose.amount, f"{total // 100}.{total % 100:02d}1")
    session.ops.wait_idle()
    qtbot.wait(500)  # the answers of the quotes asked while typing are delivered
    assert "两位小数" in choose.error.text()
    assert not dialog.next_button.isEnabled()
    assert dialog.draft.quote is None


def test_one_yuan_with_three_decimals_says_three_decimals(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    dialog = open_bill_payment(qtbot, session, overdue_number(session.hall))
    choose = dialog.choose
    qtbot.keyClicks(choose.amount, "1.234")
    session.ops.wait_idle()
    qtbot.wait(500)
    assert "两位小数" in choose.error.text(), choose.error.text()
    assert not dialog.next_button.isEnabled()
