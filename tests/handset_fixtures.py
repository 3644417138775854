"""Rows for handset sale tests on the demo database: two handset models of the tests' own (so
the demo's catalog may change), contract and installment offers for one, their units in
stock, an adult customer with a mobile number whose plan meets the contract
offer, and a minor. Meant to be reused by any test that sells a handset (``prepare_handsets``,
``sale_request``, ``signed``)."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw
from sqlalchemy import select, update

from hall_app.app import HallApp
from hall_app.db.models import (
    Customer,
    Device,
    Hall,
    HandsetOffer,
    InstallmentContract,
    Product,
    Subscription,
    VatCategory,
)
from hall_app.domain.enums import (
    CustomerKind,
    DeviceStatus,
    OfferKind,
    PaymentMethod,
    ProductKind,
    SaleMode,
    SubscriptionKind,
    SubscriptionStatus,
)
from hall_app.domain.payments import PaymentInput
from hall_app.domain.telecom import luhn_check_digit
from hall_app.services.actor import Actor
from hall_app.services.handsets import HandsetSaleRequest

UNITS = 6  # of each model, in stock


def _signature() -> bytes:
    """A signature as the customer screen gives it: a real PNG (the contract PDF prints it,
    and the sale refuses bytes that are no image)."""
    image = Image.new("RGBA", (300, 90), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 60), (60, 20), (110, 70), (160, 20), (220, 65)], "black", 3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


SIGNED = _signature()
CONTRACT_SUBSIDY = 120_000  # 1,200.00 over 24 months: 50.00 a month
CONTRACT_MIN_PLAN = 12_900
INSTALMENT_FEE = 24_000  # 240.00 over 12 months
PAYOFF_FEE = 5_000


@dataclass(frozen=True)
class HandsetSetup:
    product_id: uuid.UUID
    product_name: str
    price_fen: int
    imeis: tuple[str, ...]  # in stock, of the model
    other_imei: str  # in stock, of another model
    other_name: str
    contract_offer_id: uuid.UUID  # 24 months, 1,200.00 subsidy, plan ≥ 129.00
    installment_offer_id: uuid.UUID  # 12 months, a stated fee of 240.00, 20 % down
    rate_offer_id: uuid.UUID  # 6 months at 0.5 % a month, 30 % down, no payoff fee
    customer_id: uuid.UUID  # adult, real-named 400 days ago, no arrears, no contracts
    subscription_id: uuid.UUID  # the customer's active mobile number on 5G129
    minor_id: uuid.UUID  # 16 years old


def prepare_handsets(hall: HallApp) -> HandsetSetup:
    """The tests' own two handset models and their units (whatever the demo's catalog holds),
    the offers, and the two customers."""
    now: datetime = hall.clock()
    today = now.date()
    with hall.db.unit_of_work() as s:
        vat = s.scalars(select(VatCategory).where(VatCategory.code == "handset")).one()

        def model(code: str, brand: str, name: str, colour: str, price: int, tac: str) -> Product:
            storage = name.rsplit(" ", 1)[1]
            row = Product(
                code=code,
                kind=ProductKind.HANDSET,
                name=f"{brand} {name} {colour}",
                price_fen=price,
                vat_category_id=vat.id,
                brand=brand,
                model=name.rsplit(" ", 1)[0],
                colour=colour,
                storage=storage,
            )
            s.add(row)
            s.flush()
            for k in range(UNITS):
                body = f"{tac}{k:06d}"
                s.add(
                    Device(
                        product_id=row.id,
                        imei=body + luhn_check_digit(body),
                        status=DeviceStatus.IN_STOCK,
                        hall_id=s.scalars(select(Hall.id)).first(),
                        location="营业厅库房",
                        received_at=now,
                    )
                )
            s.flush()
            return row

        product = model("T-MATE70", "华为", "Mate 70 12+256GB", "雅川青", 549_900, "35000001")
        other = model("T-Y300", "vivo", "Y300 8+256GB", "星钻黑", 159_900, "35000002")
        plan = s.scalars(select(Product).where(Product.code == "5G129")).one()
        assert plan.kind is ProductKind.MOBILE_PLAN and plan.price_fen >= CONTRACT_MIN_PLAN

        def offer(code: str, kind: OfferKind, months: int, **values: object) -> uuid.UUID:
            row = HandsetOffer(
                code=code,
                product_id=product.id,
                kind=kind,
                name=f"{product.name} {kind.label}{months}期"
                if kind is OfferKind.INSTALLMENT
                else f"购机送费 {months} 个月",
                months=months,
                valid_from=date(2026, 1, 1),
                valid_to=None,
                **values,
            )
            s.add(row)
            s.flush()
            return row.id

        contract = offer(
            "T-HW70-C24",
            OfferKind.CONTRACT,
            24,
            subsidy_fen=CONTRACT_SUBSIDY,
            min_plan_fen=CONTRACT_MIN_PLAN,
        )
        fee = offer(
            "T-HW70-I12",
            OfferKind.INSTALLMENT,
            12,
            fee_fen=INSTALMENT_FEE,
            min_down_payment_pct=20,
            payoff_fee_fen=PAYOFF_FEE,
        )
        rate = offer(
            "T-HW70-I6",
            OfferKind.INSTALLMENT,
            6,
            monthly_rate=Decimal("0.005"),
            min_down_payment_pct=30,
        )
        imeis = tuple(
            s.scalars(
                select(Device.imei)
                .where(Device.product_id == product.id, Device.status == DeviceStatus.IN_STOCK)
                .order_by(Device.imei)
                .limit(5)
            )
        )
        other_imei = s.scalars(
            select(Device.imei)
            .where(Device.product_id == other.id, Device.status == DeviceStatus.IN_STOCK)
            .order_by(Device.imei)
        ).first()
        assert len(imeis) == 5 and other_imei is not None
        with_contract = select(InstallmentContract.customer_id)
        sub = s.scalars(
            select(Subscription)
            .join(Customer, Customer.id == Subscription.customer_id)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
                Customer.kind == CustomerKind.INDIVIDUAL,
                Customer.id.not_in(with_contract),
            )
            .order_by(Subscription.service_number)
        ).first()
        assert sub is not None
        sub.product_id = plan.id
        s.execute(
            update(Subscription)
            .where(Subscription.customer_id == sub.customer_id, Subscription.balance_fen < 0)
            .values(balance_fen=0)
        )
        customer = s.get_one(Customer, sub.customer_id)
        customer.birth_date = date(1990, 5, 1)
        customer.real_name_verified_at = now - timedelta(days=400)
        minor = s.scalars(
            select(Customer)
            .where(Customer.kind == CustomerKind.INDIVIDUAL, Customer.id != customer.id)
            .order_by(Customer.name_p1, Customer.id)  # sealed: a fixed order
        ).first()
        assert minor is not None
        minor.birth_date = date(today.year - 16, 1, 1)
        minor.real_name_verified_at = now - timedelta(days=400)
        return HandsetSetup(
            product.id,
            product.name,
            product.price_fen,
            imeis,
            other_imei,
            other.name,
            contract,
            fee,
            rate,
            customer.id,
            sub.id,
            minor.id,
        )


def sale_request(st: HandsetSetup, mode: SaleMode, **changes: object) -> HandsetSaleRequest:
    """An unpaid, unsigned request for the model's first unit."""
    req = HandsetSaleRequest(
        customer_id=st.customer_id,
        product_id=st.product_id,
        imei=st.imeis[0],
        mode=mode,
        payments=(),
        offer_id={
            SaleMode.OUTRIGHT: None,
            SaleMode.CONTRACT: st.contract_offer_id,
            SaleMode.INSTALLMENT: st.installment_offer_id,
        }[mode],
        subscription_id=st.subscription_id if mode is SaleMode.CONTRACT else None,
        down_payment_fen=110_000 if mode is SaleMode.INSTALLMENT else 0,
    )
    return replace(req, **changes)  # type: ignore[arg-type]


def signed(hall: HallApp, actor: Actor, req: HandsetSaleRequest) -> HandsetSaleRequest:
    """The request as the customer signed its terms and paid what is due now in cash."""
    quote = hall.handsets.quote(actor, req)
    cash = PaymentInput(PaymentMethod.CASH, quote.total_fen, tendered_fen=quote.total_fen)
    return replace(req, payments=(cash,), terms_text=quote.terms, signature_png=SIGNED)
