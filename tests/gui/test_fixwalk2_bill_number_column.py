"""缴费's bill table: the 号码 column shows a broadband account (KD0591…) whole."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.db.models import Bill, Customer, Subscription
from hall_app.domain.enums import BillStatus, SubscriptionKind
from tests.gui.test_bill_payment import open_bill_payment
from ui.app import Session


def test_a_broadband_account_fits_its_column(qtbot: QtBot, session: Session) -> None:
    with session.hall.db.read() as s:
        owner = s.scalars(  # the whole row: its phone opened (a Core read gives ciphertext)
            select(Customer)
            .join(Subscription, Subscription.customer_id == Customer.id)
            .join(Bill, Bill.subscription_id == Subscription.id)
            .where(
                Subscription.kind == SubscriptionKind.BROADBAND,
                Bill.status == BillStatus.UNPAID,
                Customer.contact_phone.is_not(None),
            )
            .order_by(Subscription.service_number)
            .limit(1)
        ).first()
        phone = None if owner is None else owner.contact_phone
    assert phone is not None
    dialog = open_bill_payment(qtbot, session, phone)
    table = dialog.choose.table
    column = 2  # 号码
    texts = [table.item(r, column).text() for r in range(table.rowCount())]
    account = next(t for t in texts if t.startswith("KD"))
    needed = table.fontMetrics().horizontalAdvance(account)
    assert table.columnWidth(column) >= needed
