"""Rows for broadband and landline tests, inserted directly: a customer, a completed order,
pending subscriptions, an installer team with slots, equipment and the install work order.

Independent of the fixed-line order type (FixedLineService), so work-order tests can run on
their own; ``make_work_order`` is meant to be reused by any test that needs a work order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.clock import HALL_TZ
from hall_app.db.models import (
    Customer,
    InstallerTeam,
    InstallSlot,
    Order,
    Product,
    Subscription,
    VatCategory,
    WorkOrder,
)
from hall_app.db.models.fixed_line import Equipment, TeamArea
from hall_app.domain.enums import (
    CustomerKind,
    EquipmentMode,
    EquipmentStatus,
    IdDocType,
    OrderState,
    OrderType,
    ProductKind,
    SubscriptionKind,
    SubscriptionStatus,
    WorkOrderKind,
    WorkOrderStatus,
)
from hall_app.services.actor import Actor

COMMUNITY = "鼓楼区温泉街道五四北社区"
ADDRESS = "福州市鼓楼区五四路 88 号 3 座 1201"
WINDOWS = (("morning", 9, 12), ("afternoon", 14, 18), ("evening", 18, 20))


@dataclass(frozen=True)
class BuiltWorkOrder:
    work_order_id: uuid.UUID
    work_order_no: str
    order_id: uuid.UUID
    order_no: str
    customer_id: uuid.UUID
    broadband_id: uuid.UUID | None
    landline_id: uuid.UUID | None
    team_id: uuid.UUID
    slot_id: uuid.UUID  # the booked one
    free_slot_ids: tuple[uuid.UUID, ...]  # more slots of the same team and community, unbooked


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=HALL_TZ).astimezone(UTC)


def make_work_order(
    hall: HallApp,
    actor: Actor,
    *,
    promised: date = date(2026, 11, 27),
    window_day: date = date(2026, 11, 26),
    fee_fen: int = 10_000,
    broadband: bool = True,
    landline: bool = False,
    relocate: bool = False,
    status: WorkOrderStatus = WorkOrderStatus.SCHEDULED,
    provisional: bool = False,
    with_equipment: bool = True,
    capacity: int = 2,
    tag: str | None = None,
) -> BuiltWorkOrder:
    """One work order and everything it hangs on. A relocation works on an ACTIVE broadband
    subscription at an old address; a new install on PENDING subscriptions."""
    tag = tag or uuid.uuid4().hex[:6].upper()
    now = hall.clock()
    with hall.db.unit_of_work() as s:
        plan = s.scalars(
            select(Product).where(Product.kind == ProductKind.BROADBAND_PLAN).limit(1)
        ).one()
        landline_plan = s.scalars(
            select(Product).where(Product.kind == ProductKind.LANDLINE_PLAN).limit(1)
        ).first()
        customer = Customer(
            kind=CustomerKind.INDIVIDUAL,
            name="林晓峰",
            id_doc_type=IdDocType.RESIDENT_ID,
            id_number=f"35010219900101{int(tag, 16) % 10000:04d}",
            address="福州市鼓楼区杨桥路 1 号",
            contact_phone="13305911234",
            registered_hall_id=actor.hall_id,
        )
        s.add(customer)
        s.flush()
        order = Order(
            order_no=f"SL20261124T{tag}",
            order_type=OrderType.RELOCATE if relocate else OrderType.BROADBAND_INSTALL,
            state=OrderState.COMPLETED,
            hall_id=actor.hall_id,
            counter_id=actor.counter_id,
            staff_id=actor.staff_id,
            customer_id=customer.id,
            total_fen=fee_fen,
            submitted_at=now,
            completed_at=now,
            created_at=now,
        )
        s.add(order)
        s.flush()
        sub_status = SubscriptionStatus.ACTIVE if relocate else SubscriptionStatus.PENDING
        bb = ll = None
        if broadband:
            bb = Subscription(
                customer_id=customer.id,
                kind=SubscriptionKind.BROADBAND,
                service_number=f"KD0591{tag}",
                product_id=plan.id,
                status=sub_status,
                address="福州市台江区八一七中路 5 号" if relocate else ADDRESS,
                community="台江区茶亭街道" if relocate else COMMUNITY,
                technology="FTTH",
                hall_id=actor.hall_id,
                activated_at=now - timedelta(days=400) if relocate else None,
            )
            s.add(bb)
        if landline:
            assert landline_plan is not None
            ll = Subscription(
                customer_id=customer.id,
                kind=SubscriptionKind.LANDLINE,
                service_number=f"05918{int(tag, 16) % 10**7:07d}",
                product_id=landline_plan.id,
                status=sub_status,
                address=ADDRESS,
                community=COMMUNITY,
                technology="FTTH",
                hall_id=actor.hall_id,
            )
            s.add(ll)
        s.flush()
        team = InstallerTeam(
            hall_id=actor.hall_id, code=f"T{tag}", name="鼓楼装维一班", leader="陈师傅"
        )
        s.add(team)
        s.flush()
        s.add(TeamArea(team_id=team.id, community=COMMUNITY, capacity=capacity))
        slots: list[InstallSlot] = []
        for offset in range(4):
            day = window_day + timedelta(days=offset)
            for code, start, end in WINDOWS:
                slot = InstallSlot(
                    hall_id=actor.hall_id,
                    team_id=team.id,
                    community=COMMUNITY,
                    day=day,
                    window=code,
                    starts_at=_at(day, start),
                    ends_at=_at(day, end),
                    capacity=capacity,
                    booked=0,
                    provisional=provisional,
                )
                s.add(slot)
                slots.append(slot)
        s.flush()
        booked = slots[0]
        booked.booked = 1
        wo = WorkOrder(
            work_order_no=f"GD20261124{tag}",
            kind=WorkOrderKind.RELOCATE if relocate else WorkOrderKind.INSTALL,
            order_id=order.id,
            hall_id=actor.hall_id,
            customer_id=customer.id,
            broadband_subscription_id=bb.id if bb else None,
            landline_subscription_id=ll.id if ll else None,
            address=ADDRESS,
            community=COMMUNITY,
            technology="FTTH",
            contact_name="林晓峰",
            contact_phone="13305911234",
            slot_id=booked.id,
            team_id=team.id,
            window_start=booked.starts_at,
            window_end=booked.ends_at,
            promised_date=promised,
            promised_provisional=provisional,
            installation_fee_fen=fee_fen,
            status=status,
        )
        s.add(wo)
        if with_equipment and not relocate:
            vat = s.scalars(select(VatCategory).where(VatCategory.code == "equipment")).one()
            modem = Product(
                code=f"ONU-{tag}",
                kind=ProductKind.EQUIPMENT,
                name="华为 HN8145X6 千兆光猫",
                price_fen=39_900,
                vat_category_id=vat.id,
                deposit_fen=10_000,
            )
            router = Product(
                code=f"WIFI-{tag}",
                kind=ProductKind.EQUIPMENT,
                name="TP-LINK AX3000 无线路由器",
                price_fen=29_900,
                vat_category_id=vat.id,
            )
            s.add_all([modem, router])
            s.flush()
            for product, serial, mode in (
                (modem, f"HWTC{tag}01", EquipmentMode.DEPOSIT),
                (router, f"TPWR{tag}02", EquipmentMode.FREE),
            ):
                s.add(
                    Equipment(
                        product_id=product.id,
                        serial=serial,
                        status=EquipmentStatus.LENT,
                        hall_id=actor.hall_id,
                        order_id=order.id,
                        subscription_id=bb.id if bb else None,
                        mode=mode,
                        deposit_fen=10_000 if mode is EquipmentMode.DEPOSIT else 0,
                    )
                )
        s.flush()
        return BuiltWorkOrder(
            work_order_id=wo.id,
            work_order_no=wo.work_order_no,
            order_id=order.id,
            order_no=order.order_no,
            customer_id=customer.id,
            broadband_id=bb.id if bb else None,
            landline_id=ll.id if ll else None,
            team_id=team.id,
            slot_id=booked.id,
            free_slot_ids=tuple(sl.id for sl in slots[1:]),
        )
