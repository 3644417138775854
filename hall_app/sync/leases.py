"""Leases: blocks of the hall's shared resources handed to one counter, so that it can keep
selling while the link is down without clashing with the others.

- **Invoice-number blocks.** The central database carves a block off the hall's shared segment
  (one conditional UPDATE, so two counters never get overlapping blocks) and records it as a
  segment of the counter; the next pull brings it to the counter, which then numbers its
  invoices from it, gap-free, online or not.
- **Numbers and SIMs.** Each online round keeps the counter holding a few ordinary numbers,
  a few pretty numbers and a few SIMs, leased for ``LEASE_HOURS``: what it holds is renewed,
  what is missing is picked with ``FOR UPDATE SKIP LOCKED`` among the hall's free, unleased
  (or lapsed) ones, so two counters never hold the same. Offline, the counter sells only
  these; online, nobody else may sell them while the lease runs. A lease that lapses (the
  counter stayed offline too long) frees the number for the others, and the counter stops
  offering it.
- **Landline numbers and equipment** the same way: a few ordinary landline numbers, and a few
  optical modems and routers of each product in stock, so a broadband or landline order can
  be taken offline.
- **Handsets** the same way: a few units (in stock, or back in stock after a return) of each
  handset model, so a handset can be sold offline; offline a counter sells only these.
- **Install slots.** Per community of the hall, a couple of slots with room a day to a week
  ahead (the latest first, so the earliest stay with the hall's online counters), bounded in
  all. While the lease runs only this counter may book them (online at the central database,
  offline in its own copy, whose ``booked`` the push then carries); a slot leased to another
  counter is neither offered nor booked elsewhere."""

from __future__ import annotations

import uuid
from collections import Counter as Tally
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, func, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hall_app.db.engine import Database
from hall_app.db.models import (
    Counter,
    Device,
    Equipment,
    InstallSlot,
    InvoiceSegment,
    LandlineNumber,
    PhoneNumber,
    SimCard,
    SyncOutbox,
)
from hall_app.db.outbox import PENDING, silenced, synced_tables
from hall_app.domain.enums import DeviceStatus, EquipmentStatus, NumberStatus, SimStatus
from hall_app.domain.errors import ValidationError

LOW_WATER = 100  # top up when fewer numbers than this are left
BLOCK = 500
LEASE_HOURS = 24
ORDINARY_NUMBERS = 20
PRETTY_NUMBERS = 5
SIMS = 20
LANDLINES = 5
EQUIPMENT_PER_PRODUCT = 5
DEVICES_PER_PRODUCT = 3  # handsets of each model: a counter sells a few a day at most
SLOTS_PER_COMMUNITY = 2
MAX_SLOTS = 60  # slots leased in all, whatever the number of communities
SLOT_LEASE_DAYS = 7  # slots starting within a week ...
# ... and no sooner than the lease runs: a leased slot stays bookable until the lease ends.
FREE_STATUS: dict[str, str | tuple[str, ...] | None] = {
    "number_pool": "available",
    "sim_cards": "in_stock",
    "landline_numbers": "available",
    "equipment": "in_stock",
    "devices": ("in_stock", "returned"),  # a returned handset is sold again as such
    "install_slots": None,  # no status: any copy of the central database's may replace ours
}
SELLABLE_DEVICES = (DeviceStatus.IN_STOCK, DeviceStatus.RETURNED)


def _is_free(column: ColumnElement[Any], free: object) -> ColumnElement[bool]:
    if isinstance(free, tuple):
        return column.in_(free)
    return column == free


@dataclass(frozen=True)
class Leased:
    ordinary: int
    pretty: int
    sims: int
    rows: tuple[tuple[Table, dict[str, Any]], ...] = ()
    landlines: int = 0
    equipment: int = 0
    slots: int = 0
    devices: int = 0


def invoice_numbers_left(db: Database, counter_id: uuid.UUID) -> int:
    with db.read() as s:
        return int(
            s.scalar(
                select(
                    func.coalesce(
                        func.sum(InvoiceSegment.last_seq - InvoiceSegment.next_seq + 1), 0
                    )
                ).where(
                    InvoiceSegment.counter_id == counter_id,
                    InvoiceSegment.next_seq <= InvoiceSegment.last_seq,
                )
            )
            or 0
        )


