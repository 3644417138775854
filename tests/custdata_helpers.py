"""Rows for the account-change tests (资料变更, 挂失/解挂, 停机保号/复机): a customer of the
tests' own with a valid resident ID and an active mobile number on a demo plan, the card the
reader gives for them, and an overdue bill when a test wants arrears."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Bill, Customer, Product, Subscription
from hall_app.devices.id_reader import IdCardData
from hall_app.domain.enums import (
    BillStatus,
    CustomerKind,
    FaceCheckMethod,
    IdDocType,
    ProductKind,
    SubscriptionKind,
    SubscriptionStatus,
    SuspendReason,
)
from tests.bill_rows import clear_period

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(first17: str) -> str:
    """A resident ID number with its check character (GB 11643)."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


OWNER_ID = resident_id("35010219880515123")
OTHER_ID = resident_id("35010219900202456")
NAME = "林晓岚"
NUMBER = "18959170123"
PHONE = "13805910001"


@dataclass(frozen=True)
class Owner:
    customer_id: uuid.UUID
    subscription_id: uuid.UUID


def make_owner(
    hall: HallApp,
    *,
    status: SubscriptionStatus = SubscriptionStatus.ACTIVE,
    reason: SuspendReason | None = None,
) -> Owner:
    now = hall.clock()
    with hall.db.unit_of_work() as s:
        plan = s.scalars(
            select(Product)
            .where(Product.kind == ProductKind.MOBILE_PLAN, Product.active.is_(True))
            .order_by(Product.code)
        ).first()
        assert plan is not None
        customer = Customer(
            kind=CustomerKind.INDIVIDUAL,
            name=NAME,
            id_doc_type=IdDocType.RESIDENT_ID,
            id_number=OWNER_ID,
            gender="M",
            birth_date=date(1988, 5, 15),
            address="福建省福州市鼓楼区五四路 100 号",
            contact_phone=PHONE,
            real_name_verified_at=now - timedelta(days=400),
            face_check_method=FaceCheckMethod.MANUAL,
            face_check_by="clerk1",
        )
        s.add(customer)
        s.flush()
        sub = Subscription(
            customer_id=customer.id,
            kind=SubscriptionKind.MOBILE,
            service_number=NUMBER,
            product_id=plan.id,
            status=status,
            suspend_reason=reason,
            suspended_at=now if reason else None,
            activated_at=now - timedelta(days=300),
        )
        s.add(sub)
        s.flush()
        return Owner(customer.id, sub.id)


def card(**changes: object) -> IdCardData:
    values: dict[str, object] = {
        "name": NAME,
        "gender": "M",
        "ethnicity": "汉",
        "birth_date": date(1988, 5, 15),
        "address": "福建省福州市台江区工业路 523 号",
        "id_number": OWNER_ID,
        "issuer": "福州市公安局台江分局",
        "valid_from": date(2026, 10, 1),
        "valid_to": date(2046, 10, 1),
    }
    values.update(changes)
    return IdCardData(**values)  # type: ignore[arg-type]


def overdue_bill(hall: HallApp, owner: Owner, *, due: date) -> None:
    """An unpaid bill of the number due on ``due``."""
    with hall.db.unit_of_work() as s:
        clear_period(s, owner.subscription_id, f"{due:%Y-%m}")
        s.add(
            Bill(
                subscription_id=owner.subscription_id,
                customer_id=owner.customer_id,
                period=f"{due:%Y-%m}",
                period_start=due.replace(day=1),
                period_end=due.replace(day=28),
                issued_at=datetime(due.year, due.month, 1, tzinfo=UTC),
                due_date=due,
                amount_fen=12_900,
                paid_fen=0,
                status=BillStatus.UNPAID,
            )
        )
