"""What the 购机 GUI tests share: a handset model with units in stock and its contract and
installment offers (the demo's when it has them, else written here), an adult customer the
credit check approves, IMEIs with a valid check digit, and a customer with a mobile number
a contract offer may bind."""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.clock import business_date
from hall_app.db.models import Customer, Hall, Product, Subscription
from hall_app.db.models.catalog import HandsetOffer
from hall_app.db.models.inventory import Device
from hall_app.db.models.orders import InstallmentContract
from hall_app.domain.enums import (
    CustomerKind,
    DeviceStatus,
    OfferKind,
    ProductKind,
    SubscriptionKind,
    SubscriptionStatus,
)


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return str((10 - total % 10) % 10)


def imei(body14: str) -> str:
    """A 15-digit IMEI with its Luhn check digit."""
    assert len(body14) == 14 and body14.isdigit()
    return body14 + luhn_digit(body14)


@dataclass(frozen=True)
class Stocked:
    product_id: uuid.UUID
    code: str
    name: str
    price_fen: int
    imeis: tuple[str, ...]  # units in stock, in IMEI order


def stocked_model(hall: HallApp, units: int = 3) -> Stocked:
    """A handset product with at least ``units`` in stock and a 12-month installment offer
    (fee stated) and a 24-month contract offer: the demo's if it has them, else added."""
    today = business_date(hall.clock())
    with hall.db.unit_of_work() as s:
        with_instalments = select(HandsetOffer.product_id).where(
            HandsetOffer.kind == OfferKind.INSTALLMENT,
            HandsetOffer.months == 12,
            HandsetOffer.active.is_(True),
        )
        product = s.scalars(
            select(Product)
            .where(
                Product.kind == ProductKind.HANDSET,
                Product.active.is_(True),
                Product.id.in_(with_instalments),
                Product.id.in_(
                    select(HandsetOffer.product_id).where(
                        HandsetOffer.kind == OfferKind.CONTRACT, HandsetOffer.active.is_(True)
                    )
                ),
            )
            .order_by(Product.code)
            .limit(1)
        ).first()
        if product is None:
            product = s.scalars(
                select(Product)
                .where(Product.kind == ProductKind.HANDSET, Product.active.is_(True))
                .order_by(Product.price_fen.desc())
                .limit(1)
            ).one()
            s.add_all(
                [
                    HandsetOffer(
                        code=f"T_{product.code}_I12"[:32],
                        product_id=product.id,
                        kind=OfferKind.INSTALLMENT,
                        name="12 期分期",
                        months=12,
                        fee_fen=12_000,
                        monthly_rate=Decimal(0),
                        min_down_payment_pct=30,
                        payoff_fee_fen=5_000,
                        valid_from=today - timedelta(days=30),
                    ),
                    HandsetOffer(
                        code=f"T_{product.code}_I6"[:32],
                        product_id=product.id,
                        kind=OfferKind.INSTALLMENT,
                        name="6 期免息",
                        months=6,
                        min_down_payment_pct=20,
                        monthly_rate=Decimal(0),
                        valid_from=today - timedelta(days=30),
                    ),
                    HandsetOffer(
                        code=f"T_{product.code}_C24"[:32],
                        product_id=product.id,
                        kind=OfferKind.CONTRACT,
                        name="24 个月合约",
                        months=24,
                        subsidy_fen=120_000,
                        min_plan_fen=12_900,
                        monthly_rate=Decimal(0),
                        valid_from=today - timedelta(days=30),
                    ),
                ]
            )
        in_stock = s.scalars(
            select(Device.imei)
            .where(Device.product_id == product.id, Device.status == DeviceStatus.IN_STOCK)
            .order_by(Device.imei)
        ).all()
        hall_id = s.scalars(select(Hall.id).limit(1)).first()
        added = []
        for n in range(max(units - len(in_stock), 0)):
            code = imei(f"86{zlib.crc32(product.code.encode()) % 10**6:06d}{n:06d}")
            added.append(code)
            s.add(
                Device(
                    product_id=product.id,
                    imei=code,
                    status=DeviceStatus.IN_STOCK,
                    hall_id=hall_id,
                    location="营业厅库房",
                    received_at=hall.clock() - timedelta(days=3),
                )
            )
        s.flush()
        return Stocked(
            product.id,
            product.code,
            product.name,
            product.price_fen,
            tuple(sorted([*in_stock, *added])),
        )


def sold_imei(hall: HallApp, product_id: uuid.UUID) -> str | None:
    with hall.db.read() as s:
        return s.scalars(
            select(Device.imei).where(
                Device.product_id == product_id, Device.status == DeviceStatus.SOLD
            )
        ).first()


def adult_customer(hall: HallApp) -> tuple[uuid.UUID, str, str]:
    """An individual of 25 to 60 on record for over a year, owing nothing, with no
    installment contract: (id, ID number, name)."""
    today = business_date(hall.clock())
    with hall.db.read() as s:
        owing = select(Subscription.customer_id).where(Subscription.balance_fen < 0)
        contracted = select(InstallmentContract.customer_id)
        row = s.scalars(
            select(Customer)
            .where(
                Customer.kind == CustomerKind.INDIVIDUAL,
                Customer.id_number.is_not(None),
                Customer.birth_date <= date(today.year - 25, 1, 1),
                Customer.birth_date >= date(today.year - 60, 1, 1),
                func.coalesce(Customer.real_name_verified_at, Customer.created_at)
                <= hall.clock() - timedelta(days=400),
                Customer.id.not_in(owing),
                Customer.id.not_in(contracted),
            )
            .order_by(Customer.id_number_bidx)  # sealed: a fixed order for the test keys
            .limit(1)
        ).one()
        return row.id, row.id_number or "", row.name


def contract_customer(hall: HallApp, min_plan_fen: int) -> tuple[uuid.UUID, str]:
    """An individual with an active mobile subscription whose plan costs at least
    ``min_plan_fen``: (id, ID number)."""
    with hall.db.read() as s:
        row = s.scalars(
            select(Customer)
            .join(Subscription, Subscription.customer_id == Customer.id)
            .join(Product, Product.id == Subscription.product_id)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
                Product.price_fen >= min_plan_fen,
                Customer.kind == CustomerKind.INDIVIDUAL,
                Customer.id_number.is_not(None),
            )
            .order_by(Customer.id_number_bidx)  # sealed: a fixed order for the test keys
            .limit(1)
        ).one()
        return row.id, row.id_number or ""


def unit_of_another_model(hall: HallApp, product_id: uuid.UUID) -> tuple[str, str]:
    """A unit in stock of another handset model than ``product_id``: (IMEI, model name)."""
    with hall.db.unit_of_work() as s:
        other = s.scalars(
            select(Product)
            .where(Product.kind == ProductKind.HANDSET, Product.id != product_id)
            .order_by(Product.code)
            .limit(1)
        ).one()
        code = imei(f"35{zlib.crc32(other.code.encode()) % 10**6:06d}999999")
        s.add(
            Device(
                product_id=other.id,
                imei=code,
                status=DeviceStatus.IN_STOCK,
                hall_id=s.scalars(select(Hall.id).limit(1)).first(),
                location="营业厅库房",
                received_at=hall.clock() - timedelta(days=3),
            )
        )
        return code, other.name


def mark_sold(hall: HallApp, imei_code: str) -> None:
    """Another counter sold the unit meanwhile (as its sale leaves the row)."""
    with hall.db.unit_of_work() as s:
        device = s.scalars(select(Device).where(Device.imei == imei_code)).one()
        device.status = DeviceStatus.SOLD
        device.location = "客户"
