"""Rows the 补换卡 and 销户 tests need, made in the test's own database: a clean mobile
number (nothing blocks its cancellation), a blocking bill, dispute or work order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from hall_app.app import HallApp
from hall_app.db.models import (
    Bill,
    Device,
    HandsetCommitment,
    InstallmentContract,
    PhoneNumber,
    ServiceTicket,
    SimCard,
    Staff,
    Subscription,
    WorkOrder,
)
from hall_app.domain.enums import (
    BillStatus,
    ContractStatus,
    NumberStatus,
    ServiceTicketKind,
    ServiceTicketStatus,
    SimStatus,
    SubscriptionKind,
    SubscriptionStatus,
    SuspendReason,
    WorkOrderStatus,
)
from hall_app.services.actor import Actor
from tests.bill_rows import clear_period
from tests.handset_fixtures import SIGNED

__all__ = ["SIGNED"]


@dataclass(frozen=True)
class Mobile:
    id: uuid.UUID
    customer_id: uuid.UUID
    service_number: str
    hall_id: uuid.UUID | None
    sim_id: uuid.UUID | None


def mobile(app: HallApp, actor: Actor, skip: int = 0) -> Mobile:
    """An active mobile number with a SIM whose cancellation nothing blocks (no lock-in, no
    contract phone, no installment, no unpaid bill, no dispute), its balance set to 88.50 and
    its bonus to 20.00; ``skip`` picks another."""
    with app.db.read() as s:
        subs = s.scalars(
            select(Subscription)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
                Subscription.lock_in_until.is_(None),
                ~Subscription.id.in_(select(HandsetCommitment.subscription_id)),
                ~Subscription.id.in_(
                    select(Device.subscription_id).where(Device.subscription_id.is_not(None))
                ),
            )
            .order_by(Subscription.service_number)
            .limit(40)
        ).all()
        subs = [Mobile(x.id, x.customer_id, x.service_number, x.hall_id, x.sim_id) for x in subs]
    picked = []
    for sub in subs:
        if app.cancellations.check_cancellation(actor, sub.id).allowed:
            picked.append(sub)
            if len(picked) > skip:
                break
    sub = picked[skip]
    with app.db.unit_of_work() as s:
        sim_id = sub.sim_id
        if sim_id is None:  # the demo's numbers carry no card: give it the one in use
            n = int(sub.service_number) % 10**10
            card = SimCard(
                iccid=iccid(5 * 10**12 + n), imsi=f"46003{n:010d}", status=SimStatus.ASSIGNED,
                hall_id=sub.hall_id,
            )  # fmt: skip
            s.add(card)
            s.flush()
            sim_id = card.id
        s.execute(
            update(Subscription)
            .where(Subscription.id == sub.id)
            .values(balance_fen=8_850, bonus_fen=2_000, sim_id=sim_id)
        )
        pooled = s.scalar(select(PhoneNumber.id).where(PhoneNumber.number == sub.service_number))
        if pooled is None:  # in the pool, as a number opened here is
            s.add(
                PhoneNumber(
                    number=sub.service_number, status=NumberStatus.ASSIGNED, hall_id=sub.hall_id
                )
            )
    return Mobile(sub.id, sub.customer_id, sub.service_number, sub.hall_id, sim_id)


def iccid(n: int) -> str:
    """A valid telecom ICCID (8986 11 …, Luhn) from a running number."""
    from hall_app.domain.telecom import luhn_check_digit

    body = f"898611{n:013d}"
    return body + str(luhn_check_digit(body))


def new_sim(app: HallApp, n: int, *, hall_id: uuid.UUID | None = None) -> str:
    """A new card in stock (no lease), made here (``n`` below 10**9)."""
    number = iccid(n)
    with app.db.unit_of_work() as s:
        if hall_id is None:
            hall_id = s.scalar(select(SimCard.hall_id).limit(1))
        s.add(
            SimCard(iccid=number, imsi=f"46005{n:010d}", status=SimStatus.IN_STOCK, hall_id=hall_id)
        )
    return number


def sim_of(app: HallApp, iccid_: str) -> SimStatus:
    with app.db.read() as s:
        return SimStatus(s.scalar(select(SimCard.status).where(SimCard.iccid == iccid_)))


def set_state(app: HallApp, sub_id: uuid.UUID, reason: SuspendReason | None) -> None:
    status = SubscriptionStatus.ACTIVE if reason is None else SubscriptionStatus.SUSPENDED
    with app.db.unit_of_work() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.id == sub_id)
            .values(status=status, suspend_reason=reason)
        )


def unpaid_bill(app: HallApp, sub: Mobile, amount_fen: int, due: date) -> None:
    period = f"{due.year:04d}-{due.month:02d}"
    with app.db.unit_of_work() as s:
        clear_period(s, sub.id, period)
        s.add(
            Bill(
                subscription_id=sub.id, customer_id=sub.customer_id, hall_id=sub.hall_id,
                period=period, period_start=due.replace(day=1), period_end=due,
                issued_at=datetime.combine(due.replace(day=1), datetime.min.time()).astimezone(),
                due_date=due, amount_fen=amount_fen, paid_fen=0, status=BillStatus.UNPAID,
            )
        )  # fmt: skip


def dispute(app: HallApp, sub: Mobile, now: datetime, category: str = "话费争议") -> None:
    with app.db.unit_of_work() as s:
        staff = s.scalars(select(Staff.id).limit(1)).one()
        s.add(
            ServiceTicket(
                ticket_no=f"TS{uuid.uuid4().hex[:10]}", kind=ServiceTicketKind.COMPLAINT,
                customer_id=sub.customer_id, subscription_id=sub.id, category=category,
                description="对 10 月话费有异议", area=None, status=ServiceTicketStatus.OPEN,
                opened_at=now, deadline_at=now + timedelta(days=3), staff_id=staff,
                hall_id=sub.hall_id,
            )
        )  # fmt: skip


def open_work_order_on(app: HallApp, sub: Mobile) -> str | None:
    """An open work order of the demo made the broadband of a fusion bundled with ``sub``;
    its number (None when the demo has none open)."""
    with app.db.unit_of_work() as s:
        wo = s.scalars(
            select(WorkOrder)
            .where(
                WorkOrder.status == WorkOrderStatus.SCHEDULED,
                WorkOrder.broadband_subscription_id.is_not(None),
            )
            .limit(1)
        ).first()
        if wo is None:
            return None
        s.execute(
            update(Subscription)
            .where(Subscription.id == wo.broadband_subscription_id)
            .values(bundled_with_id=sub.id)
        )
        return wo.work_order_no


def running_contract(app: HallApp, sub: Mobile) -> None:
    """Bind a demo installment contract's handset to ``sub`` and make it run."""
    with app.db.unit_of_work() as s:
        contract = s.scalars(
            select(InstallmentContract).where(InstallmentContract.device_id.is_not(None)).limit(1)
        ).one()
        contract.status = ContractStatus.ACTIVE.value
        s.execute(
            update(Device).where(Device.id == contract.device_id).values(subscription_id=sub.id)
        )
