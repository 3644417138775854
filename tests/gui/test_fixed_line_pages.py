"""The broadband/landline wizard's pages on their own: each bad input named at its field,
a slot that filled while the customer hesitated (no money taken, the next free ones offered),
the landline number given back, a relocation, and the supervisor's 预约登记 list."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import event, func, select, update

from hall_app.app import HallApp
from hall_app.db.models import (
    DemandRegistration,
    Equipment,
    InstallSlot,
    LandlineNumber,
    Order,
    Payment,
    Subscription,
    WorkOrder,
)
from hall_app.domain.enums import (
    DemandStatus,
    EquipmentMode,
    EquipmentStatus,
    NumberStatus,
    WorkOrderKind,
)
from hall_app.services.actor import Actor
from tests.conftest import FakeClock
from tests.gui.conftest import ShownMessages
from tests.gui.fixed_helpers import (
    ADDRESS,
    bundle_customer,
    make_slots,
    modem_in_stock,
    next_page,
    relocatable_customer,
    sign_now,
)
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_wizard import WAIT
from ui.app import Session
from ui.fixed_line.demands import DemandListDialog
from ui.fixed_line.wizard import FixedLineWizard, RelocationWizard
from ui.ops import Operations


def _wizard(qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations) -> FixedLineWizard:
    make_slots(hall)
    customer_id, _ = bundle_customer(hall)
    wizard = FixedLineWizard(hall, clerk, ops, customer_id, customer_name="张三")
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard, timeout=WAIT)
    return wizard


def _covered(qtbot: QtBot, wizard: FixedLineWizard, address: str = ADDRESS) -> None:
    wizard.address.address.setText(address)
    qtbot.keyClick(wizard.address.address, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.coverage is not None, timeout=WAIT)


def _plan(qtbot: QtBot, wizard: FixedLineWizard, code: str = "BB500") -> None:
    next_page(qtbot, wizard)
    plans = wizard.plan
    qtbot.waitUntil(lambda: plans.plan_combo.count() > 2, timeout=WAIT)
    plans.plan_combo.setCurrentIndex(plans.plan_combo.findData(code))


def _scan(qtbot: QtBot, wizard: FixedLineWizard, key: str, serial: str) -> None:
    edit = wizard.equipment.serials[key]
    edit.selectAll()
    qtbot.keyClicks(edit, serial)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def _to_slots(qtbot: QtBot, hall: HallApp, wizard: FixedLineWizard) -> None:
    _covered(qtbot, wizard)
    _plan(qtbot, wizard)
    next_page(qtbot, wizard)
    _scan(qtbot, wizard, "modem", modem_in_stock(hall))
    qtbot.waitUntil(lambda: "modem" in wizard.draft.gear, timeout=WAIT)
    next_page(qtbot, wizard)
    slots = wizard.appointment
    qtbot.waitUntil(lambda: slots.slots.rowCount() > 1, timeout=WAIT)
    qtbot.keyClicks(slots.phone, "13905910000")
    qtbot.keyClick(slots.phone, Qt.Key.Key_Return)
    qtbot.keyClick(slots.table, Qt.Key.Key_Return)
    assert wizard.draft.slot is not None


def test_an_address_naming_no_community_is_refused_at_the_field(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops)
    page = wizard.address
    page.address.setText("福州市鼓楼区五四路 88 号")
    qtbot.keyClick(page.address, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "小区" in page.error.text(), timeout=WAIT)
    assert "没有小区名称" in page.error.text()
    assert not wizard.next_button.isEnabled() and "装机地址" in wizard.next_hint.text()
    page.address.setText("福州")  # too short to be an address
    qtbot.keyClick(page.address, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "完整的装机地址" in page.error.text(), timeout=WAIT)
    assert shown.items == []  # said at the field, not in a pop-up


def test_an_uncovered_address_offers_a_demand_registration(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops)
    page = wizard.address
    address = "福建省福州市长乐区未来花园 8 栋 101"
    page.address.setText(address)
    qtbot.keyClick(page.address, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "暂未覆盖" in page.result.text(), timeout=WAIT)
    assert wizard.draft.coverage is None and not wizard.next_button.isEnabled()
    assert page.demand_button.isVisible()
    qtbot.keyClick(page, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    dialog = page.demand_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.contact.text() == "张三"
    qtbot.keyClicks(dialog.phone, "1390591")  # too short
    qtbot.keyClick(dialog.phone, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "联系电话" in dialog.error.text(), timeout=WAIT)
    qtbot.keyClicks(dialog.phone, "0000")
    dialog.wanted.setCurrentIndex(dialog.wanted.findData("宽带+固话"))
    qtbot.keyClick(dialog.phone, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    ops.wait_idle()
    assert "已预约登记" in page.result.text()
    with hall.db.read() as s:
        row = s.scalars(
            select(DemandRegistration).where(DemandRegistration.id == dialog.saved_id)
        ).one()
        assert row.contact_phone == "13905910000" and row.wanted == "宽带+固话"
        assert row.customer_id == wizard.draft.customer_id and "未来花园" in row.address


def test_the_customers_address_is_taken_with_ctrl_d(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops)
    expected = hall.fixed_line.customer_address(clerk, wizard.draft.customer_id)
    qtbot.keyClick(wizard.address, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: wizard.address.address.text() == expected, timeout=WAIT)
    # checked at once: covered, uncovered or refused at the field, never left unanswered
    qtbot.waitUntil(
        lambda: (
            wizard.draft.coverage is not None
            or "暂未覆盖" in wizard.address.result.text()
            or bool(wizard.address.error.text())
        ),
        timeout=WAIT,
    )


def test_bad_serials_are_named_at_the_field_and_free_needs_a_contract(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops)
    _covered(qtbot, wizard)
    _plan(qtbot, wizard)
    next_page(qtbot, wizard)
    gear = wizard.equipment
    _scan(qtbot, wizard, "modem", "ab")  # not a serial at all
    qtbot.waitUntil(lambda: "格式不对" in gear.errors["modem"].text(), timeout=WAIT)
    router = modem_in_stock(hall, "RT_AX3")
    _scan(qtbot, wizard, "modem", router)  # a router in the modem's field
    qtbot.waitUntil(lambda: "请扫描光猫" in gear.errors["modem"].text(), timeout=WAIT)
    lent = modem_in_stock(hall, skip=1)
    with hall.db.unit_of_work() as s:
        s.execute(
            update(Equipment).where(Equipment.serial == lent).values(status=EquipmentStatus.LENT)
        )
    _scan(qtbot, wizard, "modem", lent)
    qtbot.waitUntil(lambda: "不能再出借" in gear.errors["modem"].text(), timeout=WAIT)
    assert not wizard.next_button.isEnabled()
    modem = modem_in_stock(hall)
    _scan(qtbot, wizard, "modem", modem)
    qtbot.waitUntil(lambda: "modem" in wizard.draft.gear, timeout=WAIT)
    _scan(qtbot, wizard, "router", modem)  # the same device twice
    qtbot.waitUntil(lambda: "已作为另一台设备" in gear.errors["router"].text(), timeout=WAIT)
    _scan(qtbot, wizard, "router", router)
    qtbot.waitUntil(lambda: "router" in wizard.draft.gear, timeout=WAIT)
    modes = [gear.modes["router"].itemData(i) for i in range(gear.modes["router"].count())]
    assert modes == ["free", "deposit", "bought"]  # BB500 runs 12 months: free is offered
    gear.modes["router"].setCurrentIndex(gear.modes["router"].findData("bought"))
    assert wizard.draft.gear["router"].mode is EquipmentMode.BOUGHT

    # a landline alone without a contract: free lending is not offered
    qtbot.keyClick(wizard, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    plans = wizard.plan
    plans.plan_combo.setCurrentIndex(plans.plan_combo.findData("__none__"))
    plans.landline_box.setChecked(True)
    plans.landline_combo.setCurrentIndex(plans.landline_combo.findData("LL20"))
    qtbot.waitUntil(lambda: plans.numbers.rowCount() > 0, timeout=WAIT)
    qtbot.keyClick(plans.number_table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.landline is not None, timeout=WAIT)
    next_page(qtbot, wizard)
    modes = [gear.modes["modem"].itemData(i) for i in range(gear.modes["modem"].count())]
    assert modes == ["deposit", "bought"] and "无合约期" in gear.note.text()


def _counts(hall: HallApp) -> tuple[int, int, int]:
    with hall.db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(Order)) or 0,
            s.scalar(select(func.count()).select_from(Payment)) or 0,
            s.scalar(select(func.count()).select_from(WorkOrder)) or 0,
        )


def test_a_slot_that_filled_meanwhile_takes_no_money_and_offers_the_next(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops)
    _to_slots(qtbot, hall, wizard)
    slot = wizard.draft.slot
    assert slot is not None
    next_page(qtbot, wizard)
    sign_now(qtbot, wizard)
    next_page(qtbot, wizard)
    with hall.db.unit_of_work() as s:  # another counter books its last place meanwhile
        s.execute(
            update(InstallSlot)
            .where(InstallSlot.id == slot.slot_id)
            .values(booked=InstallSlot.capacity)
        )
    quote = wizard.draft.quote
    assert quote is not None
    before = _counts(hall)
    pay = wizard.payment
    qtbot.keyClicks(pay.tendered, str(quote.total_fen // 100 + 1))
    qtbot.keyClick(pay.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.current is wizard.appointment, timeout=WAIT)
    assert any("未收取任何费用" in t and "约满" in t for t in shown.texts()), shown.items
    page = wizard.appointment
    qtbot.waitUntil(lambda: "最新的可预约时段" in page.hint.text(), timeout=WAIT)
    offered = [page.slots.payload(r).slot_id for r in range(page.slots.rowCount())]
    assert offered and slot.slot_id not in offered
    assert wizard.draft.slot is None and not wizard.next_button.isEnabled()
    assert _counts(hall) == before  # no order, no payment, no work order: nothing saved
    # the next free one: the order goes through
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    next_page(qtbot, wizard)
    sign_now(qtbot, wizard)
    next_page(qtbot, wizard)
    qtbot.keyClicks(pay.tendered, str(quote.total_fen // 100 + 1))
    qtbot.keyClick(pay.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.installed is not None, timeout=WAIT)
    assert _counts(hall) == (before[0] + 1, before[1] + 1, before[2] + 1)
    installed = wizard.draft.installed
    assert installed is not None
    with hall.db.read() as s:
        assert s.get_one(WorkOrder, installed.work_order_id).slot_id != slot.slot_id


def test_abandoning_gives_the_landline_number_back(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops)
    _covered(qtbot, wizard)
    _plan(qtbot, wizard)
    plans = wizard.plan
    qtbot.keyClick(plans, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert plans.landline_box.isChecked()
    qtbot.waitUntil(lambda: plans.numbers.rowCount() > 1, timeout=WAIT)
    qtbot.keyClick(plans.number_table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.landline is not None, timeout=WAIT)
    first = wizard.draft.landline
    assert first is not None
    qtbot.keyClick(plans.number_table, Qt.Key.Key_Down)  # another: the first goes back
    qtbot.keyClick(plans.number_table, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: wizard.draft.landline is not None and wizard.draft.landline != first,
        timeout=WAIT,
    )
    second = wizard.draft.landline
    assert second is not None

    def status(number: str) -> NumberStatus:
        with hall.db.read() as s:
            return s.scalars(
                select(LandlineNumber.status).where(LandlineNumber.number == number)
            ).one()

    assert status(first.number) is NumberStatus.AVAILABLE
    assert status(second.number) is NumberStatus.RESERVED
    wizard.reject()  # Esc: asked (default 否; the fixture answers 是), then released
    assert any(second.display in t for t in shown.texts())
    ops.wait_idle()
    assert status(second.number) is NumberStatus.AVAILABLE


def test_a_relocation_from_the_customer_record(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    hall = session.hall
    assert hall is not None
    make_slots(hall)
    customer_id, account = relocatable_customer(hall)
    window = _logged_in(qtbot, session, "clerk2")
    page = window.customers
    page.open_customer(customer_id)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    qtbot.waitUntil(page.relocation_button.isEnabled, timeout=WAIT)
    qtbot.keyClick(page, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: window.fixed_wizard is not None and window.fixed_wizard.isVisible(),
        timeout=WAIT,
    )
    wizard = window.fixed_wizard
    assert isinstance(wizard, RelocationWizard)
    first = wizard.relocation
    qtbot.waitUntil(lambda: wizard.draft.relocating is not None, timeout=WAIT)
    assert account in first.subscription.currentText()
    first.address.setText("福建省福州市鼓楼区鼓山新村 2 栋 301")
    qtbot.keyClick(first.address, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.coverage is not None, timeout=WAIT)
    next_page(qtbot, wizard)
    slots = wizard.appointment
    qtbot.waitUntil(lambda: slots.slots.rowCount() > 0, timeout=WAIT)
    slots.contact.setText("李四")
    qtbot.keyClicks(slots.phone, "13905910001")
    qtbot.keyClick(slots.phone, Qt.Key.Key_Return)
    qtbot.keyClick(slots.table, Qt.Key.Key_Return)
    next_page(qtbot, wizard)
    quote = wizard.draft.quote
    assert quote is not None and quote.total_fen == hall.settings.rules.relocation_fee_fen
    assert "移机" in wizard.confirm.summary.text() and "鼓山新村" in wizard.confirm.summary.text()
    sign_now(qtbot, wizard)
    next_page(qtbot, wizard)
    qtbot.keyClicks(wizard.payment.tendered, str(quote.total_fen // 100 + 1))
    qtbot.keyClick(wizard.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.installed is not None, timeout=WAIT)
    done = wizard.draft.installed
    assert done is not None and done.work_order_no in wizard.finish.result.text()
    with hall.db.read() as s:
        wo = s.get_one(WorkOrder, done.work_order_id)
        assert wo.kind is WorkOrderKind.RELOCATE and "鼓山新村" in wo.address
        sub = s.get_one(Subscription, wo.broadband_subscription_id)
        assert sub.service_number == account  # keeps its account; the address moves later
        assert "鼓山新村" not in sub.address


def test_the_supervisor_lists_the_demand_registrations(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    hall = session.hall
    assert hall is not None
    window = _logged_in(qtbot, session, "super2")
    qtbot.keyClick(
        window,
        Qt.Key.Key_D,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(
        lambda: window.demand_dialog is not None and window.demand_dialog.isVisible(),
        timeout=WAIT,
    )
    dialog = window.demand_dialog
    assert isinstance(dialog, DemandListDialog)
    boss = hall.auth.log_in("super1", "hall1234")
    expected = hall.fixed_line.demands(boss)
    qtbot.waitUntil(lambda: dialog.rows.rowCount() == len(expected), timeout=WAIT)
    assert expected and f"共 {len(expected)} 条" in dialog.count.text()
    assert dialog.rows.data(dialog.rows.index(0, 3)) == expected[0].contact_phone_masked
    # Ctrl+1 on the first (open) one: the customer was told; the list says so.
    first = expected[0]
    assert first.status is DemandStatus.OPEN
    dialog.table.selectRow(0)
    qtbot.keyClick(dialog.table, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: any(
            d.id == first.id and d.status is DemandStatus.NOTIFIED
            for d in hall.fixed_line.demands(boss)
        ),
        timeout=WAIT,
    )


def test_a_clerk_has_no_demand_list_in_the_menu(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    window = _logged_in(qtbot, session, "clerk2")
    assert not hasattr(window, "demand_action")
    # a clerk's only menu is their own (我的业绩); the supervisor's 管理 is not there
    assert [a.text() for a in window.menuBar().actions()] == ["我的(&M)"]


def test_days_past_the_calendars_years_are_marked_provisional(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    ops: Operations,
    clock: FakeClock,
    shown: ShownMessages,
) -> None:
    clock.now = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)  # Monday; 2027 is not in the table
    wizard = _wizard(qtbot, hall, clerk, ops)
    _covered(qtbot, wizard)
    c = wizard.draft.coverage
    assert c is not None and c.promised_provisional and c.promised_date is not None
    assert c.promised_date.year == 2027
    assert "（暂按周一至周五计算）" in wizard.address.result.text()
    _plan(qtbot, wizard)
    next_page(qtbot, wizard)
    _scan(qtbot, wizard, "modem", modem_in_stock(hall))
    qtbot.waitUntil(lambda: "modem" in wizard.draft.gear, timeout=WAIT)
    next_page(qtbot, wizard)
    page = wizard.appointment
    qtbot.waitUntil(lambda: page.slots.rowCount() > 0, timeout=WAIT)
    rows = [page.slots.payload(r) for r in range(page.slots.rowCount())]
    notes = {r.day.year: page.slots.data(page.slots.index(i, 6)) for i, r in enumerate(rows)}
    assert notes == {2026: "", 2027: "（暂按周一至周五计算）"}, notes
    assert "节假日安排尚未公布" in page.hint.text()


def test_ctrl_b_and_ctrl_m_say_what_to_do_without_a_customer_or_a_line(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    hall = session.hall
    assert hall is not None
    window = _logged_in(qtbot, session, "clerk2")
    page = window.customers
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert "请先打开客户资料" in page.field_error.text() and window.fixed_wizard is None
    customer_id, _ = bundle_customer(hall)  # a mobile customer without broadband
    page.open_customer(customer_id)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    assert page.fixed_line_button.isEnabled() and not page.relocation_button.isEnabled()
    qtbot.keyClick(page.table, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert "不能移机" in page.field_error.text() and window.fixed_wizard is None
    assert shown.items == []


def test_a_landline_reservation_that_lapsed_sends_the_clerk_back_to_the_plan(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops)
    _covered(qtbot, wizard)
    _plan(qtbot, wizard)
    plans = wizard.plan
    qtbot.keyClick(plans, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: plans.numbers.rowCount() > 0, timeout=WAIT)
    qtbot.keyClick(plans.number_table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.landline is not None, timeout=WAIT)
    number = wizard.draft.landline
    assert number is not None
    next_page(qtbot, wizard)
    _scan(qtbot, wizard, "modem", modem_in_stock(hall))
    qtbot.waitUntil(lambda: "modem" in wizard.draft.gear, timeout=WAIT)
    next_page(qtbot, wizard)
    slots = wizard.appointment
    qtbot.waitUntil(lambda: slots.slots.rowCount() > 0, timeout=WAIT)
    qtbot.keyClicks(slots.phone, "13905910000")
    qtbot.keyClick(slots.phone, Qt.Key.Key_Return)
    qtbot.keyClick(slots.table, Qt.Key.Key_Return)
    next_page(qtbot, wizard)
    sign_now(qtbot, wizard)
    next_page(qtbot, wizard)
    with hall.db.unit_of_work() as s:  # the reservation ran out while the customer hesitated
        s.execute(
            update(LandlineNumber)
            .where(LandlineNumber.number == number.number)
            .values(reserved_until=datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
        )
    before = _counts(hall)
    quote = wizard.draft.quote
    assert quote is not None
    qtbot.keyClicks(wizard.payment.tendered, str(quote.total_fen // 100 + 1))
    qtbot.keyClick(wizard.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.current is wizard.plan, timeout=WAIT)
    assert any("未收取任何费用" in t and "重新选择固话号码" in t for t in shown.texts())
    assert wizard.draft.landline is None and not wizard.next_button.isEnabled()
    assert number.display in plans.number_chosen.text()
    assert _counts(hall) == before


def test_a_database_fault_mid_order_takes_no_money_and_the_clerk_can_retry(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops)
    _to_slots(qtbot, hall, wizard)
    next_page(qtbot, wizard)
    sign_now(qtbot, wizard)
    next_page(qtbot, wizard)

    def fail_work_order(
        _conn: object, _cursor: object, statement: str, *_args: object
    ) -> None:  # the disk gives way as the work order is written
        if statement.startswith("INSERT INTO work_orders"):
            raise sqlite3.OperationalError("disk I/O error")

    event.listen(hall.db.engine, "before_cursor_execute", fail_work_order)
    before = _counts(hall)
    quote = wizard.draft.quote
    assert quote is not None
    pay = wizard.payment
    qtbot.keyClicks(pay.tendered, str(quote.total_fen // 100 + 1))
    qtbot.keyClick(pay.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "未收取任何费用" in pay.error.text(), timeout=WAIT)
    assert "数据库" in pay.error.text() and wizard.current is pay
    assert _counts(hall) == before and wizard.draft.installed is None
    event.remove(hall.db.engine, "before_cursor_execute", fail_work_order)
    qtbot.waitUntil(wizard.next_button.isEnabled, timeout=WAIT)  # the clerk tries again
    qtbot.keyClick(pay.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.installed is not None, timeout=WAIT)
    assert _counts(hall) == (before[0] + 1, before[1] + 1, before[2] + 1)


def test_another_address_offers_only_its_speeds_and_drops_the_bundle(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops)
    _covered(qtbot, wizard)
    _plan(qtbot, wizard, "BB500")
    plans = wizard.plan
    qtbot.waitUntil(lambda: plans.bundle_combo.count() > 1, timeout=WAIT)
    plans.bundle_combo.setCurrentIndex(1)
    assert wizard.draft.bundle is not None
    qtbot.keyClick(wizard, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    _covered(qtbot, wizard, "福建省福州市鼓楼区闽江公寓 5 栋 302")  # FTTB, 200M at most
    c = wizard.draft.coverage
    assert c is not None and c.technology == "FTTB" and c.max_down_mbps == 200
    assert "FTTB 光纤到楼" in wizard.address.result.text()
    next_page(qtbot, wizard)
    qtbot.waitUntil(lambda: plans.compare.columnCount() == 1, timeout=WAIT)
    offered = [plans.plan_combo.itemData(i) for i in range(plans.plan_combo.count())]
    assert offered == ["", "BB200", "__none__"]
    assert wizard.draft.broadband is None and wizard.draft.bundle is None
    assert not wizard.next_button.isEnabled()
