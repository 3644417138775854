"""Every page of the broadband/landline wizards, the customer's confirmation, the 预约登记
dialog and list fit a 1366×768 counter monitor (the virtual screen of screen_1366x768.json):
the wizard with its frame, its minimum size, and its buttons whole inside it, on each page as
the clerk reaches it with demo data. With FIXED_SCREENS set to a directory, each page is also
saved there as a PNG (how docs/fixed-*.png are made, at 1366×768 and on a larger screen)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from hall_app.app import HallApp
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
from ui.screen import FRAME
from ui.workorders.supervisor import OpenWorkOrdersDialog

USABLE = QSize(1366, 728)


def _inside(outer: QRect, inner: QRect) -> bool:
    return outer.contains(inner.topLeft()) and outer.contains(inner.bottomRight())


def check(qtbot: QtBot, window: QWidget, name: str, buttons: list[QPushButton]) -> None:
    """Fits the screen (when it is the 1366×728 one); saved as a PNG when asked."""
    qtbot.wait(60)  # layouts settle
    area = window.screen().availableGeometry()
    if area.size() == USABLE:
        assert _inside(area, window.frameGeometry()), (name, window.frameGeometry(), area)
        outer = window.size() + FRAME
        assert outer.width() <= USABLE.width() and outer.height() <= USABLE.height(), name
        hint = window.minimumSizeHint() + FRAME
        assert hint.width() <= USABLE.width() and hint.height() <= USABLE.height(), name
        for button in buttons:
            assert button.isVisible(), (name, button.text())
            rect = QRect(button.mapTo(window, QPoint(0, 0)), button.size())
            assert _inside(window.rect(), rect), (name, button.text(), rect)
            assert button.width() >= button.minimumSizeHint().width(), (name, button.text())
    target = os.environ.get("FIXED_SCREENS")
    if target:
        suffix = "" if area.size() == USABLE else f"-{area.width()}"
        Path(target).mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(Path(target) / f"fixed-{name}{suffix}.png"))


def test_every_page_of_the_install_wizard_fits(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    ops: Operations,
    clock: FakeClock,
    shown: ShownMessages,
) -> None:
    # late December: the appointments reach into 2027, which the holiday table lacks
    clock.now = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)
    make_slots(hall)
    customer_id, _ = bundle_customer(hall)
    wizard = FixedLineWizard(hall, clerk, ops, customer_id, customer_name="王丽华")
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard, timeout=WAIT)
    nav = [wizard.next_button, wizard.back_button, wizard.cancel_button]
    address = wizard.address
    address.address.setText(ADDRESS)
    qtbot.keyClick(address.address, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.coverage is not None, timeout=WAIT)
    check(qtbot, wizard, "address", [*nav, address.take_button, address.check_button])

    next_page(qtbot, wizard)
    plans = wizard.plan
    qtbot.waitUntil(lambda: plans.plan_combo.count() > 2, timeout=WAIT)
    plans.plan_combo.setCurrentIndex(plans.plan_combo.findData("BB500"))
    qtbot.waitUntil(lambda: plans.bundle_combo.count() > 1, timeout=WAIT)
    plans.bundle_combo.setCurrentIndex(1)
    qtbot.keyClick(plans, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: plans.numbers.rowCount() > 0, timeout=WAIT)
    qtbot.keyClick(plans.number_table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.landline is not None, timeout=WAIT)
    plans.landline_combo.setCurrentIndex(1)
    check(qtbot, wizard, "plan", [*nav, plans.number_search])

    next_page(qtbot, wizard)
    gear = wizard.equipment
    for key, code in (("modem", "ONU_HW"), ("router", "RT_AX3")):
        gear.serials[key].selectAll()
        qtbot.keyClicks(gear.serials[key], modem_in_stock(hall, code))
        qtbot.keyClick(gear.serials[key], Qt.Key.Key_Return)
        qtbot.waitUntil(lambda k=key: k in wizard.draft.gear, timeout=WAIT)
    gear.modes["router"].setCurrentIndex(gear.modes["router"].findData("deposit"))
    check(qtbot, wizard, "equipment", nav)

    next_page(qtbot, wizard)
    slots = wizard.appointment
    qtbot.waitUntil(lambda: slots.slots.rowCount() > 1, timeout=WAIT)
    qtbot.keyClicks(slots.phone, "13905910000")
    qtbot.keyClick(slots.phone, Qt.Key.Key_Return)
    qtbot.keyClick(slots.table, Qt.Key.Key_Down)
    qtbot.keyClick(slots.table, Qt.Key.Key_Return)
    check(qtbot, wizard, "appointment", [*nav, slots.refresh_button])

    next_page(qtbot, wizard)
    dialog = wizard.confirm.customer_dialog
    assert dialog is not None
    check(qtbot, dialog, "customer-confirm", [dialog.confirm_button, dialog.clear_button])
    sign_now(qtbot, wizard)
    check(qtbot, wizard, "confirm", [*nav, wizard.confirm.ask_button])

    next_page(qtbot, wizard)
    quote = wizard.draft.quote
    assert quote is not None
    qtbot.keyClicks(wizard.payment.tendered, str(quote.total_fen // 10_000 * 100 + 100))
    check(qtbot, wizard, "payment", nav[:2])
    qtbot.keyClick(wizard.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.current is wizard.finish, timeout=WAIT)
    check(qtbot, wizard, "done", [wizard.next_button, *wizard.finish.buttons.values()])
    ops.wait_idle()
    assert not [t for t in shown.texts() if "错误" in t], shown.items


def test_the_relocation_and_demand_screens_fit(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    supervisor: Actor,
    ops: Operations,
    shown: ShownMessages,
) -> None:
    make_slots(hall)
    customer_id, _ = relocatable_customer(hall)
    wizard = RelocationWizard(hall, clerk, ops, customer_id, customer_name="陈伟")
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(lambda: wizard.draft.relocating is not None, timeout=WAIT)
    page = wizard.relocation
    page.address.setText("福建省福州市鼓楼区鼓山新村 2 栋 301")
    qtbot.keyClick(page.address, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.coverage is not None, timeout=WAIT)
    check(qtbot, wizard, "relocation", [wizard.next_button, page.check_button])

    install = FixedLineWizard(hall, clerk, ops, customer_id, customer_name="陈伟")
    qtbot.addWidget(install)
    install.show()
    install.address.address.setText("福建省福州市长乐区未来花园 8 栋 101")
    qtbot.keyClick(install.address.address, Qt.Key.Key_Return)
    qtbot.waitUntil(install.address.demand_button.isVisible, timeout=WAIT)
    install.address.register_demand()
    demand = install.address.demand_dialog
    assert demand is not None
    demand.phone.setText("13905910000")
    demand.note.setText("客户希望周末上门")
    check(qtbot, demand, "demand", [demand.save_button])
    demand.reject()
    install.reject()

    listing = DemandListDialog(hall, supervisor, ops)
    qtbot.addWidget(listing)
    listing.show()
    qtbot.waitUntil(lambda: listing.rows.rowCount() > 0, timeout=WAIT)
    check(qtbot, listing, "demand-list", [])

    work_orders = OpenWorkOrdersDialog(hall, supervisor, ops)
    qtbot.addWidget(work_orders)
    work_orders.show()
    qtbot.waitUntil(lambda: work_orders.rows.rowCount() > 0, timeout=WAIT)
    check(qtbot, work_orders, "workorder-list", [])


def test_the_supervisors_main_window_with_its_menu_fits(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    hall = session.hall
    assert hall is not None
    window = _logged_in(qtbot, session, "super2")
    assert window.menuBar().isVisible()
    page = window.customers
    page.open_customer(relocatable_customer(hall)[0])  # every action button enabled
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    qtbot.waitUntil(page.relocation_button.isEnabled, timeout=WAIT)
    buttons = [
        page.work_order_button,
        page.red_letter_button,
        page.open_mobile_button,
        page.fixed_line_button,
        page.relocation_button,
        page.handset_button,
    ]
    check(qtbot, window, "main-window-supervisor", buttons)
