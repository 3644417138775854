"""Walk of issue 14: 停机保号/复机 on a number 欠费停机 opens as 停机保号 with 下一步 enabled and
refuses only on Ctrl+Enter; the page knows the number's state when it opens and says so at once,
pointing to 缴费 (Ctrl+J) as 复机 does."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from hall_app.domain.enums import SuspendReason
from tests.gui.conftest import ShownMessages
from tests.gui.suspended_helpers import open_on_suspended
from ui.app import Session


def test_suspend_on_an_arrears_suspended_number_says_so_at_once(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    dialog = open_on_suspended(qtbot, session, "suspend", SuspendReason.ARREARS)  # Ctrl+E
    assert not dialog.next_button.isEnabled()  # nothing can be done here for this number
    assert "欠费停机" in dialog.next_hint.text() or any("欠费停机" in t for t in shown.texts())
