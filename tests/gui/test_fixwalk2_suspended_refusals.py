"""套餐变更 and 增值业务 on a suspended number refuse when the page opens (the service's status
check asked up front), with 下一步 disabled, not only on Ctrl+Enter."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.suspended_helpers import open_on_suspended
from ui.app import Session


@pytest.mark.parametrize("action", ["plan_change", "value_added"])
def test_a_suspended_number_is_refused_when_the_page_opens(
    qtbot: QtBot, session: Session, action: str
) -> None:
    dialog = open_on_suspended(qtbot, session, action)
    assert not dialog.next_button.isEnabled()
    assert "不能办理" in dialog.next_hint.text()
