"""Handset sales written as rows (an installment contract with its instalments, a contract
phone's commitment), for the tests of what happens after the sale."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.db.models import (
    Customer,
    Device,
    HandsetCommitment,
    InstallmentContract,
    Instalment,
    Order,
    Product,
    Subscription,
)
from hall_app.domain.enums import (
    ContractStatus,
    CustomerKind,
    DeviceStatus,
    OrderState,
    OrderType,
    ProductKind,
    SubscriptionKind,
    SubscriptionStatus,
)
from hall_app.domain.handsets import commitment_end, schedule
from hall_app.domain.telecom import luhn_check_digit
from hall_app.services.actor import Actor

_serial = iter(range(1, 1_000_000))


def imei() -> str:
    body = f"35{next(_serial) + 990_000:012d}"[:14]
    return body + luhn_check_digit(body)


@dataclass(frozen=True)
class Sold:
    customer_id: uuid.UUID
    order_id: uuid.UUID
    order_no: str
    device_id: uuid.UUID
    imei: str
    handset_name: str
    contract_id: uuid.UUID | None = None
    commitment_id: uuid.UUID | None = None
    subscription_id: uuid.UUID | None = None

    @property
    def contract(self) -> uuid.UUID:
        assert self.contract_id is not None
        return self.contract_id


def adult(hall: HallApp, skip: int = 0) -> uuid.UUID:
    """An adult individual customer of the demo with no handset contract yet."""
    with hall.db.read() as s:
        taken = select(InstallmentContract.customer_id)
        found = s.scalars(
            select(Customer.id)
            .where(
                Customer.kind == CustomerKind.INDIVIDUAL,
                Customer.birth_date < date(1990, 1, 1),
                Customer.id.not_in(taken),
            )
            .order_by(Customer.id)
            .offset(skip)
            .limit(1)
        ).one()
    return found


def _sale(
    hall: HallApp, clerk: Actor, customer_id: uuid.UUID, sold_on: date, total_fen: int
) -> tuple[uuid.UUID, str, uuid.UUID, str, str, int, datetime]:
    at = datetime.combine(sold_on, time(2, 0), tzinfo=UTC)
    with hall.db.unit_of_work() as s:
        product = s.scalars(
            select(Product)
            .where(Product.kind == ProductKind.HANDSET, Product.active.is_(True))
            .order_by(Product.code)
        ).first()
        assert product is not None
        n = s.scalar(select(func.count()).select_from(Order)) or 0
        order = Order(
            order_no=f"SL{sold_on:%Y%m%d}99{n % 10000:04d}",
            order_type=OrderType.HANDSET_SALE,
            state=OrderState.COMPLETED,
            hall_id=clerk.hall_id,
            counter_id=clerk.counter_id,
            staff_id=clerk.staff_id,
            customer_id=customer_id,
            total_fen=total_fen,
            submitted_at=at,
            completed_at=at,
        )
        s.add(order)
        unit = Device(
            product_id=product.id,
            imei=imei(),
            status=DeviceStatus.SOLD,
            hall_id=clerk.hall_id,
            location="客户",
            order_id=order.id,
            customer_id=customer_id,
            sold_at=at,
            warranty_from=sold_on,
        )
        s.add(unit)
        s.flush()
        return order.id, order.order_no, unit.id, unit.imei, product.name, product.price_fen, at


def installment_sale(
    hall: HallApp,
    clerk: Actor,
    customer_id: uuid.UUID,
    *,
    sold_on: date = date(2026, 7, 28),
    months: int = 6,
    down_fen: int = 100_000,
    fee_fen: int = 0,
    monthly_rate: Decimal = Decimal("0.005"),
    payoff_fee_fen: int = 5_000,
    paid: int = 1,
) -> Sold:
    """An installment sale on ``sold_on`` whose first ``paid`` instalments are paid."""
    order_id, order_no, device_id, unit_imei, name, price, at = _sale(
        hall, clerk, customer_id, sold_on, down_fen
    )
    financed = price - down_fen
    rows = schedule(financed, months, sold_on, fee_fen=fee_fen, monthly_rate=monthly_rate)
    with hall.db.unit_of_work() as s:
        contract = InstallmentContract(
            order_id=order_id,
            customer_id=customer_id,
            device_id=device_id,
            price_fen=price,
            down_payment_fen=down_fen,
            financed_fen=financed,
            fee_fen=sum(r.fee_fen for r in rows),
            months=months,
            credit_approved=True,
            credit_reasons="各项评估均通过",
            status=ContractStatus.ACTIVE.value,
            monthly_rate=monthly_rate or None,
            payoff_fee_fen=payoff_fee_fen,
            signed_at=at,
        )
        s.add(contract)
        s.flush()
        for r in rows:
            s.add(
                Instalment(
                    contract_id=contract.id,
                    seq=r.seq,
                    due_date=r.due_date,
                    amount_fen=r.amount_fen,
                    principal_fen=r.principal_fen,
                    fee_fen=r.fee_fen,
                    paid_at=datetime.combine(r.due_date, time(3, 0), tzinfo=UTC)
                    if r.seq <= paid
                    else None,
                )
            )
        contract_id = contract.id
    return Sold(customer_id, order_id, order_no, device_id, unit_imei, name, contract_id)


def contract_sale(
    hall: HallApp,
    clerk: Actor,
    customer_id: uuid.UUID,
    *,
    starts_on: date = date(2025, 9, 24),
    months: int = 24,
    subsidy_fen: int = 120_000,
) -> Sold:
    """A contract phone bound to one of the customer's mobile numbers (one is opened for it
    when they have none)."""
    order_id, order_no, device_id, unit_imei, name, _price, _at = _sale(
        hall, clerk, customer_id, starts_on, 100
    )
    with hall.db.unit_of_work() as s:
        sub = s.scalars(
            select(Subscription).where(
                Subscription.customer_id == customer_id,
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
            )
        ).first()
        assert sub is not None, "the demo customer has an active mobile number"
        commitment = HandsetCommitment(
            order_id=order_id,
            customer_id=customer_id,
            subscription_id=sub.id,
            device_id=device_id,
            subsidy_fen=subsidy_fen,
            months=months,
            min_plan_fen=12_900,
            starts_on=starts_on,
            ends_on=commitment_end(starts_on, months),
            status=ContractStatus.ACTIVE,
        )
        s.add(commitment)
        s.flush()
        return Sold(
            customer_id,
            order_id,
            order_no,
            device_id,
            unit_imei,
            name,
            commitment_id=commitment.id,
            subscription_id=sub.id,
        )


def with_mobile(hall: HallApp, skip: int = 0) -> uuid.UUID:
    """An adult customer with an active mobile number."""
    with hall.db.read() as s:
        return s.scalars(
            select(Subscription.customer_id)
            .join(Customer, Customer.id == Subscription.customer_id)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
                Customer.kind == CustomerKind.INDIVIDUAL,
            )
            .order_by(Subscription.customer_id)
            .offset(skip)
            .limit(1)
        ).one()