def counter_id_for(db: Database, code: str) -> uuid.UUID | None:
    with db.read() as s:
        return s.scalar(select(Counter.id).where(Counter.code == code))


def grant_invoice_block(
    central: Database, counter_id: uuid.UUID, size: int, now: datetime
) -> tuple[int, int]:
    """On the central database: a block of ``size`` numbers for the counter. Returns the
    first and last sequence number of the block."""
    with central.unit_of_work() as s:
        hall_id = s.scalar(select(Counter.hall_id).where(Counter.id == counter_id))
        if hall_id is None:
            raise ValidationError("中心数据库中没有这个窗口，请先完成首次同步", "发票号段")
        for _ in range(8):
            shared = s.scalars(
                select(InvoiceSegment)
                .where(
                    InvoiceSegment.hall_id == hall_id,
                    InvoiceSegment.counter_id.is_(None),
                    InvoiceSegment.next_seq + size - 1 <= InvoiceSegment.last_seq,
                )
                .order_by(InvoiceSegment.first_seq)
                .limit(1)
            ).first()
            if shared is None:
                break
            taken = s.execute(
                update(InvoiceSegment)
                .where(
                    InvoiceSegment.id == shared.id,
                    InvoiceSegment.next_seq + size - 1 <= InvoiceSegment.last_seq,
                )
                .values(next_seq=InvoiceSegment.next_seq + size, updated_at=func.now())
                .returning(InvoiceSegment.next_seq)
            ).scalar_one_or_none()
            if taken is None:
                s.expire(shared)
                continue
            first = taken - size
            s.add(
                InvoiceSegment(
                    hall_id=hall_id,
                    counter_id=counter_id,
                    year2=shared.year2,
                    province_code=shared.province_code,
                    channel=shared.channel,
                    first_seq=first,
                    last_seq=first + size - 1,
                    next_seq=first,
                    created_at=now,
                    updated_at=s.scalar(select(func.now())),  # the central clock
                )
            )
            return first, first + size - 1
    raise ValidationError("营业厅的发票号段已不足，请联系管理员", "发票号段")


def lease_resources(
    central: Database,
    counter_id: uuid.UUID,
    *,
    ordinary: int = ORDINARY_NUMBERS,
    pretty: int = PRETTY_NUMBERS,
    sims: int = SIMS,
    landlines: int = LANDLINES,
    equipment: int = EQUIPMENT_PER_PRODUCT,
    slots: int = SLOTS_PER_COMMUNITY,
    devices: int = DEVICES_PER_PRODUCT,
) -> Leased:
    """On the central database: renew this counter's leases of numbers, SIMs, landline
    numbers, equipment (``equipment`` of each product), handsets (``devices`` of each model)
    and install slots (``slots`` per community) and top them up to the given sizes. Expiry
    is the central clock's, and neither renewing nor granting touches ``updated_at``: a lease
    is not a change of the row (an offline sale of it must still win over the central copy).
    The rows come back for the counter to mirror."""
    pool: Table = PhoneNumber.__table__  # type: ignore[assignment]
    stock: Table = SimCard.__table__  # type: ignore[assignment]
    fixed: Table = LandlineNumber.__table__  # type: ignore[assignment]
    gear: Table = Equipment.__table__  # type: ignore[assignment]
    units: Table = Device.__table__  # type: ignore[assignment]
    lines = landlines
    with central.unit_of_work() as s:
        hall_id = s.scalar(select(Counter.hall_id).where(Counter.id == counter_id))
        if hall_id is None:
            raise ValidationError("中心数据库中没有这个窗口，请先完成首次同步", "号码租用")
        now = s.execute(select(func.now())).scalar_one()
        until = now + timedelta(hours=LEASE_HOURS)
        held: Tally[str] = Tally()
        rows: list[tuple[Table, dict[str, Any]]] = []
        products = s.scalars(
            select(gear.c.product_id)
            .where(gear.c.hall_id == hall_id, gear.c.status == EquipmentStatus.IN_STOCK)
            .distinct()
            .order_by(gear.c.product_id)
        ).all()
        models = s.scalars(
            select(units.c.product_id)
            .where(units.c.hall_id == hall_id, units.c.status.in_(SELLABLE_DEVICES))
            .distinct()
            .order_by(units.c.product_id)
        ).all()
        for name, table, free, kind, size in (
            ("ordinary", pool, NumberStatus.AVAILABLE, pool.c.pretty_tier_id.is_(None), ordinary),
            ("pretty", pool, NumberStatus.AVAILABLE, pool.c.pretty_tier_id.is_not(None), pretty),
            ("sims", stock, SimStatus.IN_STOCK, None, sims),
            ("landlines", fixed, NumberStatus.AVAILABLE, fixed.c.pretty_tier_id.is_(None), lines),
            *(
                ("equipment", gear, EquipmentStatus.IN_STOCK, gear.c.product_id == p, equipment)
                for p in products
            ),
            *(
                ("devices", units, SELLABLE_DEVICES, units.c.product_id == p, devices)
                for p in models
            ),
        ):
            got = _top_up(s, table, hall_id, counter_id, free, kind, size, now, until)
            held[name] += len(got)
            rows.extend((table, r) for r in got)
        got = _lease_slots(s, hall_id, counter_id, slots, now, until)
        held["slots"] = len(got)
        rows.extend((SLOTS, r) for r in got)
        return Leased(
            held["ordinary"],
            held["pretty"],
            held["sims"],
            (*_parents(s, rows), *rows),
            landlines=held["landlines"],
            equipment=held["equipment"],
            slots=held["slots"],
            devices=held["devices"],
        )


