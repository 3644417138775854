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
  offering it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, func, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hall_app.db.central import fetch_with_parents
from hall_app.db.engine import Database
from hall_app.db.models import (
    Counter,
    InvoiceSegment,
    PhoneNumber,
    SimCard,
    SyncOutbox,
)
from hall_app.db.outbox import PENDING, silenced
from hall_app.domain.enums import NumberStatus, SimStatus
from hall_app.domain.errors import ValidationError

LOW_WATER = 100  # top up when fewer numbers than this are left
BLOCK = 500
LEASE_HOURS = 24
ORDINARY_NUMBERS = 20
PRETTY_NUMBERS = 5
SIMS = 20
FREE_STATUS = {"number_pool": "available", "sim_cards": "in_stock"}


@dataclass(frozen=True)
class Leased:
    ordinary: int
    pretty: int
    sims: int
    rows: tuple[tuple[Table, dict[str, Any]], ...] = ()


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
) -> Leased:
    """On the central database: renew this counter's leases of numbers and SIMs and top them
    up to the given sizes. Expiry is the central clock's, and neither renewing nor granting
    touches ``updated_at``: a lease is not a change of the row (an offline sale of it must
    still win over the central copy). The rows come back for the counter to mirror."""
    pool: Table = PhoneNumber.__table__  # type: ignore[assignment]
    stock: Table = SimCard.__table__  # type: ignore[assignment]
    with central.unit_of_work() as s:
        hall_id = s.scalar(select(Counter.hall_id).where(Counter.id == counter_id))
        if hall_id is None:
            raise ValidationError("中心数据库中没有这个窗口，请先完成首次同步", "号码租用")
        now = s.execute(select(func.now())).scalar_one()
        until = now + timedelta(hours=LEASE_HOURS)
        held: dict[str, int] = {}
        rows: list[tuple[Table, dict[str, Any]]] = []
        for name, table, free, kind, size in (
            ("ordinary", pool, NumberStatus.AVAILABLE, pool.c.pretty_tier_id.is_(None), ordinary),
            ("pretty", pool, NumberStatus.AVAILABLE, pool.c.pretty_tier_id.is_not(None), pretty),
            ("sims", stock, SimStatus.IN_STOCK, None, sims),
        ):
            got = _top_up(s, table, hall_id, counter_id, free, kind, size, now, until)
            held[name] = len(got)
            rows.extend((table, r) for r in got)
        # What the rows refer to (a pretty tier created centrally since the last pull) comes
        # too, parents first, so the counter can write them whatever it has pulled so far.
        parents: dict[tuple[str, object], tuple[Table, dict[str, Any]]] = {}
        for table, row in rows:
            for parent, prow in fetch_with_parents(s, table, row)[:-1]:
                parents.setdefault((parent.name, prow["id"]), (parent, prow))
        return Leased(held["ordinary"], held["pretty"], held["sims"], (*parents.values(), *rows))


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
    of_kind = [table.c.hall_id == hall_id, table.c.status == free]
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


def mirror_leases(local: Database, leased: Leased) -> None:
    """Write the counter's leases into its own database, silently. Parents it lacks are
    added (never overwritten: the pull keeps those). A number or SIM it lacks comes whole; one
    it has comes whole too while it is free here and unchanged since the last push (a new tier,
    a price), else only its lease columns (a sale made here meanwhile stays)."""
    if not leased.rows:
        return
    with local.unit_of_work() as s:
        pending = set(
            s.scalars(
                select(SyncOutbox.row_id).where(
                    SyncOutbox.table_name.in_(["number_pool", "sim_cards"]),
                    SyncOutbox.status == PENDING,
                )
            )
        )
        with silenced(s):
            for table, row in leased.rows:
                stmt = sqlite_insert(table).values(row)
                if table.name not in FREE_STATUS:
                    s.execute(stmt.on_conflict_do_nothing(index_elements=[table.c.id]))
                    continue
                leases = {
                    "lease_counter_id": stmt.excluded.lease_counter_id,
                    "lease_until": stmt.excluded.lease_until,
                }
                whole = {c.name: stmt.excluded[c.name] for c in table.c if c.name != "id"}
                s.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[table.c.id],
                        set_=leases if row["id"] in pending else whole,
                        where=None
                        if row["id"] in pending
                        else table.c.status == FREE_STATUS[table.name],
                    )
                )
                if row["id"] not in pending:  # not free here (sold): at least the lease
                    s.execute(
                        update(table)
                        .where(table.c.id == row["id"], table.c.status != FREE_STATUS[table.name])
                        .values(
                            lease_counter_id=row["lease_counter_id"],
                            lease_until=row["lease_until"],
                            updated_at=table.c.updated_at,
                        )
                    )
