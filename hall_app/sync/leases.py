"""Leases: blocks of the hall's shared resources handed to one counter, so that it can keep
selling while the link is down without clashing with the others.

Implemented so far: invoice-number blocks. The central database carves a block off the hall's
shared segment (one conditional UPDATE, so two counters never get overlapping blocks) and
records it as a segment of the counter; the next pull brings it to the counter, which then
numbers its invoices from it, gap-free, online or not."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update

from hall_app.db.engine import Database
from hall_app.db.models import Counter, InvoiceSegment
from hall_app.domain.errors import ValidationError

LOW_WATER = 100  # top up when fewer numbers than this are left
BLOCK = 500


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
