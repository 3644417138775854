"""Rows the transfer (过户) tests need, made in the test's own database: a mobile number of
one demo customer, a second individual customer to take it, unpaid bills and extra numbers
(the card limit). The demo data grows bills later; these stay independent of it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import aliased

from hall_app.app import HallApp
from hall_app.db.models import Bill, Customer, Device, InstallmentContract, Subscription
from hall_app.domain.enums import (
    BillStatus,
    ContractStatus,
    CustomerKind,
    SubscriptionKind,
    SubscriptionStatus,
)
from hall_app.services.transfer import TransferCheck, TransferRequest
from tests.bill_rows import clear_period
from tests.handset_fixtures import SIGNED


@dataclass(frozen=True)
class Pair:
    subscription_id: uuid.UUID
    from_id: uuid.UUID
    to_id: uuid.UUID
    number: str


def _individuals_with_active_mobile(app: HallApp) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
    partner = aliased(Subscription)
    in_bundle = exists().where(partner.bundled_with_id == Subscription.id)
    with app.db.read() as s:
        rows = s.execute(
            select(Subscription.id, Subscription.customer_id, Subscription.service_number)
            .join(Customer, Customer.id == Subscription.customer_id)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
                Customer.kind == CustomerKind.INDIVIDUAL,
                Customer.real_name_verified_at.is_not(None),
                Customer.birth_date < date(2000, 1, 1),
                Customer.guardian_id.is_(None),
                Subscription.bundle_id.is_(None),
                ~in_bundle,  # not a fusion bundle's member (refused: 融合套餐)
            )
            .order_by(Subscription.service_number)
        ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def pair(app: HallApp, skip: int = 0) -> Pair:
    """A number of one adult customer and another adult customer (with one number or none
    in use, so the card limit leaves room)."""
    rows = _individuals_with_active_mobile(app)
    sub_id, from_id, number = rows[skip]
    with app.db.read() as s:
        counts = dict(
            s.execute(
                select(Subscription.customer_id, func.count())
                .where(Subscription.kind == SubscriptionKind.MOBILE)
                .group_by(Subscription.customer_id)
            ).all()
        )
    to_id = next(c for _s, c, _n in reversed(rows) if c != from_id and counts.get(c, 0) <= 2)
    return Pair(sub_id, from_id, to_id, number)


def add_bill(app: HallApp, p: Pair, amount_fen: int, period: str = "2026-10") -> uuid.UUID:
    """An unpaid bill of the number, due last month."""
    bill_id = uuid.uuid4()
    year, month = (int(x) for x in period.split("-"))
    start = date(year, month, 1)
    with app.db.unit_of_work() as s:
        clear_period(s, p.subscription_id, period)
        s.add(
            Bill(
                id=bill_id,
                subscription_id=p.subscription_id,
                customer_id=p.from_id,
                period=period,
                period_start=start,
                period_end=start + timedelta(days=27),
                issued_at=app.clock() - timedelta(days=30),
                due_date=start + timedelta(days=45),
                amount_fen=amount_fen,
                paid_fen=0,
                status=BillStatus.UNPAID,
            )
        )
    return bill_id


def fill_card_limit(app: HallApp, customer_id: uuid.UUID) -> int:
    """Active mobile numbers added to the customer up to the card limit; how many now."""
    limit = app.settings.rules.eligibility().max_numbers_per_id
    with app.db.unit_of_work() as s:
        template = s.scalars(
            select(Subscription).where(Subscription.kind == SubscriptionKind.MOBILE).limit(1)
        ).one()
        have = (
            s.scalar(
                select(func.count()).where(
                    Subscription.customer_id == customer_id,
                    Subscription.kind == SubscriptionKind.MOBILE,
                    Subscription.status == SubscriptionStatus.ACTIVE,
                )
            )
            or 0
        )
        for i in range(limit - have):
            s.add(
                Subscription(
                    customer_id=customer_id,
                    kind=SubscriptionKind.MOBILE,
                    service_number=f"1990000{i:04d}",
                    product_id=template.product_id,
                    status=SubscriptionStatus.ACTIVE,
                    activated_at=app.clock() - timedelta(days=400),
                    balance_fen=0,
                )
            )
    return limit


def request(p: Pair, check: TransferCheck, **more: object) -> TransferRequest:
    """A request the new owner signed for the check's terms (add supervisor or approval_id)."""
    return TransferRequest(
        subscription_id=p.subscription_id,
        to_customer_id=p.to_id,
        old_face_checked_by="人像比对仪 FC-01",
        new_face_checked_by="人像比对仪 FC-01",
        signature_png=SIGNED,
        terms_text=check.terms_text,
        from_customer_id=p.from_id,
        **more,  # type: ignore[arg-type]
    )


def bind_instalment(hall: HallApp, p: Pair) -> uuid.UUID:
    """The old owner bought a handset on installments for the number: a demo contract made
    theirs, running, its device bound to the number. Returns the contract's id."""
    with hall.db.unit_of_work() as s:
        contract = s.scalars(
            select(InstallmentContract).where(InstallmentContract.device_id.is_not(None)).limit(1)
        ).one()
        contract.status = ContractStatus.ACTIVE.value
        contract.customer_id = p.from_id
        s.execute(
            update(Device)
            .where(Device.id == contract.device_id)
            .values(subscription_id=p.subscription_id)
        )
        return contract.id
