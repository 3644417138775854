"""The customer record's install work orders: an overdue one flagged in red, and the clerk
reporting 派单, 装机失败, 改约 and 装机完成 from the work-order dialog, then printing the
装机工单."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from hall_app.app import HallApp
from hall_app.db.models import InstallSlot, Subscription, WorkOrder
from hall_app.domain.enums import SubscriptionStatus, WorkOrderStatus
from hall_app.services.actor import Actor
from tests.fixed_line_fixtures import make_work_order
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_wizard import WAIT
from tests.gui.test_window_sizes import USABLE
from ui.app import Session
from ui.customers.search import CustomerSearchPage
from ui.ops import Operations
from ui.screen import FRAME

CTRL = Qt.KeyboardModifier.ControlModifier
SHOTS = os.environ.get("HALL_SHOTS")  # a folder: the screens are saved there as PNG


def _wo(hall: HallApp, work_order_id: object) -> tuple[WorkOrderStatus, object, int]:
    with hall.db.read() as s:
        wo = s.get_one(WorkOrder, work_order_id)
        return wo.status, wo.slot_id, wo.reschedules


def _page(qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations) -> CustomerSearchPage:
    page = CustomerSearchPage(
        hall.customers,
        clerk,
        ops,
        None,
        hall.invoices,
        hall.documents,
        work_orders=hall.work_orders,
        slots=hall.slots,
    )
    qtbot.addWidget(page)
    page.resize(1366 - 140, 768 - 140)
    page.show()
    return page


def test_the_record_flags_an_overdue_work_order_and_the_clerk_reports_each_step(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    # Promised for yesterday (the clock stands at 2026-11-24): overdue, 1 % a day late.
    built = make_work_order(hall, clerk, promised=date(2026, 11, 23), fee_fen=10_000)
    page = _page(qtbot, hall, clerk, ops)
    page.open_customer(built.customer_id)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    banner = page.record.work_order_banner
    assert banner.isVisible() and banner.property("role") == "error"
    assert built.work_order_no in banner.text() and "已超过承诺装机日期" in banner.text()
    assert page.record.work_orders.rowCount() == 1
    assert page.record.work_order_table.isVisible()
    assert page.work_order_button.isEnabled()

    qtbot.keyClick(page, Qt.Key.Key_G, CTRL)
    dialog = page.work_order_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)
    assert dialog.state.property("role") == "error"
    assert not dialog.installed_button.isEnabled()  # not dispatched yet
    assert dialog.width() <= 1366 and dialog.height() <= 728
    if SHOTS:
        dialog.grab().save(str(Path(SHOTS) / "workorder-dialog.png"))

    # 派单 (Ctrl+1): the record refreshes from the announcement
    qtbot.keyClick(dialog, Qt.Key.Key_1, CTRL)
    qtbot.waitUntil(lambda: dialog.view.status is WorkOrderStatus.DISPATCHED, timeout=WAIT)
    assert _wo(hall, built.work_order_id)[0] is WorkOrderStatus.DISPATCHED
    rows = page.record.work_orders
    qtbot.waitUntil(lambda: rows.data(rows.index(0, 2)) == "已派单", timeout=WAIT)

    # 装机失败 without a reason is said in the dialog; with one it is recorded
    qtbot.mouseClick(dialog.failed_button, Qt.MouseButton.LeftButton)
    qtbot.keyClick(dialog.fail_reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "原因" in dialog.error.text(), timeout=WAIT)
    assert _wo(hall, built.work_order_id)[0] is WorkOrderStatus.DISPATCHED
    dialog.fail_reason.insert("客户不在家，电话无人接听")
    qtbot.keyClick(dialog.fail_reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.view.status is WorkOrderStatus.FAILED, timeout=WAIT)
    assert not dialog.installed_button.isEnabled() and dialog.reschedule_button.isEnabled()

    # 改约 (Ctrl+4): the free slots of the community, the first chosen, a reason, Enter
    qtbot.keyClick(dialog, Qt.Key.Key_4, CTRL)
    qtbot.waitUntil(lambda: dialog.slot_rows.rowCount() > 0, timeout=WAIT)
    assert built.slot_id not in [s.slot_id for s in dialog.free_slots]
    chosen = dialog.free_slots[0].slot_id
    dialog.reschedule_reason.insert("客户改约到周四下午")
    if SHOTS:
        dialog.grab().save(str(Path(SHOTS) / "workorder-dialog-reschedule.png"))
    qtbot.keyClick(dialog.reschedule_reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.view.status is WorkOrderStatus.SCHEDULED, timeout=WAIT)
    status, slot_id, reschedules = _wo(hall, built.work_order_id)
    assert (status, slot_id, reschedules) == (WorkOrderStatus.SCHEDULED, chosen, 1)
    with hall.db.read() as s:
        assert s.get_one(InstallSlot, chosen).booked == 1

    # 派单 again, then 装机完成 (Ctrl+2, confirmed): billing starts, a day late credited
    qtbot.mouseClick(dialog.dispatch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.installed_button.isEnabled(), timeout=WAIT)
    qtbot.keyClick(dialog, Qt.Key.Key_2, CTRL)
    qtbot.waitUntil(lambda: dialog.view.status is WorkOrderStatus.INSTALLED, timeout=WAIT)
    assert any("已装机完成" in t for t in shown.texts())  # the confirmation asked
    assert "已开通计费" in dialog.state.text() and "已补偿 ¥1.00" in dialog.state.text()
    with hall.db.read() as s:
        sub = s.get_one(Subscription, built.broadband_id)
        assert sub.status is SubscriptionStatus.ACTIVE and sub.balance_fen == 100
    qtbot.waitUntil(lambda: not page.record.work_order_panel.isVisible(), timeout=WAIT)
    if SHOTS:
        dialog.grab().save(str(Path(SHOTS) / "workorder-dialog-installed.png"))

    # 打印装机工单 (Ctrl+P): the preview of the document
    qtbot.keyClick(dialog, Qt.Key.Key_P, CTRL)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=WAIT)
    assert dialog.preview is not None
    assert dialog.preview.shown.filename.startswith(built.work_order_no)
    dialog.preview.close()
    dialog.close()


def test_from_the_main_window_an_open_work_order_is_one_key_away(
    qtbot: QtBot, session: Session, hall: HallApp, clerk: Actor, shown: ShownMessages
) -> None:
    built = make_work_order(hall, clerk, promised=date(2026, 11, 23), landline=True)
    window = _logged_in(qtbot, session)
    page = window.customers
    qtbot.keyClicks(page.query, "13305911234")
    qtbot.keyClick(page.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.results.rowCount() > 0, timeout=WAIT)
    ids = [page.results.payload(i) for i in range(page.results.rowCount())]
    page.open_customer(ids[ids.index(built.customer_id)])
    qtbot.waitUntil(
        lambda: page.current is not None and page.current.id == built.customer_id, timeout=WAIT
    )
    qtbot.waitUntil(lambda: page.record.work_order_panel.isVisible(), timeout=WAIT)
    assert window.minimumSizeHint().width() + FRAME.width() <= USABLE.width()
    if SHOTS:
        window.grab().save(str(Path(SHOTS) / "main-window-workorders.png"))
    page.record.work_order_table.setFocus()
    page.record.work_order_table.selectRow(0)
    qtbot.keyClick(page.record.work_order_table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.work_order_dialog is not None, timeout=WAIT)
    dialog = page.work_order_dialog
    assert dialog is not None and dialog.view.work_order_no == built.work_order_no
    assert dialog.fields["业务号码"].text().count("、") == 1  # the account and the landline
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=WAIT)
    frame = dialog.frameGeometry()
    assert frame.width() <= USABLE.width() and frame.height() <= USABLE.height()
    dialog.close()
    assert shown.items == []


def test_a_reschedule_the_customer_asked_for_moves_the_promised_date(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    from ui.workorders.dialog import WorkOrderDialog

    built = make_work_order(hall, clerk, promised=date(2026, 11, 25))
    view = hall.work_orders.get(clerk, built.work_order_id)
    dialog = WorkOrderDialog(view, hall.work_orders, clerk, ops, slots=hall.slots)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start_reschedule()
    qtbot.waitUntil(lambda: dialog.slot_rows.rowCount() > 0, timeout=WAIT)
    latest = max(range(len(dialog.free_slots)), key=lambda i: dialog.free_slots[i].starts_at)
    later = dialog.free_slots[latest]
    assert later.day > view.promised_date
    dialog.slot_table.selectRow(latest)
    dialog._slot_picked(dialog.slot_rows.index(latest, 0))
    assert not dialog.customer_asked.isChecked()  # by default the operator's delay
    dialog.customer_asked.setChecked(True)
    dialog.reschedule_reason.insert("客户出差，要求改到下周")
    qtbot.keyClick(dialog.reschedule_reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.view.slot_id == later.slot_id, timeout=WAIT)
    assert dialog.view.promised_date == later.day
    assert shown.items == []
