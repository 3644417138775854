"""Remote approval as a clerk and a supervisor see it: the clerk asks from the red-letter
dialog (请求远程审批), waits (等待主管审批…), the duty supervisor approves it in the desk's 审批
page with a reason, and the clerk's screen gets the decision by itself and issues the red
invoice; a rejection's reason reaches the clerk; a supervisor can not approve their own."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Approval, Device, Invoice
from hall_app.domain.enums import ApprovalState, DeviceStatus, InvoiceStatus
from hall_app.services.actor import Actor
from hall_app.services.approvals import ApprovalRequest
from tests.gui.conftest import ShownMessages
from tests.gui.test_open_mobile_pages import _wizard
from tests.gui.test_open_mobile_wizard import tick
from tests.handset_fixtures import prepare_handsets
from tests.integration.test_open_mobile import _request
from tests.return_fixtures import sell_outright, stock_unit
from ui.approvals.remote import RemoteApprovalDialog
from ui.customers.red_letter import RedLetterDialog
from ui.customers.search import CustomerSearchPage
from ui.desk.approvals import ApprovalsPage
from ui.desk.pages import DeskContext, desk_pages
from ui.ops import Operations

LEFT = Qt.MouseButton.LeftButton
POLLED = 8_000  # the clerk's dialog asks every 2 s


def _clerk_asks_red_letter(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations
) -> tuple[RedLetterDialog, str]:
    req = _request(hall, clerk)
    done = hall.orders.open_mobile_number(clerk, req)
    assert done.invoice_no is not None
    record = hall.customers.get_customer_record(clerk, req.customer_id)
    invoice = next(i for i in record.invoices if i.invoice_no == done.invoice_no)
    dialog = RedLetterDialog(
        invoice, hall.invoices, clerk, ops, customer_id=req.customer_id, approvals=hall.approvals
    )
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.reason.insert("购买方名称有误，需重开")  # (keyClicks types ASCII only)
    qtbot.mouseClick(dialog.next_button, LEFT)
    assert dialog.confirming and "请求远程审批" in dialog.issue_button.text()
    qtbot.mouseClick(dialog.issue_button, LEFT)
    remote = dialog.remote_dialog
    assert remote is not None and remote.reason.text() == "购买方名称有误，需重开"
    qtbot.mouseClick(remote.send_button, LEFT)
    qtbot.waitUntil(lambda: remote.approval_id is not None, timeout=POLLED)
    assert "等待主管审批" in remote.status.text()
    return dialog, done.invoice_no


def _page(qtbot: QtBot, hall: HallApp, supervisor: Actor, ops: Operations) -> ApprovalsPage:
    [desk] = [p for p in desk_pages(supervisor) if p.key == "approvals"]
    assert (desk.title, desk.shortcut) == ("审批", "Alt+1")
    page = desk.build(DeskContext(hall, supervisor, ops), None)  # type: ignore[arg-type]
    assert isinstance(page, ApprovalsPage)
    qtbot.addWidget(page)
    page.show()
    return page


def test_supervisor_approves_a_clerks_request_and_the_clerks_screen_goes_on(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    supervisor: Actor,
    ops: Operations,
    shown: ShownMessages,
) -> None:
    assert desk_pages(clerk) == []  # a clerk has no desk page
    search = CustomerSearchPage(
        hall.customers, clerk, ops, None, hall.invoices, approvals=hall.approvals
    )
    assert search.red_letter_button.isVisibleTo(search)  # a clerk may ask for a red letter
    search.deleteLater()
    dialog, invoice_no = _clerk_asks_red_letter(qtbot, hall, clerk, ops)
    remote = dialog.remote_dialog
    assert remote is not None
    page = _page(qtbot, hall, supervisor, ops)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=POLLED)
    row = [page.model.index(0, c).data() for c in range(page.model.columnCount())]
    assert row[0] == clerk.full_name and row[2] == "发票红冲"
    assert "购买方名称有误" in row[5] and row[8] == "30 分钟"
    page.table.selectRow(0)
    qtbot.mouseClick(page.approve_button, LEFT)
    decision = page.decision
    assert decision is not None and decision.approve
    decision.reason.insert("核实无误")
    qtbot.mouseClick(decision.ok_button, LEFT)
    # the clerk's dialog receives the decision without a key pressed, and the red invoice is
    # issued with the approval
    qtbot.waitUntil(lambda: not remote.isVisible(), timeout=POLLED)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=POLLED)
    with hall.db.read() as s:
        blue = s.scalars(select(Invoice).where(Invoice.invoice_no == invoice_no)).one()
        assert blue.status is InvoiceStatus.RED_LETTERED
        approval = s.scalars(select(Approval).where(Approval.subject_ref == invoice_no)).one()
        assert approval.state is ApprovalState.APPROVED and approval.used_at is not None
        assert approval.reason == "核实无误" and approval.approver_id == supervisor.staff_id
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=POLLED)
    qtbot.waitUntil(lambda: page.decided_model.index(0, 8).data() == "已使用", timeout=POLLED)
    assert page.decided_model.rowCount() == 1
    assert page.decided_model.index(0, 5).data() == "已批准"


def test_a_rejection_reaches_the_clerk_with_its_reason(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    supervisor: Actor,
    ops: Operations,
    shown: ShownMessages,
) -> None:
    dialog, invoice_no = _clerk_asks_red_letter(qtbot, hall, clerk, ops)
    remote = dialog.remote_dialog
    assert remote is not None
    page = _page(qtbot, hall, supervisor, ops)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=POLLED)
    page.table.selectRow(0)
    qtbot.mouseClick(page.reject_button, LEFT)
    decision = page.decision
    assert decision is not None
    qtbot.mouseClick(decision.ok_button, LEFT)  # no reason: refused in the dialog
    assert "请填写" in decision.error.text() and decision.isVisible()
    decision.reason.insert("抬头无误，不予红冲")
    qtbot.mouseClick(decision.ok_button, LEFT)
    qtbot.waitUntil(lambda: "抬头无误，不予红冲" in remote.status.text(), timeout=POLLED)
    assert remote.isVisible() and remote.send_button.isEnabled()
    assert "远程审批已驳回" in dialog.issue_error.text()
    with hall.db.read() as s:
        blue = s.scalars(select(Invoice).where(Invoice.invoice_no == invoice_no)).one()
        assert blue.status is InvoiceStatus.ISSUED


def test_own_request_is_not_approved_and_closing_withdraws(
    qtbot: QtBot,
    hall: HallApp,
    supervisor: Actor,
    ops: Operations,
    shown: ShownMessages,
) -> None:
    ask = ApprovalRequest("handset_return", "sale-x", "客户不想要了", "手机退货 测试")
    remote = RemoteApprovalDialog(hall.approvals, supervisor, ops, ask)
    qtbot.addWidget(remote)
    remote.show()
    qtbot.mouseClick(remote.send_button, LEFT)
    qtbot.waitUntil(lambda: remote.approval_id is not None, timeout=POLLED)
    page = _page(qtbot, hall, supervisor, ops)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=POLLED)
    page.table.selectRow(0)
    qtbot.mouseClick(page.approve_button, LEFT)
    assert "须由另一位值班主管审批" in page.error.text() and page.decision is None
    remote.reject()  # Esc: the pending request is withdrawn and leaves the inbox
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=POLLED)
    assert remote.approval_id is not None
    assert hall.approvals.get(supervisor, remote.approval_id).state is ApprovalState.WITHDRAWN


def test_the_second_number_goes_on_once_approved_remotely(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    supervisor: Actor,
    ops: Operations,
    shown: ShownMessages,
) -> None:
    first = _request(hall, clerk)
    hall.orders.open_mobile_number(clerk, first)
    wizard = _wizard(qtbot, hall, clerk, ops, first.customer_id)
    elig = wizard.eligibility
    assert elig.supervisor_box.isVisible() and elig.remote_button.isVisible()
    tick(qtbot, elig.face_passed)
    assert not wizard.next_button.isEnabled()
    qtbot.mouseClick(elig.remote_button, LEFT)
    remote = elig.remote_dialog
    assert remote is not None
    remote.reason.insert("客户因工作需要第二个号码")
    qtbot.keyClick(remote.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: remote.approval_id is not None, timeout=POLLED)
    assert not wizard.next_button.isEnabled()  # still waiting
    [pending] = hall.approvals.inbox(supervisor)
    assert pending.kind == "second_number_30d" and pending.subject_ref == str(first.customer_id)
    hall.approvals.decide(supervisor, pending.id, True, "")  # on another counter
    qtbot.waitUntil(lambda: "远程批准" in elig.sup_result.text(), timeout=POLLED)
    assert wizard.draft.approval_id == pending.id and wizard.draft.supervisor is None
    assert wizard.next_button.isEnabled()


def test_a_handset_return_approved_remotely_needs_no_password(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    supervisor: Actor,
    ops: Operations,
    shown: ShownMessages,
) -> None:
    st = prepare_handsets(hall)
    sold = sell_outright(hall, clerk, st, stock_unit(hall, clerk, st, 21))
    page = CustomerSearchPage(
        hall.customers, clerk, ops, None, hall.invoices, hall.documents,
        returns=hall.handset_returns, auth=hall.auth, approvals=hall.approvals,
    )  # fmt: skip
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    page.open_customer(st.customer_id)
    qtbot.waitUntil(lambda: page.current is not None, timeout=POLLED)
    page.open_handset_return()
    dialog = page.return_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.chosen is not None, timeout=POLLED)
    assert dialog.chosen is not None and dialog.chosen.order_id == sold.order_id
    qtbot.keyClick(dialog.undamaged, Qt.Key.Key_Space)
    dialog.reason.insert("七天无理由退货")
    qtbot.mouseClick(dialog.remote_button, LEFT)
    remote = dialog.remote_dialog
    assert remote is not None and remote.reason.text() == "七天无理由退货"
    qtbot.mouseClick(remote.send_button, LEFT)
    qtbot.waitUntil(lambda: remote.approval_id is not None, timeout=POLLED)
    assert remote.approval_id is not None
    hall.approvals.decide(supervisor, remote.approval_id, True, "")
    qtbot.waitUntil(lambda: dialog.remote is not None, timeout=POLLED)
    assert "远程批准" in dialog.status.text()
    qtbot.mouseClick(dialog.return_button, LEFT)  # no user name, no password
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=POLLED)
    with hall.db.read() as s:
        unit = s.scalars(select(Device).where(Device.imei == sold.imei)).one()
        assert unit.status is DeviceStatus.RETURNED
        assert s.get_one(Approval, remote.approval_id).used_at is not None
