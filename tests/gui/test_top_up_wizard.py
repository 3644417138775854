"""充值 (Ctrl+U) from the open record as a clerk does it: the record's number prefilled with
its owner masked, then another customer's number typed instead, 150 元 with the 充100送20
bonus, 200 元 cash tendered and 50.00 change, the receipt (F10) saved and read back; the
balance, the bonus, the payment and the order checked in the database. HALL_SHOTS=folder
saves the screens as PNG."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from hall_app.db.models import Invoice, Order, Payment, Subscription
from hall_app.domain.enums import OrderType, SubscriptionKind, SubscriptionStatus, SuspendReason
from hall_app.domain.masking import mask_phone
from hall_app.domain.money import format_yuan
from hall_app.services.documents import DocumentKind
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from tests.top_up_helpers import balances, live_mobile, offers, set_state
from ui.app import Session
from ui.documents import preview
from ui.top_up.wizard import TopUpDialog

WAIT = 10_000
CTRL = Qt.KeyboardModifier.ControlModifier
SHOTS = os.environ.get("HALL_SHOTS")


def _shot(widget: QWidget, name: str) -> None:
    if SHOTS:
        QTest.qWait(60)
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        assert widget.grab().save(str(Path(SHOTS) / f"{name}.png"))


def _one_number_customer(session: Session) -> uuid.UUID:
    """A customer whose only subscription is a live mobile number."""
    with session.hall.db.read() as s:
        alone = (
            select(Subscription.customer_id)
            .group_by(Subscription.customer_id)
            .having(func.count() == 1)
        )
        return s.execute(
            select(Subscription.customer_id)
            .where(
                Subscription.customer_id.in_(alone),
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
            )
            .order_by(Subscription.service_number)
            .limit(1)
        ).scalar_one()


def test_a_top_up_with_change_and_its_receipt(
    qtbot: QtBot,
    session: Session,
    shown: ShownMessages,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hall = session.hall
    offers(hall, ("TU100", "充100送20", 10_000, 2_000), ("TU200", "充200送50", 20_000, 5_000))
    cid = _one_number_customer(session)
    other = live_mobile(hall) if live_mobile(hall).customer_id != cid else live_mobile(hall, 1)
    assert other.customer_id != cid
    window = _logged_in(qtbot, session)
    page = window.customers
    page.open_customer(cid)
    qtbot.waitUntil(lambda: page.selected_subscription() is not None, timeout=WAIT)
    qtbot.keyClick(QApplication.focusWidget() or page, Qt.Key.Key_U, CTRL)
    qtbot.waitUntil(
        lambda: (
            isinstance(window.account_dialog, TopUpDialog) and window.account_dialog.isVisible()
        ),
        timeout=WAIT,
    )
    dialog = window.account_dialog
    assert isinstance(dialog, TopUpDialog)
    choose = dialog.choose
    # the record's number, looked up by itself: its owner masked
    assert choose.number.text() == page.selected_subscription().number_display  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: dialog.draft.target is not None, timeout=WAIT)
    assert dialog.draft.target is not None and dialog.draft.target.customer_id == cid
    assert "正常" in choose.owner.text() and "*" in choose.owner.text()

    # the payer wants another number: typed instead, then Enter
    choose.number.selectAll()
    qtbot.keyClicks(choose.number, other.number)
    assert dialog.draft.target is None and not dialog.next_button.isEnabled()
    qtbot.keyClick(choose.number, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.draft.target is not None, timeout=WAIT)
    target = dialog.draft.target
    assert target is not None and target.subscription_id == other.subscription_id
    assert target.owner_masked in choose.owner.text()
    assert QApplication.focusWidget() is choose.amount
    qtbot.keyClick(choose, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)  # quick 100 元
    qtbot.waitUntil(lambda: "充100送20" in choose.offer.text(), timeout=WAIT)
    choose.amount.selectAll()
    qtbot.keyClicks(choose.amount, "150.005")  # three decimals: refused at the field
    assert "充值金额" in choose.error.text() and "两位小数" in choose.error.text()
    assert not dialog.next_button.isEnabled()
    choose.amount.selectAll()
    qtbot.keyClicks(choose.amount, "150")
    qtbot.waitUntil(choose.is_complete, timeout=WAIT)
    assert "赠送 ¥20.00" in choose.offer.text() and choose.error.text() == ""
    assert "壹佰伍拾元整" in choose.capital.text()
    _shot(dialog, "top_up-amount")
    qtbot.keyClick(choose.amount, Qt.Key.Key_Return)  # on to 收费
    pay = dialog.payment
    qtbot.waitUntil(lambda: dialog.current is pay, timeout=WAIT)
    assert "¥150.00" in pay.due.text()
    qtbot.keyClicks(pay.tendered, "200")
    assert pay.change.text() == "¥50.00"
    _shot(dialog, "top_up-payment")
    qtbot.keyClick(pay.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.current is dialog.finish, timeout=WAIT)
    result = dialog.draft.done
    assert result is not None
    text = dialog.finish.result.text()
    assert "找零 ¥50.00" in text and result.order_no in text
    assert f"已为 {mask_phone(other.number)} 充值 ¥150.00" in text and "赠送 ¥20.00" in text
    assert DocumentKind.INVOICE not in dialog.finish.buttons
    _shot(dialog, "top_up-done")

    assert balances(hall, other.subscription_id) == (
        other.balance_fen + 15_000,
        other.bonus_fen + 2_000,
    )
    with hall.db.read() as s:
        order = s.get_one(Order, result.order_id)
        assert order.order_type is OrderType.TOP_UP and order.customer_id == other.customer_id
        [payment] = s.scalars(select(Payment).where(Payment.order_id == order.id)).all()
        assert (payment.amount_fen, payment.tendered_fen, payment.change_fen) == (
            15_000, 20_000, 5_000,
        )  # fmt: skip
        assert s.scalar(select(func.count()).where(Invoice.order_id == order.id)) == 0

    saved: list[Path] = []

    def save_to(_parent: QWidget, suggested: str) -> str:
        saved.append(tmp_path / suggested)
        return str(saved[-1])

    monkeypatch.setattr(preview, "_ask_save_path", save_to)
    qtbot.keyClick(dialog.finish, Qt.Key.Key_F10)
    qtbot.waitUntil(lambda: dialog.finish.preview is not None, timeout=WAIT)
    view = dialog.finish.preview
    assert view is not None and view.document.pageCount() == 1
    qtbot.keyClick(view, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: "已保存到" in view.info.text(), timeout=WAIT)
    receipt = "".join(
        subprocess.run(
            ["pdftotext", "-layout", str(saved[-1]), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    )
    assert result.order_no in receipt and "业务：预存话费" in receipt
    assert f"预存话费（{mask_phone(other.number)}）¥150.00" in receipt
    assert "实收/找零¥200.00/¥50.00" in receipt
    assert "赠送金额：¥20.00（充100送20，赠款不退）" in receipt
    assert f"业务号码：{mask_phone(other.number)}" in receipt and other.number not in receipt
    # whoever paid takes the receipt: the owner's name masked on it
    assert f"客户：{target.owner_masked}证件" in receipt
    assert f"充值后余额：{format_yuan(other.balance_fen + 15_000)}" in receipt
    assert "预存话费发票随消费开具" in receipt and "发票号码" not in receipt
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, CTRL)  # 完成
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    assert shown.items == []


def test_a_refused_number_and_a_number_suspended_for_arrears(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    hall = session.hall
    n = live_mobile(hall)
    set_state(hall, n.subscription_id, SubscriptionStatus.SUSPENDED, SuspendReason.ARREARS)
    clerk = hall.auth.log_in("clerk1", "hall1234")
    dialog = TopUpDialog(hall, clerk, session.ops, n.customer_id)
    qtbot.addWidget(dialog)
    dialog.show()
    choose = dialog.choose
    qtbot.keyClicks(choose.number, "13812345678")
    qtbot.keyClick(choose.number, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "中国移动" in choose.error.text(), timeout=WAIT)
    assert choose.error.text().startswith("充值号码：") and dialog.draft.target is None
    assert not dialog.next_button.isEnabled() and "回车查询" in dialog.next_hint.text()
    choose.number.selectAll()
    qtbot.keyClicks(choose.number, n.number)
    assert choose.error.text() == ""
    qtbot.keyClick(choose.number, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.draft.target is not None, timeout=WAIT)
    assert "欠费停机" in choose.owner.text()
    assert choose.note.isVisible() and "充值不会复机" in choose.note.text()
    qtbot.keyClicks(choose.amount, "6000")  # over 5,000.00
    assert "不能超过 ¥5,000.00" in choose.error.text() and not dialog.next_button.isEnabled()
    _shot(dialog, "top_up-arrears")
    assert shown.items == []