SLOTS: Table = InstallSlot.__table__  # type: ignore[assignment]


def _parents(
    s: Session, rows: list[tuple[Table, dict[str, Any]]]
) -> list[tuple[Table, dict[str, Any]]]:
    """What the rows refer to (a pretty tier or an installer team created centrally since the
    last pull), each once and parents first, so the counter can write them whatever it has
    pulled so far."""
    synced = set(synced_tables())
    found: dict[tuple[str, object], tuple[Table, dict[str, Any]]] = {}
    for table, row in rows:
        for fk in table.foreign_keys:
            parent = fk.column.table
            value = row.get(fk.parent.name)
            if value is None or parent.name not in synced or (parent.name, value) in found:
                continue
            got = s.execute(select(parent).where(parent.c.id == value)).mappings().first()
            if got is not None:
                found[(parent.name, value)] = (parent, dict(got))
    order = {name: i for i, name in enumerate(synced_tables())}
    return sorted(found.values(), key=lambda p: order.get(p[0].name, 0))


def _lease_slots(
    s: Session,
    hall_id: uuid.UUID,
    counter_id: uuid.UUID,
    per_community: int,
    now: datetime,
    until: datetime,
) -> list[dict[str, Any]]:
    """Renew the counter's install slots that still have room and start after the lease
    ends; then, per community, top up to ``per_community`` (``MAX_SLOTS`` in all) with free,
    unleased (or lapsed) slots starting between the lease's end and a week ahead, the latest
    first, picked with ``FOR UPDATE SKIP LOCKED``."""
    bookable = [
        SLOTS.c.hall_id == hall_id,
        SLOTS.c.booked < SLOTS.c.capacity,
        SLOTS.c.starts_at >= until,
        SLOTS.c.starts_at < now + timedelta(days=SLOT_LEASE_DAYS),
    ]
    renewed = [
        dict(r)
        for r in s.execute(
            update(SLOTS)
            .where(*bookable, SLOTS.c.lease_counter_id == counter_id)
            .values(lease_until=until, updated_at=SLOTS.c.updated_at)
            .returning(*SLOTS.c)
        ).mappings()
    ]
    room = MAX_SLOTS - len(renewed)
    if per_community <= 0 or room <= 0:
        return renewed
    have = Tally(r["community"] for r in renewed)
    free = (
        select(SLOTS.c.id, SLOTS.c.community, SLOTS.c.starts_at)
        .where(*bookable, or_(SLOTS.c.lease_counter_id.is_(None), SLOTS.c.lease_until < now))
        .with_for_update(skip_locked=True)
        .subquery()
    )
    rank = (
        func.row_number()
        .over(partition_by=free.c.community, order_by=(free.c.starts_at.desc(), free.c.id))
        .label("rank")
    )
    ranked = s.execute(
        select(free.c.id, free.c.community, rank).order_by(rank, free.c.community)
    ).all()
    picked: list[uuid.UUID] = []
    for slot_id, community, n in ranked:
        if len(picked) >= room:
            break
        if n + have[community] <= per_community:
            picked.append(slot_id)
    if not picked:
        return renewed
    added = s.execute(
        update(SLOTS)
        .where(SLOTS.c.id.in_(picked))
        .values(lease_counter_id=counter_id, lease_until=until, updated_at=SLOTS.c.updated_at)
        .returning(*SLOTS.c)
    ).mappings()
    return renewed + [dict(r) for r in added]


