"""What the broadband/landline GUI tests share: a customer with a mobile plan a fusion bundle
matches, install slots, a modem in stock, and moving through the wizard as a clerk does."""

from __future__ import annotations

import uuid
from datetime import date

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.clock import business_date
from hall_app.db.models import (
    Customer,
    Equipment,
    FusionBundle,
    InstallerTeam,
    Product,
    Subscription,
)
from hall_app.domain.enums import (
    CustomerKind,
    EquipmentStatus,
    SubscriptionKind,
    SubscriptionStatus,
)
from hall_app.services.installs import ensure_slots
from tests.gui.test_open_mobile_wizard import WAIT
from ui.wizard.dialog import WizardDialog

ADDRESS = "福建省福州市鼓楼区闽江花园3号楼502室"
COMMUNITY = "闽江花园"


def make_slots(hall: HallApp) -> int:
    """The install slots of the next working days (idempotent: the demo's stay as they are)."""
    now = hall.clock()
    with hall.db.unit_of_work() as s:
        hall_id = s.scalars(select(InstallerTeam.hall_id).limit(1)).one()
        return ensure_slots(s, hall_id, business_date(now), 10, hall.settings.rules, None, now)


def bundle_customer(hall: HallApp, bundle_code: str = "RH129_500") -> tuple[uuid.UUID, str]:
    """An individual with an active mobile subscription on the bundle's mobile plan and no
    broadband: (customer id, ID number)."""
    with hall.db.read() as s:
        bundle = s.scalars(select(FusionBundle).where(FusionBundle.code == bundle_code)).one()
        with_broadband = select(Subscription.customer_id).where(
            Subscription.kind == SubscriptionKind.BROADBAND
        )
        row = s.scalars(
            select(Customer)
            .join(Subscription, Subscription.customer_id == Customer.id)
            .where(
                Subscription.product_id == bundle.mobile_product_id,
                Subscription.status == SubscriptionStatus.ACTIVE,
                Customer.kind == CustomerKind.INDIVIDUAL,
                Customer.id_number.is_not(None),
                Customer.id.not_in(with_broadband),
            )
            .order_by(Customer.id_number_bidx)  # sealed: a fixed order for the test keys
            .limit(1)
        ).one()
        return row.id, row.id_number or ""


def modem_in_stock(hall: HallApp, code: str = "ONU_ZTE", skip: int = 0) -> str:
    with hall.db.read() as s:
        return s.scalars(
            select(Equipment.serial)
            .join(Product, Product.id == Equipment.product_id)
            .where(Product.code == code, Equipment.status == EquipmentStatus.IN_STOCK)
            .order_by(Equipment.serial)
            .offset(skip)
            .limit(1)
        ).one()


def next_page(qtbot: QtBot, wizard: WizardDialog) -> None:
    before = wizard.current
    qtbot.waitUntil(wizard.next_button.isEnabled, timeout=WAIT)
    qtbot.keyClick(wizard, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: wizard.current is not before, timeout=WAIT)


def today(hall: HallApp) -> date:
    return business_date(hall.clock())


def relocatable_customer(hall: HallApp) -> tuple[uuid.UUID, str]:
    """A customer with an active broadband and no open work order: (customer id, account)."""
    from hall_app.db.models import WorkOrder
    from hall_app.domain.enums import WorkOrderStatus

    with hall.db.read() as s:
        open_orders = select(WorkOrder.broadband_subscription_id).where(
            WorkOrder.status.in_([WorkOrderStatus.SCHEDULED, WorkOrderStatus.DISPATCHED]),
            WorkOrder.broadband_subscription_id.is_not(None),
        )
        row = s.execute(
            select(Subscription.customer_id, Subscription.service_number)
            .where(
                Subscription.kind == SubscriptionKind.BROADBAND,
                Subscription.status == SubscriptionStatus.ACTIVE,
                Subscription.id.not_in(open_orders),
            )
            .order_by(Subscription.service_number)
            .limit(1)
        ).one()
        return row.customer_id, row.service_number


def sign_now(qtbot: QtBot, wizard: WizardDialog) -> None:
    """The customer signs on the confirmation screen; the keyboard comes back to the clerk."""
    from PySide6.QtWidgets import QApplication

    from tests.gui.test_open_mobile_wizard import sign

    confirm = wizard.confirm
    dialog = confirm.customer_dialog
    assert dialog is not None and dialog.isVisible()
    sign(dialog.pad, [(60, 120), (120, 60), (180, 140), (260, 70), (330, 130)])
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.env.draft.signature_png is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard, timeout=WAIT)
