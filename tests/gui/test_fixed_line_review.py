"""The clerk walk-through review of the broadband/landline screens: each defect it found,
acted out as the clerk met it."""

from __future__ import annotations

import os
import uuid
from datetime import date
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QScrollArea, QTableView
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Customer, WorkOrder
from hall_app.domain.enums import (
    CustomerKind,
    WorkOrderStatus,
)
from hall_app.services.actor import Actor
from tests.fixed_line_fixtures import make_work_order
from tests.gui.conftest import ShownMessages
from tests.gui.fixed_helpers import (
    bundle_customer,
    make_slots,
    next_page,
    relocatable_customer,
    sign_now,
)
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_fixed_line_pages import _to_slots, _wizard
from tests.gui.test_open_mobile_wizard import WAIT
from tests.integration.test_relocation_check import fast_broadband_and_slow_community
from ui.app import Session
from ui.fixed_line.wizard import FixedLineWizard, RelocationWizard
from ui.ops import Operations
from ui.workorders.dialog import WorkOrderDialog
from ui.workorders.supervisor import OVERDUE, OpenWorkOrdersDialog

SHOTS = os.environ.get("REVIEW_SHOTS")  # a folder: the record at 1366×768 is saved there
UNCOVERED = "福建省福州市长乐区未来花园 8 栋 101"
NEW_ADDRESS = "福建省福州市鼓楼区鼓山新村 2 栋 301"


def _slot_of(hall: HallApp, work_order_id: uuid.UUID) -> uuid.UUID | None:
    with hall.db.read() as s:
        return s.get_one(WorkOrder, work_order_id).slot_id


def test_enter_on_the_focused_fixed_line_button_opens_the_wizard(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    hall = session.hall
    assert hall is not None
    make_slots(hall)
    customer_id, _ = bundle_customer(hall)
    window = _logged_in(qtbot, session, "clerk2")
    page = window.customers
    page.start_visit("C009", fixed_line=True)
    page.open_customer(customer_id)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.fixed_line_button, timeout=WAIT)
    qtbot.keyClick(page.fixed_line_button, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: window.fixed_wizard is not None and window.fixed_wizard.isVisible(),
        timeout=WAIT,
    )
    assert isinstance(window.fixed_wizard, FixedLineWizard)
    window.fixed_wizard.reject()
    for button in (page.open_mobile_button, page.relocation_button, page.work_order_button):
        assert button.autoDefault(), button.objectName()


def _to_confirm(qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations) -> FixedLineWizard:
    wizard = _wizard(qtbot, hall, clerk, ops)
    _to_slots(qtbot, hall, wizard)
    next_page(qtbot, wizard)
    return wizard


def _line_top(html: str, width: int, text: str) -> float:
    """Where ``text`` starts in ``html`` laid out ``width`` px wide (the label's own rich
    text engine)."""
    doc = QTextDocument()
    doc.setDefaultFont(QApplication.font())
    doc.setHtml(html)
    doc.setTextWidth(width)
    found = doc.find(text)
    assert not found.isNull(), text
    return doc.documentLayout().blockBoundingRect(found.block()).top()


