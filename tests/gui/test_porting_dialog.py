"""携号转网资格 as a clerk works it: the number found by phone, selected on the record's 号码
tab, 号码业务 (Ctrl+E) then its digit, the five conditions shown, 生成授权码 signed by the owner,
the code shown large and printed on the 业务受理单; and a number that fails a condition."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.db.models import Order, PortAuthCode, Subscription
from hall_app.domain.enums import OrderType
from hall_app.domain.masking import mask_phone
from hall_app.services.documents import DocumentKind
from tests.conftest import FakeClock
from tests.gui.conftest import ShownMessages
from tests.gui.fixed_helpers import sign_now
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_wizard import WAIT, pdf_text
from tests.porting_helpers import activated_days_ago, add_bill, eligible_number
from ui.app import Session
from ui.documents import preview
from ui.main_window.window import MainWindow
from ui.porting.dialog import PortingDialog


def _open_from_record(qtbot: QtBot, window: MainWindow, number: str) -> PortingDialog:
    """Find the customer by phone, pick the number on the 号码 tab, 号码业务 → 携号转网资格."""
    page = window.customers
    qtbot.keyClicks(page.query, number)
    qtbot.keyClick(page.query, Qt.Key.Key_Return)
    record = page.record
    table = record.tables["业务号码"]
    qtbot.waitUntil(lambda: table.model().rowCount() >= 1, timeout=WAIT)
    record.tabs.setCurrentWidget(table)
    model = table.model()
    row = next(r for r in range(model.rowCount()) if model.index(r, 1).data() == mask_phone(number))
    rect = table.visualRect(model.index(row, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.selected_subscription() is not None
    bar = page.account_bar
    item = bar.menu_actions["porting"]
    digit = re.match(r"&(\d)", item.text())
    assert digit is not None, item.text()
    qtbot.keyClick(page, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(bar.menu.isVisible, timeout=WAIT)
    qtbot.keyClick(bar.menu, getattr(Qt.Key, f"Key_{digit.group(1)}"))
    qtbot.waitUntil(lambda: isinstance(window.account_dialog, PortingDialog), timeout=WAIT)
    dialog = window.account_dialog
    assert isinstance(dialog, PortingDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    qtbot.waitUntil(lambda: dialog.draft.check is not None, timeout=WAIT)
    return dialog


# The 号码业务 menu pops up: the offscreen platform cannot grab the keyboard for it.
MENU_GRAB = "This plugin does not support grabbing the keyboard"


@pytest.mark.qt_log_ignore(MENU_GRAB)
def test_port_code_issued_and_printed(
    qtbot: QtBot,
    session: Session,
    clock: FakeClock,
    shown: ShownMessages,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    hall = session.hall
    sub_id = eligible_number(hall, clock.now, skip=11)
    with hall.db.read() as s:
        number = s.get_one(Subscription, sub_id).service_number
    window = _logged_in(qtbot, session)
    dialog = _open_from_record(qtbot, window, number)
    check = dialog.draft.check
    assert check is not None and check.allowed and check.subscription_id == sub_id
    text = dialog.check.conditions.text()
    assert text.count("✓") == 5 and "✗" not in text
    assert "五项条件均符合" in dialog.check.verdict.text()
    assert dialog.next_button.isEnabled()

    qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: dialog.current is dialog.confirm, timeout=WAIT)
    assert dialog.next_button.text() == "生成授权码 (Ctrl+Enter)"
    sign_now(qtbot, dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: dialog.current is dialog.finish, timeout=WAIT)

    issued = dialog.draft.issued
    assert issued is not None
    with hall.db.read() as s:
        row = s.scalars(select(PortAuthCode).where(PortAuthCode.subscription_id == sub_id)).one()
        code = row.code
        order = s.get_one(Order, row.order_id)
        assert order.order_type is OrderType.PORT_AUTH and order.signature_png
    assert code == issued.code
    assert issued.code in dialog.finish.result.text()
    assert "2026-11-27 10:00" in dialog.finish.result.text()
    assert shown.items == []

    saved: list[Path] = []

    def save_to(_parent: QWidget, suggested: str) -> str:
        saved.append(tmp_path / suggested)
        return str(saved[-1])

    monkeypatch.setattr(preview, "_ask_save_path", save_to)
    finish = dialog.finish
    qtbot.keyClick(finish, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: DocumentKind.ACCEPTANCE_FORM in finish.previewed, timeout=WAIT)
    view = finish.preview
    assert view is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view, timeout=WAIT)
    qtbot.keyClick(view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "已保存到" in view.info.text(), timeout=WAIT)
    form = re.sub(r"\s+", "", pdf_text(saved[-1]))
    assert f"携号转网授权码：{code}" in form
    assert "授权码有效期至：2026-11-2710:00" in form
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)


@pytest.mark.qt_log_ignore(MENU_GRAB)
def test_a_failing_condition_blocks_the_code(
    qtbot: QtBot, session: Session, clock: FakeClock, shown: ShownMessages
) -> None:
    hall = session.hall
    sub_id = eligible_number(hall, clock.now, skip=12)
    activated_days_ago(hall, sub_id, 87, clock.now)
    with hall.db.read() as s:
        number = s.get_one(Subscription, sub_id).service_number
    window = _logged_in(qtbot, session)
    dialog = _open_from_record(qtbot, window, number)
    text = dialog.check.conditions.text()
    assert text.count("✓") == 4 and text.count("✗") == 1
    assert "入网 87 天，不足 120 天（还差 33 天）" in text
    assert not dialog.next_button.isEnabled()
    assert dialog.next_hint.text() == "不符合携号转网条件，不能生成授权码"
    qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.current is dialog.check
    # the tenure reached meanwhile (another day): F5 asks again and the code may be made
    activated_days_ago(hall, sub_id, 120, clock.now)
    qtbot.keyClick(dialog.check, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: dialog.next_button.isEnabled(), timeout=WAIT)
    with hall.db.read() as s:
        assert not s.scalars(
            select(PortAuthCode).where(PortAuthCode.subscription_id == sub_id)
        ).all()
    dialog.reject()


@pytest.mark.qt_log_ignore(MENU_GRAB)
def test_refused_at_issue_when_the_number_changed_meanwhile(
    qtbot: QtBot, session: Session, clock: FakeClock, shown: ShownMessages
) -> None:
    hall = session.hall
    sub_id = eligible_number(hall, clock.now, skip=13)
    with hall.db.read() as s:
        number = s.get_one(Subscription, sub_id).service_number
    window = _logged_in(qtbot, session)
    dialog = _open_from_record(qtbot, window, number)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: dialog.current is dialog.confirm, timeout=WAIT)
    sign_now(qtbot, dialog)
    add_bill(hall, sub_id, "2026-10", 12_900, issued=clock.now)  # the billing run, meanwhile
    qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(shown.items) == 1, timeout=WAIT)
    assert "不符合携号转网条件" in shown.texts()[0] and "2026-10" in shown.texts()[0]
    assert dialog.current is dialog.confirm and dialog.draft.issued is None
    with hall.db.read() as s:
        assert not s.scalars(
            select(PortAuthCode).where(PortAuthCode.subscription_id == sub_id)
        ).all()
    qtbot.waitUntil(dialog.back_button.isEnabled, timeout=WAIT)
    qtbot.keyClick(dialog, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: "✗" in dialog.check.conditions.text(), timeout=WAIT)
    assert "有 1 期未缴账单（2026-10）" in dialog.check.conditions.text()
    assert not dialog.next_button.isEnabled()
    dialog.reject()
