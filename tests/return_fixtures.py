"""Handset sales for the tests of what follows a sale (returns): units stocked for the
model of ``handset_fixtures.prepare_handsets`` and sold outright through
``HandsetService.sell``, as a clerk would."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from sqlalchemy import insert, select

from hall_app.app import HallApp
from hall_app.db.models import Device, Invoice
from hall_app.domain.enums import DeviceStatus, InvoiceKind, PaymentMethod, SaleMode
from hall_app.domain.payments import PaymentInput
from hall_app.services.actor import Actor
from tests.handset_fixtures import SIGNED, HandsetSetup, sale_request


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


def stock_unit(
    app: HallApp,
    actor: Actor,
    st: HandsetSetup,
    n: int,
    status: DeviceStatus = DeviceStatus.IN_STOCK,
) -> str:
    """A new unit of the setup's model in the hall's stock room; its IMEI."""
    imei = luhn_imei(900_000 + n)
    now = app.clock()
    with app.db.unit_of_work() as s:
        s.execute(
            insert(Device).values(
                id=uuid.uuid4(), product_id=st.product_id, imei=imei, status=status,
                hall_id=actor.hall_id, location="营业厅库房", received_at=now,
                created_at=now, updated_at=now,
            )
        )  # fmt: skip
    return imei


def sell_outright(
    app: HallApp,
    actor: Actor,
    st: HandsetSetup,
    imei: str,
    payments: tuple[PaymentInput, ...] | None = None,
    customer_id: uuid.UUID | None = None,
) -> Sold:
    """The unit sold outright to the setup's customer (or ``customer_id``) through the
    service, paid by card unless ``payments`` say otherwise."""
    req = sale_request(st, SaleMode.OUTRIGHT, imei=imei, customer_id=customer_id or st.customer_id)
    quote = app.handsets.quote(actor, req)
    paying = payments or (
        PaymentInput(PaymentMethod.BANK_CARD, quote.total_fen, reference="POS000001"),
    )
    done = app.handsets.sell(
        actor, replace(req, payments=paying, terms_text=quote.terms, signature_png=SIGNED)
    )
    with app.db.read() as s:
        device_id = s.scalars(select(Device.id).where(Device.imei == imei)).one()
        invoice = s.scalar(
            select(Invoice.invoice_no).where(
                Invoice.order_id == done.order_id, Invoice.kind == InvoiceKind.BLUE
            )
        )
    assert invoice == done.invoice_no
    return Sold(done.order_id, done.order_no, imei, device_id, done.total_fen, invoice)