def _top_up(
    s: Session,
    table: Table,
    hall_id: uuid.UUID,
    counter_id: uuid.UUID,
    free: object,
    kind: ColumnElement[bool] | None,
    size: int,
    now: datetime,
    until: datetime,
) -> list[dict[str, Any]]:
    of_kind = [table.c.hall_id == hall_id, _is_free(table.c.status, free)]
    if kind is not None:
        of_kind.append(kind)
    renewed = [
        dict(r)
        for r in s.execute(
            update(table)
            .where(*of_kind, table.c.lease_counter_id == counter_id)
            .values(lease_until=until, updated_at=table.c.updated_at)  # not a change of the row
            .returning(*table.c)
        ).mappings()
    ]
    missing = size - len(renewed)
    if missing <= 0:
        return renewed
    pick = (
        select(table.c.id)
        .where(*of_kind, or_(table.c.lease_counter_id.is_(None), table.c.lease_until < now))
        .order_by(table.c.id)
        .limit(missing)
        .with_for_update(skip_locked=True)
    )
    added = s.execute(
        update(table)
        .where(table.c.id.in_(pick.scalar_subquery()))
        .values(lease_counter_id=counter_id, lease_until=until, updated_at=table.c.updated_at)
        .returning(*table.c)
    ).mappings()
    return renewed + [dict(r) for r in added]


# Rows a counter may make itself with a natural key the central database also has: a leased
# row must not collide with the counter's own row of the same key.
NATURAL_KEYS = {"devices": "imei"}


def _same_key_other_row(s: Session, table: Table, row: dict[str, Any]) -> bool:
    key = NATURAL_KEYS.get(table.name)
    if key is None:
        return False
    return (
        s.execute(
            select(table.c.id).where(table.c[key] == row[key], table.c.id != row["id"])
        ).first()
        is not None
    )


def mirror_leases(local: Database, leased: Leased) -> None:
    """Write the counter's leases into its own database, silently. Parents it lacks are
    added (never overwritten: the pull keeps those). A number, SIM, landline number, piece
    of equipment or slot it lacks comes whole; one it has comes whole too while it is free
    here and unchanged since the last push (a new tier, a price, the central booked count),
    else only its lease columns (a sale or an offline booking made here meanwhile stays)."""
    if not leased.rows:
        return
    with local.unit_of_work() as s:
        pending = set(
            s.scalars(
                select(SyncOutbox.row_id).where(
                    SyncOutbox.table_name.in_(list(FREE_STATUS)),
                    SyncOutbox.status == PENDING,
                )
            )
        )
        with silenced(s):
            for table, row in leased.rows:
                if _same_key_other_row(s, table, row):
                    # A unit received at this counter too (one IMEI delivered twice): the
                    # counter's own row stays, and its push is refused and quarantined for a
                    # supervisor; the lease must not stop the round.
                    continue
                stmt = sqlite_insert(table).values(row)
                if table.name not in FREE_STATUS:
                    s.execute(stmt.on_conflict_do_nothing(index_elements=[table.c.id]))
                    continue
                free = FREE_STATUS[table.name]
                mine = row["id"] in pending
                leases = {
                    "lease_counter_id": stmt.excluded.lease_counter_id,
                    "lease_until": stmt.excluded.lease_until,
                }
                whole = {c.name: stmt.excluded[c.name] for c in table.c if c.name != "id"}
                s.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[table.c.id],
                        set_=leases if mine else whole,
                        where=None if mine or free is None else _is_free(table.c.status, free),
                    )
                )
                if not mine and free is not None:  # not free here (sold): at least the lease
                    s.execute(
                        update(table)
                        .where(table.c.id == row["id"], ~_is_free(table.c.status, free))
                        .values(
                            lease_counter_id=row["lease_counter_id"],
                            lease_until=row["lease_until"],
                            updated_at=table.c.updated_at,
                        )
                    )
