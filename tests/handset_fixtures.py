"""Handset sales for tests of what follows a sale (returns), written with the same pieces the
order pipeline uses (order number, the domain's sale lines, settle, the till, the blue
invoice), until HandsetService.sell is there to make them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import insert, select, update

from hall_app.app import HallApp
from hall_app.clock import business_date
from hall_app.db.models import (
    Customer,
    Device,
    Order,
    OrderLine,
    Payment,
    Product,
    VatCategory,
)
from hall_app.domain.enums import (
    DeviceStatus,
    OrderState,
    OrderType,
    PaymentMethod,
    ProductKind,
    SaleMode,
)
from hall_app.domain.handsets import price_handset
from hall_app.domain.payments import PaymentInput, settle
from hall_app.domain.pricing import Item, VatClass
from hall_app.services.actor import Actor
from hall_app.services.cash import open_session_for_payment
from hall_app.services.invoicing import issue_invoice
from hall_app.services.pipeline import order_no


def luhn_imei(n: int) -> str:
    body = f"35{n:012d}"
    total = 0
    for i, ch in enumerate(body):
        d = int(ch) * (2 if i % 2 == 1 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


@dataclass(frozen=True)
class Sold:
    order_id: uuid.UUID
    order_no: str
    imei: str
    device_id: uuid.UUID
    total_fen: int
    invoice_no: str | None


def handset_product(app: HallApp) -> tuple[uuid.UUID, str, int]:
    with app.db.read() as s:
        p = s.scalars(
            select(Product)
            .where(Product.kind == ProductKind.HANDSET, Product.active.is_(True))
            .order_by(Product.code)
            .limit(1)
        ).one()
        return p.id, p.name, p.price_fen


def stock_unit(
    app: HallApp, actor: Actor, n: int, status: DeviceStatus = DeviceStatus.IN_STOCK
) -> str:
    product_id, _, _ = handset_product(app)
    imei = luhn_imei(900_000 + n)
    now = app.clock()
    with app.db.unit_of_work() as s:
        s.execute(
            insert(Device).values(
                id=uuid.uuid4(), product_id=product_id, imei=imei, status=status,
                hall_id=actor.hall_id, location="营业厅库房", received_at=now,
                created_at=now, updated_at=now,
            )
        )  # fmt: skip
    return imei


def sell_outright(
    app: HallApp,
    actor: Actor,
    customer_id: uuid.UUID,
    imei: str,
    payments: tuple[PaymentInput, ...] | None = None,
) -> Sold:
    """An outright sale of the unit, in one transaction, as the pipeline would write it."""
    now = app.clock()
    with app.db.unit_of_work() as s:
        unit = s.scalars(select(Device).where(Device.imei == imei)).one()
        product = s.get_one(Product, unit.product_id)
        vat = s.get_one(VatCategory, product.vat_category_id)
        item = Item(
            product.id,
            product.name,
            product.price_fen,
            VatClass(vat.id, vat.invoice_label, Decimal(vat.rate)),
        )
        pricing = price_handset(item, imei, SaleMode.OUTRIGHT)
        paying = payments or (
            PaymentInput(
                PaymentMethod.BANK_CARD,
                pricing.total_fen,
                reference="POS000001",
            ),
        )
        settled = settle(pricing.total_fen, list(paying))
        order_id = uuid.uuid4()
        order = Order(
            id=order_id, order_no=order_no(s, actor, now), order_type=OrderType.HANDSET_SALE,
            state=OrderState.COMPLETED, hall_id=actor.hall_id, counter_id=actor.counter_id,
            staff_id=actor.staff_id, customer_id=customer_id, total_fen=pricing.total_fen,
            submitted_at=now, completed_at=now,
        )  # fmt: skip
        s.add(order)
        s.flush()
        for line in pricing.lines:
            s.add(OrderLine(
                order_id=order_id, product_id=line.product_id, description=line.description,
                unit_price_fen=line.amount_fen, amount_fen=line.amount_fen,
                vat_category_id=line.vat.id if line.vat else None,
                vat_rate=line.vat.rate if line.vat else None, invoiceable=line.invoiceable,
            ))  # fmt: skip
        till = open_session_for_payment(s, actor, now)
        for p in settled:
            s.add(Payment(
                order_id=order_id, cash_session_id=till.id, customer_id=customer_id,
                staff_id=actor.staff_id, method=p.method, amount_fen=p.amount_fen,
                tendered_fen=p.tendered_fen, change_fen=p.change_fen,
                reference=p.reference or None, paid_at=now,
            ))  # fmt: skip
        customer = s.get_one(Customer, customer_id)
        invoice = issue_invoice(s, actor, order_id, customer, pricing, now)
        s.execute(
            update(Device)
            .where(Device.id == unit.id)
            .values(
                status=DeviceStatus.SOLD, order_id=order_id, customer_id=customer_id,
                sold_at=now, warranty_from=business_date(now), location="客户",
                taken_by_counter_id=actor.counter_id, updated_at=now,
            )
        )  # fmt: skip
        return Sold(
            order_id, order.order_no, imei, unit.id, pricing.total_fen,
            invoice.invoice_no if invoice else None,
        )  # fmt: skip
