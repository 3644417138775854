"""The central database's claims over the live link: the SQL behind the ``CentralClaims``
port (hall_app/services/ports.py). Each claim is one conditional UPDATE at the central
database, so two counters can never take the same number or SIM, nor book a slot past its
capacity."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, Table, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningUpdate

from hall_app.config import BusinessRules
from hall_app.db.central import CentralLink, Undoable, fetch_with_parents, free_to, leased_to
from hall_app.db.models import (
    Bill,
    Device,
    Equipment,
    InstallerTeam,
    InstallSlot,
    LandlineNumber,
    PhoneNumber,
    SimCard,
)
from hall_app.domain.billing import BillTake
from hall_app.domain.enums import BillStatus, DeviceStatus, EquipmentStatus, NumberStatus, SimStatus
from hall_app.domain.errors import ValidationError
from hall_app.domain.slots import SLOT_FIELD, SlotFull

NUMBERS: Table = PhoneNumber.__table__  # type: ignore[assignment]
SIMS: Table = SimCard.__table__  # type: ignore[assignment]
LANDLINES: Table = LandlineNumber.__table__  # type: ignore[assignment]
GEAR: Table = Equipment.__table__  # type: ignore[assignment]
DEVICES: Table = Device.__table__  # type: ignore[assignment]
SELLABLE = (DeviceStatus.IN_STOCK, DeviceStatus.RETURNED)
SLOTS: Table = InstallSlot.__table__  # type: ignore[assignment]
DEFAULT_LEAD_HOURS = BusinessRules.install_lead_hours


def free_slots_stmt(
    hall_id: uuid.UUID, community: str, first: date, last: date, earliest: datetime
) -> Select[Any]:
    """The hall's slots with room in ``community`` from ``first`` to ``last`` starting no
    sooner than ``earliest``, earliest first, with the team's name: one query on the index
    (hall, community, day)."""
    return (
        select(
            SLOTS.c.id,
            SLOTS.c.day,
            SLOTS.c.window,
            SLOTS.c.starts_at,
            SLOTS.c.ends_at,
            SLOTS.c.capacity,
            SLOTS.c.booked,
            InstallerTeam.name.label("team_name"),
        )
        .join(InstallerTeam, InstallerTeam.id == SLOTS.c.team_id)
        .where(
            SLOTS.c.hall_id == hall_id,
            SLOTS.c.community == community,
            SLOTS.c.day >= first,
            SLOTS.c.day <= last,
            SLOTS.c.booked < SLOTS.c.capacity,
            SLOTS.c.starts_at >= earliest,
        )
        .order_by(SLOTS.c.starts_at, InstallerTeam.name)
    )


def slot_refusal(row: Any, now: datetime, lead: timedelta, others_lease: bool) -> ValidationError:
    """Why a slot could not be booked, from the slot as it is (``None``: no such slot)."""
    if row is None:
        return ValidationError("该预约时段不存在（可能已被撤销），请重新选择时段", SLOT_FIELD)
    if row.starts_at < now + lead:
        hours = int(lead.total_seconds() // 3600)
        return ValidationError(
            f"该时段已开始或距开始不足 {hours} 小时，不能再预约，请另选时段", SLOT_FIELD
        )
    if row.booked >= row.capacity:
        return SlotFull()
    if others_lease:
        return SlotFull("该时段由其他窗口离线保留中，请另选一个时段")
    return SlotFull()


def book_slot(
    central: Session,
    slot_id: uuid.UUID,
    counter_id: uuid.UUID,
    now: datetime,
    *,
    lead_hours: int = DEFAULT_LEAD_HOURS,
) -> list[tuple[Table, dict[str, Any]]]:
    """At the central database, inside the caller's transaction: one place of the slot, by one
    conditional UPDATE (``booked < capacity``), so concurrent counters never overbook it. A
    slot leased to another counter (it may fill it offline) or starting within the lead time
    is refused. Returns the slot as booked, with its parents, for the counter to mirror."""
    lead = timedelta(hours=lead_hours)
    got = (
        central.execute(
            update(SLOTS)
            .where(
                SLOTS.c.id == slot_id,
                SLOTS.c.booked < SLOTS.c.capacity,
                SLOTS.c.starts_at >= now + lead,
                free_to(SLOTS, counter_id),
            )
            .values(booked=SLOTS.c.booked + 1, updated_at=now)
            .returning(*SLOTS.c)
        )
        .mappings()
        .first()
    )
    if got is None:
        row = central.execute(select(SLOTS).where(SLOTS.c.id == slot_id)).first()
        others = row is not None and (
            central.execute(
                select(SLOTS.c.id).where(SLOTS.c.id == slot_id, ~free_to(SLOTS, counter_id))
            ).first()
            is not None
        )
        raise slot_refusal(row, now, lead, others)
    return fetch_with_parents(central, SLOTS, dict(got))


def unbook_slot(central: Session, slot_id: uuid.UUID, counter_id: uuid.UUID, now: datetime) -> None:
    """At the central database, inside the caller's transaction: give one place of the slot
    back (an order that failed, a rescheduled work order); never below zero. Any counter may
    give a place back: it only ever makes room."""
    del counter_id  # a release is not bound to the counter that booked
    central.execute(
        update(SLOTS)
        .where(SLOTS.c.id == slot_id, SLOTS.c.booked > 0)
        .values(booked=SLOTS.c.booked - 1, updated_at=now)
    )


def take_sim(
    central: Session,
    iccid: str,
    counter_id: uuid.UUID,
    now: datetime,
    before: Any,
) -> list[tuple[Table, dict[str, Any]]]:
    """At the central database, in the caller's transaction: the SIM (as it was: ``before``)
    becomes assigned to the counter, by one conditional UPDATE. Returns it with its parents for
    a counter that never had it."""
    sim = central.execute(
        update(SimCard)
        .where(
            SimCard.iccid == iccid,
            SimCard.status == SimStatus.IN_STOCK,
            free_to(SIMS, counter_id),
        )
        .values(status=SimStatus.ASSIGNED, taken_by_counter_id=counter_id, updated_at=now)
        .returning(SimCard.id)
    ).scalar_one_or_none()
    if sim is None or before is None:
        # As it is now, not as read before the UPDATE: the loser of a race waited on the
        # winner's lock and must be told the card is used.
        status = central.execute(select(SIMS.c.status).where(SIMS.c.iccid == iccid)).scalar()
        if status is None:
            raise ValidationError(f"中心库存中没有 ICCID {iccid} 的卡，请核对或换一张", "ICCID")
        if SimStatus(status) is not SimStatus.IN_STOCK:
            raise ValidationError(
                f"这张卡{SimStatus(status).label}（ICCID {iccid}，可能刚被其他窗口使用），请换一张",
                "ICCID",
            )
        raise ValidationError(f"ICCID {iccid} 已租给其他窗口离线销售，请换一张", "ICCID")
    return fetch_with_parents(central, SIMS, dict(before))


def take_bill(b: BillTake, now: datetime) -> ReturningUpdate[uuid.UUID]:
    """The one conditional UPDATE taking a bill for a payment (at the central database and
    in the counter's alike): still unpaid, and paid what the payment found paid on it."""
    return (
        update(Bill)
        .where(
            Bill.id == b.bill_id,
            Bill.paid_fen == b.paid_fen,
            Bill.status.in_((BillStatus.UNPAID, BillStatus.PARTLY_PAID)),
        )
        .values(
            paid_fen=b.new_paid_fen,
            status=b.status,
            paid_at=now if b.status is BillStatus.PAID else None,
            updated_at=now,
        )
        .returning(Bill.id)
        .execution_options(synchronize_session=False)
    )


class LinkedCentral:
    """``CentralClaims`` over a ``CentralLink``: each method one transaction there."""

    def __init__(self, link: CentralLink) -> None:
        self._link = link

    @property
    def online(self) -> bool:
        return self._link.online

    @property
    def link(self) -> CentralLink:
        return self._link

    def claim_number_and_sim(
        self, number: str, iccid: str, counter_id: uuid.UUID, now: datetime
    ) -> list[tuple[Table, dict[str, Any]]]:
        def claim(central: Session) -> list[tuple[Table, dict[str, Any]]]:
            # The SIM as it is before the claim, for a counter that never had it (stock
            # delivered centrally since its last lease): the order takes it locally.
            before = central.execute(select(SIMS).where(SIMS.c.iccid == iccid)).mappings().first()
            got = central.execute(
                update(PhoneNumber)
                .where(
                    PhoneNumber.number == number,
                    or_(
                        (PhoneNumber.status == NumberStatus.RESERVED)
                        & (PhoneNumber.reserved_by_counter_id == counter_id),
                        # reserved here while offline: the lease kept it for this counter
                        (PhoneNumber.status == NumberStatus.AVAILABLE)
                        & leased_to(NUMBERS, counter_id),
                    ),
                )
                .values(
                    status=NumberStatus.ASSIGNED,
                    reserved_until=None,
                    reserved_by_counter_id=counter_id,
                    updated_at=now,
                )
                .returning(PhoneNumber.id)
            ).scalar_one_or_none()
            if got is None:
                raise ValidationError(
                    f"{number} 在中心已不再为本窗口预占（已过期被其他窗口选用），请重新选号",
                    "号码",
                )
            return take_sim(central, iccid, counter_id, now, before)

        return self._link.run(claim)

    def claim_sim(
        self, iccid: str, counter_id: uuid.UUID, now: datetime
    ) -> list[tuple[Table, dict[str, Any]]]:
        """A SIM alone (补换卡): in stock and free to the counter, taken by one conditional
        UPDATE, so two counters never give the same new card to two numbers."""

        def claim(central: Session) -> list[tuple[Table, dict[str, Any]]]:
            before = central.execute(select(SIMS).where(SIMS.c.iccid == iccid)).mappings().first()
            return take_sim(central, iccid, counter_id, now, before)

        return self._link.run(claim)

    def claim_fixed_line(
        self,
        slot_id: uuid.UUID | None,
        landline: str | None,
        gear: Sequence[tuple[str, EquipmentStatus]],
        counter_id: uuid.UUID,
        now: datetime,
        *,
        lead_hours: int = DEFAULT_LEAD_HOURS,
    ) -> list[tuple[Table, dict[str, Any]]]:
        def claim(central: Session) -> list[tuple[Table, dict[str, Any]]]:
            rows: list[tuple[Table, dict[str, Any]]] = []
            if landline is not None:
                got = central.execute(
                    update(LandlineNumber)
                    .where(
                        LandlineNumber.number == landline,
                        or_(
                            (LandlineNumber.status == NumberStatus.RESERVED)
                            & (LandlineNumber.reserved_by_counter_id == counter_id),
                            (LandlineNumber.status == NumberStatus.AVAILABLE)
                            & leased_to(LANDLINES, counter_id),
                        ),
                    )
                    .values(
                        status=NumberStatus.ASSIGNED,
                        reserved_until=None,
                        reserved_by_counter_id=counter_id,
                        updated_at=now,
                    )
                    .returning(LandlineNumber.id)
                ).scalar_one_or_none()
                if got is None:
                    raise ValidationError(
                        f"固话号码 {landline} 在中心已不再为本窗口预占，请重新选号", "固话号码"
                    )
            for serial, status in gear:
                before = (
                    central.execute(select(GEAR).where(GEAR.c.serial == serial)).mappings().first()
                )
                took = central.execute(
                    update(Equipment)
                    .where(
                        Equipment.serial == serial,
                        Equipment.status == EquipmentStatus.IN_STOCK,
                        free_to(GEAR, counter_id),
                    )
                    .values(status=status, taken_by_counter_id=counter_id, updated_at=now)
                    .returning(Equipment.id)
                ).scalar_one_or_none()
                if took is None or before is None:
                    raise ValidationError(
                        f"设备 {serial} 已被其他窗口使用或租用，请换一台", "设备序列号"
                    )
                rows.extend(fetch_with_parents(central, GEAR, dict(before)))
            if slot_id is not None:
                rows.extend(book_slot(central, slot_id, counter_id, now, lead_hours=lead_hours))
            return rows

        return self._link.run(claim)

    def claim_device(
        self, imei: str, counter_id: uuid.UUID, now: datetime
    ) -> list[tuple[Table, dict[str, Any]]]:
        def claim(central: Session) -> list[tuple[Table, dict[str, Any]]]:
            before = (
                central.execute(select(DEVICES).where(DEVICES.c.imei == imei)).mappings().first()
            )
            if before is None:
                raise ValidationError(f"中心库存中没有 IMEI {imei} 的手机，请核对", "IMEI")
            took = central.execute(
                update(Device)
                .where(
                    Device.imei == imei,
                    Device.status.in_(SELLABLE),
                    free_to(DEVICES, counter_id),
                )
                .values(status=DeviceStatus.SOLD, taken_by_counter_id=counter_id, updated_at=now)
                .returning(Device.id)
            ).scalar_one_or_none()
            if took is None:
                # As it is now, not as read before the UPDATE: a counter that lost the race
                # for the unit waited on the winner's lock and must be told it is sold.
                status = DeviceStatus(
                    central.execute(
                        select(DEVICES.c.status).where(DEVICES.c.imei == imei)
                    ).scalar_one()
                )
                if status in SELLABLE:
                    raise ValidationError(
                        f"IMEI {imei} 的手机由其他窗口离线租用中，不能在本窗口销售", "IMEI"
                    )
                raise ValidationError(
                    f"IMEI {imei} 的手机{status.label}，不能再销售（可能刚被其他窗口售出）",
                    "IMEI",
                )
            return fetch_with_parents(central, DEVICES, dict(before))

        return self._link.run(claim)

    def claim_bills(
        self, bills: Sequence[BillTake], counter_id: uuid.UUID, now: datetime
    ) -> list[tuple[Table, dict[str, Any]]]:
        def claim(central: Session) -> list[tuple[Table, dict[str, Any]]]:
            for b in bills:
                hit = central.execute(take_bill(b, now)).all()
                if not hit and central.get(Bill, b.bill_id) is not None:
                    # As it is now (the loser of a race waited on the winner's lock): the
                    # whole claim is rolled back with this refusal.
                    raise ValidationError(
                        f"{b.period} 账单（{b.number}）已由其他窗口缴费，本次未收费。"
                        "请刷新后重新确认",
                        "账单",
                    )
            return []  # the counter takes each bill by the same UPDATE in its own database

        return self._link.run(claim)

    def release_claim(self, claim: Undoable) -> None:
        self._link.run(claim.undo)

    def claim_slot(
        self,
        slot_id: uuid.UUID,
        counter_id: uuid.UUID,
        now: datetime,
        *,
        lead_hours: int = DEFAULT_LEAD_HOURS,
    ) -> list[tuple[Table, dict[str, Any]]]:
        return self._link.run(
            lambda central: book_slot(central, slot_id, counter_id, now, lead_hours=lead_hours)
        )

    def release_slot(self, slot_id: uuid.UUID, counter_id: uuid.UUID, now: datetime) -> None:
        self._link.run(lambda central: unbook_slot(central, slot_id, counter_id, now))

    def free_slots(
        self,
        hall_id: uuid.UUID,
        community: str,
        first: date,
        last: date,
        earliest: datetime,
        counter_id: uuid.UUID,
    ) -> list[dict[str, Any]]:
        stmt = free_slots_stmt(hall_id, community, first, last, earliest).where(
            free_to(SLOTS, counter_id)
        )
        return self._link.run(lambda central: [dict(r) for r in central.execute(stmt).mappings()])