def test_the_customer_sees_every_fee_and_the_total_beside_the_pad_and_confirm_is_default(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _to_confirm(qtbot, hall, clerk, ops)
    dialog = wizard.confirm.customer_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    qtbot.wait(60)
    assert dialog.screen().availableGeometry().size() == QSize(1366, 728)
    scroll = dialog.summary.parentWidget().parentWidget()
    assert isinstance(scroll, QScrollArea)
    view = scroll.viewport()
    total_at = _line_top(dialog.summary.text(), view.width(), "大写")
    assert total_at + 30 < view.height(), (total_at, view.size())
    assert dialog.pad.height() >= 200
    # Enter confirms; 重新签名 neither holds the focus nor is the default
    assert dialog.confirm_button.isDefault()
    assert not dialog.clear_button.autoDefault()
    assert dialog.clear_button.focusPolicy() == Qt.FocusPolicy.NoFocus
    assert QApplication.focusWidget() is not dialog.clear_button
    sign_now(qtbot, wizard)


def test_tab_from_cash_goes_to_next_and_change_shows_only_for_cash_over_the_total(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _to_confirm(qtbot, hall, clerk, ops)
    sign_now(qtbot, wizard)
    next_page(qtbot, wizard)
    pay = wizard.payment
    quote = wizard.draft.quote
    assert quote is not None
    qtbot.waitUntil(pay.tendered.hasFocus, timeout=WAIT)
    # the whole amount by card: nothing to give back, no green ¥0.00
    qtbot.keyClicks(pay.card_amount, f"{quote.total_fen / 100:.2f}")
    qtbot.keyClicks(pay.card_ref, "POS123456")
    assert wizard.next_button.isEnabled()
    assert not pay.change.isVisible() and pay.change.text() == ""
    pay.card_amount.clear()
    pay.card_ref.clear()
    pay.card_amount.setFocus()
    qtbot.keyClicks(pay.card_amount, "0")
    qtbot.keyClicks(pay.tendered, str(quote.total_fen // 100 + 1))
    assert pay.change.isVisible() and pay.change.text().startswith("¥")
    pay.tendered.setFocus()
    qtbot.keyClick(pay.tendered, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is wizard.next_button
    qtbot.keyClick(wizard.next_button, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is wizard.back_button


def test_after_a_demand_is_saved_the_next_address_is_typed_into_the_address_field(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops)
    page = wizard.address
    page.address.setText(UNCOVERED)
    qtbot.keyClick(page.address, Qt.Key.Key_Return)
    qtbot.waitUntil(page.demand_button.isVisible, timeout=WAIT)
    qtbot.keyClick(page, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    dialog = page.demand_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.phone, "13905910000")
    qtbot.keyClick(dialog.phone, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.saved_id is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: "预约登记已保存" in " ".join(shown.texts()), timeout=WAIT)
    qtbot.waitUntil(page.address.hasFocus, timeout=WAIT)
    qtbot.keyClicks(QApplication.focusWidget(), "3-502")  # replaces the uncovered one
    assert page.address.text() == "3-502"


def test_an_enterprise_is_visited_through_its_contact_person(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    hall = session.hall
    assert hall is not None
    with hall.db.read() as s:
        enterprise = s.scalars(
            select(Customer)
            .where(Customer.kind == CustomerKind.ENTERPRISE, Customer.contact_person.is_not(None))
            .limit(1)
        ).one()
        customer_id, person = enterprise.id, enterprise.contact_person
    window = _logged_in(qtbot, session, "clerk2")
    page = window.customers
    page.open_customer(customer_id)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    qtbot.keyClick(page, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.fixed_wizard is not None, timeout=WAIT)
    wizard = window.fixed_wizard
    assert isinstance(wizard, FixedLineWizard)
    assert wizard.draft.contact_name == person != page.current.name
    wizard.address.address.setText(UNCOVERED)
    qtbot.keyClick(wizard.address.address, Qt.Key.Key_Return)
    qtbot.waitUntil(wizard.address.demand_button.isVisible, timeout=WAIT)
    wizard.address.register_demand()
    dialog = wizard.address.demand_dialog
    assert dialog is not None and dialog.contact.text() == person
    dialog.reject()
    wizard.reject()


def test_a_bad_contact_phone_is_named_at_the_field_as_it_is_typed(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops)
    _to_slots(qtbot, hall, wizard)
    slots = wizard.appointment
    assert slots.contact.text() == "张三"
    slots.phone.clear()
    qtbot.keyClicks(slots.phone, "1390591")
    assert "11 位" in slots.contact_error.text() and "7 位" in slots.contact_error.text()
    assert not wizard.next_button.isEnabled()
    assert "11 位" in wizard.next_hint.text()
    qtbot.keyClicks(slots.phone, "0000")
    assert slots.contact_error.text() == ""
    assert wizard.next_button.isEnabled()
    slots.phone.clear()
    qtbot.keyClicks(slots.phone, "059187")
    assert "区号" in slots.contact_error.text()
    slots.phone.clear()
    qtbot.keyClicks(slots.phone, "x")  # emptied by hand: the hint says ask the customer
    qtbot.keyClick(slots.phone, Qt.Key.Key_Backspace)
    assert "询问客户" in wizard.next_hint.text()


def test_a_new_relocation_address_drops_the_chosen_slot_from_the_screen(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    make_slots(hall)
    customer_id, _ = relocatable_customer(hall)
    wizard = RelocationWizard(hall, clerk, ops, customer_id, customer_name="陈伟")
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(lambda: wizard.draft.relocating is not None, timeout=WAIT)
    page = wizard.relocation
    page.address.setText(NEW_ADDRESS)
    qtbot.keyClick(page.address, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.coverage is not None, timeout=WAIT)
    next_page(qtbot, wizard)
    slots = wizard.appointment
    qtbot.waitUntil(lambda: slots.slots.rowCount() > 0, timeout=WAIT)
    qtbot.keyClicks(slots.phone, "13905910001")
    qtbot.keyClick(slots.phone, Qt.Key.Key_Return)
    qtbot.keyClick(slots.table, Qt.Key.Key_Return)
    assert slots.chosen.text().startswith("已选：")
    qtbot.keyClick(wizard, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert wizard.current is page
    page.address.setFocus()
    qtbot.keyClick(page.address, Qt.Key.Key_End)
    qtbot.keyClicks(page.address, "A")  # 301A: the same community, another door
    qtbot.keyClick(page.address, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.coverage is not None, timeout=WAIT)
    next_page(qtbot, wizard)
    assert wizard.draft.slot is None
    assert not slots.chosen.text().startswith("已选")
    assert "尚未预约" in slots.chosen.text()
    wizard.reject()


def _relocation(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, customer_id: uuid.UUID
) -> RelocationWizard:
    make_slots(hall)
    wizard = RelocationWizard(hall, clerk, ops, customer_id, customer_name="陈伟")
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(lambda: wizard.relocation.subscription.count() > 0, timeout=WAIT)
    return wizard


def test_a_relocation_to_an_address_too_slow_for_the_plan_is_refused_at_the_address(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    customer_id, community, speed = fast_broadband_and_slow_community(hall)
    wizard = _relocation(qtbot, hall, clerk, ops, customer_id)
    page = wizard.relocation
    qtbot.waitUntil(lambda: wizard.draft.relocating is not None, timeout=WAIT)
    page.address.setText(f"福建省福州市鼓楼区{community} 2 栋 301")
    qtbot.keyClick(page.address, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(page.error.text()), timeout=WAIT)
    assert "已覆盖" not in page.result.text()
    assert speed in page.error.text() and "装机地址" in page.error.text()
    assert wizard.draft.coverage is None and not wizard.next_button.isEnabled()
    assert page.address.hasFocus()
    assert not shown.items  # at the field, not a pop-up
    wizard.reject()


def test_a_subscription_with_an_open_work_order_is_refused_when_chosen(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    built = make_work_order(hall, clerk, relocate=True)
    wizard = _relocation(qtbot, hall, clerk, ops, built.customer_id)
    page = wizard.relocation
    qtbot.waitUntil(lambda: built.work_order_no in page.current_address.text(), timeout=WAIT)
    assert "移机业务" in page.current_address.text()
    assert wizard.draft.relocating is None
    page.address.setText(NEW_ADDRESS)
    qtbot.keyClick(page.address, Qt.Key.Key_Return)
    assert wizard.draft.coverage is None and not wizard.next_button.isEnabled()
    assert built.work_order_no in wizard.next_hint.text()
    assert not shown.items
    wizard.reject()


def _dialog(
    qtbot: QtBot, hall: HallApp, actor: Actor, ops: Operations, work_order_id: uuid.UUID
) -> WorkOrderDialog:
    view = hall.work_orders.get(actor, work_order_id)
    dialog = WorkOrderDialog(view, hall.work_orders, actor, ops, slots=hall.slots)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)
    return dialog


def test_reschedule_is_keyboard_first_enter_takes_the_row_tab_reaches_the_reason(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    built = make_work_order(hall, clerk, status=WorkOrderStatus.FAILED, capacity=3)
    dialog = _dialog(qtbot, hall, clerk, ops, built.work_order_id)
    assert not dialog.cancel_button.isVisible()  # a clerk cannot cancel
    qtbot.keyClick(dialog, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: dialog.slot_rows.rowCount() > 1, timeout=WAIT)
    table = dialog.slot_table
    assert table.hasFocus() and not table.tabKeyNavigation()
    qtbot.keyClick(table, Qt.Key.Key_Down)
    wanted = dialog.free_slots[1].slot_id
    qtbot.keyClick(table, Qt.Key.Key_Return)  # takes the row; nothing is written yet
    assert dialog.picked is not None and dialog.picked.slot_id == wanted
    assert dialog.reschedule_reason.hasFocus()
    assert table.selectionModel().selectedRows()[0].row() == 1
    assert "新时段" in dialog.picked_label.text()
    ops.wait_idle()
    assert _slot_of(hall, built.work_order_id) == built.slot_id
    # Tab from the list leaves it (to the reason) instead of walking its cells
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Tab)
    assert dialog.reschedule_reason.hasFocus()
    assert table.selectionModel().selectedRows()[0].row() == 1
    # the reason has its own key (Alt+R)
    table.setFocus()
    qtbot.keyClick(dialog, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    assert dialog.reschedule_reason.hasFocus()
    dialog.reschedule_reason.insert("客户改约")
    qtbot.keyClick(dialog.reschedule_reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.view.status is WorkOrderStatus.SCHEDULED, timeout=WAIT)
    assert _slot_of(hall, built.work_order_id) == wanted
    dialog.close()


def test_a_supervisor_cancels_a_work_order_with_a_reason(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    supervisor: Actor,
    ops: Operations,
    shown: ShownMessages,
) -> None:
    built = make_work_order(hall, clerk)
    dialog = _dialog(qtbot, hall, supervisor, ops, built.work_order_id)
    assert dialog.cancel_button.isVisible() and dialog.cancel_button.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert dialog.cancel_reason.hasFocus()
    qtbot.keyClick(dialog.cancel_reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "原因" in dialog.error.text(), timeout=WAIT)
    dialog.cancel_reason.insert("客户撤销申请")
    qtbot.keyClick(dialog.cancel_reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.view.status is WorkOrderStatus.CANCELLED, timeout=WAIT)
    assert any("取消工单" in t for t in shown.texts())  # asked first
    assert not dialog.cancel_button.isEnabled()
    with hall.db.read() as s:
        assert s.get_one(WorkOrder, built.work_order_id).status_reason == "客户撤销申请"
    dialog.close()


def test_the_supervisor_lists_open_work_orders_overdue_flagged_and_opens_one(
    qtbot: QtBot, session: Session, hall: HallApp, clerk: Actor, shown: ShownMessages
) -> None:
    late = make_work_order(hall, clerk, promised=date(2026, 11, 23))
    make_work_order(hall, clerk, promised=date(2026, 11, 30))
    window = _logged_in(qtbot, session, "super2")
    texts = [a.text() for m in window.menuBar().actions() for a in m.menu().actions()]
    assert "预约登记列表" in texts and not [t for t in texts if "Ctrl" in t]
    assert window.demand_action.shortcut().toString() == "Ctrl+Shift+D"
    qtbot.keyClick(
        window,
        Qt.Key.Key_W,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: window.work_orders_dialog is not None, timeout=WAIT)
    listing = window.work_orders_dialog
    assert isinstance(listing, OpenWorkOrdersDialog)
    boss = hall.auth.log_in("super2", "hall1234")
    expected = hall.work_orders.open_work_orders(boss)
    qtbot.waitUntil(lambda: listing.rows.rowCount() == len(expected), timeout=WAIT)
    numbers = [listing.rows.data(listing.rows.index(i, 0)) for i in range(listing.rows.rowCount())]
    row = numbers.index(late.work_order_no)
    assert listing.rows.data(listing.rows.index(row, 5)) == OVERDUE
    assert "已超过承诺装机日期" in listing.count.text()
    qtbot.keyClick(listing, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    overdue = hall.work_orders.open_work_orders(boss, overdue_only=True)
    qtbot.waitUntil(lambda: listing.rows.rowCount() == len(overdue), timeout=WAIT)
    numbers = [listing.rows.data(listing.rows.index(i, 0)) for i in range(listing.rows.rowCount())]
    listing.table.selectRow(numbers.index(late.work_order_no))
    qtbot.keyClick(listing.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: listing.work_order_dialog is not None, timeout=WAIT)
    dialog = listing.work_order_dialog
    assert dialog is not None and dialog.view.work_order_no == late.work_order_no
    assert dialog.cancel_button.isVisible()
    dialog.close()
    listing.close()


def _whole(table: QTableView, column: int) -> bool:
    """The column lies inside the viewport with the table scrolled to its start."""
    table.horizontalScrollBar().setValue(0)
    left = table.columnViewportPosition(column)
    return left >= 0 and left + min(table.columnWidth(column), 60) <= table.viewport().width()


def test_at_1366x768_the_record_shows_the_address_of_a_work_order_and_the_balances(
    qtbot: QtBot, session: Session, hall: HallApp, clerk: Actor, shown: ShownMessages
) -> None:
    built = make_work_order(hall, clerk, promised=date(2026, 11, 23), landline=True)
    window = _logged_in(qtbot, session, "clerk2")
    assert window.screen().availableGeometry().size() == QSize(1366, 728)
    page = window.customers
    page.open_customer(built.customer_id)
    qtbot.waitUntil(lambda: page.record.work_order_panel.isVisible(), timeout=WAIT)
    qtbot.wait(60)
    record = page.record
    orders = record.work_order_table
    headers = [record.work_orders.headerData(c, Qt.Orientation.Horizontal) for c in range(6)]
    for c in (headers.index("装机地址"), headers.index("预约时段"), headers.index("承诺日期")):
        assert _whole(orders, c), (headers[c], orders.viewport().width())
    address = headers.index("装机地址")
    left = orders.columnViewportPosition(address)
    assert left + orders.columnWidth(address) <= orders.viewport().width() + 1
    assert "已超期" in record.work_orders.data(record.work_orders.index(0, 4))
    assert orders.model().data(orders.model().index(0, address), Qt.ItemDataRole.ToolTipRole)
    record.go_to_tab(1)
    subs = record.tables["业务号码"]
    qtbot.wait(30)
    names = [record.subscriptions.headerData(c, Qt.Orientation.Horizontal) for c in range(9)]
    assert _whole(subs, names.index("余额")), subs.viewport().width()
    if SHOTS:
        window.grab().save(str(Path(SHOTS) / "review-record-subscriptions.png"))
        record.go_to_tab(0)
        window.grab().save(str(Path(SHOTS) / "review-record-workorders.png"))
