"""过户 as a clerk does it: the number's 过户 from the record's context, the new owner found by
their ID number, the checks all passing, both face checks ticked, the duty supervisor's
password typed at the counter, the new owner signing on the customer screen, then the
业务受理单 printed. Then the number is the new owner's, both records list the transfer."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Approval, Customer, Order, Subscription
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.devices.id_reader import SimulatedIdCardReader
from hall_app.domain.enums import OrderType
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_wizard import WAIT, card_of, next_page, reader_session, sign, tick
from tests.transfer_helpers import pair
from ui.account.actions import AccountContext, action
from ui.app import Session
from ui.customers.record import CustomerRecordView
from ui.ops import Operations
from ui.transfer.dialog import TransferDialog

__all__ = ["reader_session"]  # the fixture, shared with the 开户 wizard's tests
SHOTS = os.environ.get("TRANSFER_SHOTS")  # a folder: save the pages as PNG (docs/screens)


def _shot(widget: object, name: str) -> None:
    if SHOTS:
        widget.grab().save(str(Path(SHOTS) / name))  # type: ignore[attr-defined]


def _context(hall: HallApp, clerk: Actor, ops: Operations, qtbot: QtBot) -> tuple:
    p = pair(hall)
    record = hall.customers.get_customer_record(clerk, p.from_id)
    sub = next(s for s in record.subscriptions if s.id == p.subscription_id)
    parent = QWidget()
    qtbot.addWidget(parent)
    ctx = AccountContext(hall, clerk, ops, p.from_id, record.name, sub, None, parent)
    return p, ctx


def test_a_transfer_at_the_counter(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    p, ctx = _context(hall, clerk, ops, qtbot)
    wizard = action("transfer").opener()(ctx)
    assert isinstance(wizard, TransferDialog)
    qtbot.addWidget(wizard)
    wizard.resize(QSize(1100, 720))
    wizard.show()
    qtbot.waitUntil(wizard.isVisible, timeout=WAIT)
    with hall.db.read() as s:
        id_number = s.get_one(Customer, p.to_id).id_number
    assert id_number

    # 1. the new owner by their ID number; the checks
    owner = wizard.owner
    qtbot.keyClicks(owner.search, id_number)
    qtbot.keyClick(owner.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.check is not None, timeout=WAIT)
    check = wizard.draft.check
    assert check is not None and check.allowed
    assert owner.checks.rowCount() == 5  # 分期合同 added after review 14
    assert "可以过户" in owner.verdict.text()
    _shot(wizard, "transfer_owner.png")
    next_page(qtbot, wizard)

    # 2. both face checks and the supervisor at the counter
    verify = wizard.verify
    assert not wizard.next_button.isEnabled()
    tick(qtbot, verify.old_face.passed)
    tick(qtbot, verify.new_face.passed)
    assert "主管授权" in wizard.next_hint.text() or "远程审批" in wizard.next_hint.text()
    qtbot.keyClicks(verify.approval.sup_user, "clerk1")  # the clerk's own password: never
    qtbot.keyClicks(verify.approval.sup_password, DEMO_PASSWORD)
    qtbot.keyClick(verify.approval.sup_password, Qt.Key.Key_Return)
    assert "不能为自己受理的业务授权" in verify.approval.sup_result.text()
    assert not wizard.next_button.isEnabled()
    verify.approval.sup_user.clear()
    qtbot.keyClicks(verify.approval.sup_user, "super1")
    qtbot.keyClicks(verify.approval.sup_password, DEMO_PASSWORD)
    qtbot.keyClick(verify.approval.sup_password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.supervisor is not None, timeout=WAIT)
    assert "黄丽华" in verify.approval.sup_result.text()
    _shot(wizard, "transfer_verify.png")
    next_page(qtbot, wizard)

    # 3. the new owner signs on the customer screen; 确认过户
    confirm = wizard.confirm
    dialog = confirm.customer_dialog
    assert dialog is not None and dialog.isVisible()
    assert check.to_name_masked in dialog.summary.text()
    assert "过户免费" in dialog.summary.text()
    sign(dialog.pad, [(60, 120), (120, 60), (180, 140), (260, 70), (330, 130)])
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.draft.signature_png is not None, timeout=WAIT)
    assert wizard.next_button.text().startswith("确认过户")
    next_page(qtbot, wizard)

    # 4. done: the acceptance form
    assert wizard.current is wizard.finish
    done = wizard.draft.done
    assert done is not None and done.order_no in wizard.finish.result.text()
    _shot(wizard, "transfer_done.png")
    qtbot.waitUntil(wizard.isActiveWindow, timeout=WAIT)
    qtbot.keyClick(wizard, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: wizard.finish.preview is not None, timeout=WAIT)
    assert DocumentKind.ACCEPTANCE_FORM in wizard.finish.previewed
    ops.wait_idle()

    with hall.db.read() as s:
        assert s.get_one(Subscription, p.subscription_id).customer_id == p.to_id
        order = s.get_one(Order, done.order_id)
        assert order.order_type is OrderType.TRANSFER_OWNERSHIP
        assert order.customer_id == p.to_id and order.signature_png
        assert order.staff_id == clerk.staff_id
        assert s.scalar(select(Order.details_json).where(Order.id == done.order_id))
    new = hall.customers.get_customer_record(clerk, p.to_id)
    assert [t.order_no for t in new.transfers] == [done.order_no]
    # both records say so on 基本资料 (过户记录)
    for customer_id, says in ((p.from_id, "转出给"), (p.to_id, "转入自")):
        view = CustomerRecordView()
        qtbot.addWidget(view)
        view.show_record(hall.customers.get_customer_record(clerk, customer_id))
        line = view.findChild(QLabel, "field_过户记录")
        assert line is not None and done.order_no in line.text() and says in line.text()
        assert done.number_masked in line.text()
    assert not shown.texts()


def test_from_the_record_menu_with_the_new_owner_s_card(
    qtbot: QtBot,
    reader_session: tuple[Session, SimulatedIdCardReader],
    shown: ShownMessages,
) -> None:
    """The number picked on the record's 号码 tab, 号码业务 → 过户; the new owner's card on
    the reader (F9) finds them and runs the checks. Without a number picked it is refused."""
    session, reader = reader_session
    hall = session.hall
    p = pair(hall)
    window = _logged_in(qtbot, session)
    page = window.customers
    qtbot.keyClicks(page.query, p.number)
    qtbot.keyClick(page.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    record = page.current
    assert record is not None
    row = next(i for i, s in enumerate(record.subscriptions) if s.id == p.subscription_id)
    page.record.tables["业务号码"].selectRow(row)
    page.account_bar.menu_actions["transfer"].trigger()  # Ctrl+E, then its digit
    qtbot.waitUntil(lambda: window.account_dialog is not None, timeout=WAIT)
    wizard = window.account_dialog
    assert isinstance(wizard, TransferDialog)
    assert wizard.draft.subscription_id == p.subscription_id
    reader.present(card_of(hall, p.to_id))
    qtbot.waitUntil(wizard.isActiveWindow, timeout=WAIT)
    qtbot.keyClick(wizard.owner.search, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: wizard.draft.check is not None, timeout=WAIT)
    assert wizard.draft.to_customer_id == p.to_id and wizard.draft.check.allowed
    assert wizard.next_button.isEnabled()
    assert not shown.texts()


def test_a_transfer_approved_remotely(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    supervisor: Actor,
    ops: Operations,
    shown: ShownMessages,
) -> None:
    """The supervisor is at another counter: 请求远程审批, approved in the inbox; the wizard
    goes on by itself, and the transfer uses that approval (once)."""
    p, ctx = _context(hall, clerk, ops, qtbot)
    wizard = action("transfer").opener()(ctx)
    assert isinstance(wizard, TransferDialog)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(wizard.isActiveWindow, timeout=WAIT)
    with hall.db.read() as s:
        id_number = s.get_one(Customer, p.to_id).id_number or ""
    qtbot.keyClicks(wizard.owner.search, id_number)
    qtbot.keyClick(wizard.owner.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.check is not None, timeout=WAIT)
    next_page(qtbot, wizard)
    verify = wizard.verify
    tick(qtbot, verify.old_face.passed)
    tick(qtbot, verify.new_face.passed)
    qtbot.mouseClick(verify.approval.remote_button, Qt.MouseButton.LeftButton)
    remote = verify.approval.remote_dialog
    assert remote is not None
    qtbot.keyClick(remote.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: remote.approval_id is not None, timeout=WAIT)
    assert not wizard.next_button.isEnabled()  # still waiting
    [pending] = hall.approvals.inbox(supervisor)
    assert pending.kind == "ownership_transfer"
    hall.approvals.decide(supervisor, pending.id, True, "同意")  # on another counter
    qtbot.waitUntil(lambda: "远程批准" in verify.approval.sup_result.text(), timeout=8_000)
    assert wizard.draft.approval_id == pending.id
    qtbot.waitUntil(lambda: not remote.isVisible(), timeout=WAIT)  # it closes by itself
    qtbot.waitUntil(wizard.isActiveWindow, timeout=WAIT)
    next_page(qtbot, wizard)
    dialog = wizard.confirm.customer_dialog
    assert dialog is not None
    sign(dialog.pad, [(60, 120), (120, 60), (180, 140), (260, 70)])
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.draft.signature_png is not None, timeout=WAIT)
    next_page(qtbot, wizard)
    done = wizard.draft.done
    assert done is not None and done.approver == supervisor.full_name
    ops.wait_idle()
    with hall.db.read() as s:
        assert s.get_one(Subscription, p.subscription_id).customer_id == p.to_id
        approval = s.get_one(Approval, pending.id)
        assert approval.used_at is not None and approval.order_id == done.order_id
    assert not shown.texts()
