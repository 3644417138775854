"""A bill's paid amount at the central database counts its settlements.

A bill paid at two windows (one of them, or both, offline) reaches the central database as
two bill rows, last writer wins on ``updated_at``, and two settlements (distinct rows, both
kept). So after every pushed batch of bills or settlements the central copy of each bill
touched is paid at least the sum of its settlements (never less than it is: an online claim,
``CentralClaims.claim_bills``, may be ahead of its settlement, which comes with the next
round), its status and paid time following. A bill whose settlements add up to more than its
amount was paid twice: it is flagged for a supervisor as a resource clash (resource "bill";
idempotent: one record per bill and total), who refunds the customer or credits the number
and marks it resolved.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Connection, Table, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from hall_app.db.models import Base, Bill, BillSettlement, Subscription
from hall_app.domain.billing import bill_status
from hall_app.domain.enums import BillStatus
from hall_app.domain.masking import mask_phone
from hall_app.domain.money import format_yuan

BILL_TABLES = frozenset({"bills", "bill_settlements"})
BILL_CLASH_NS = uuid.UUID("0b3c2f5e-8d6a-4f1e-b7c9-4e2a1d9f6c37")


def settle_bill_totals(
    conn: Connection,
    table: Table,
    rows: list[dict[str, object]],
    counter_id: uuid.UUID | None,
    now: datetime,
) -> int:
    """In the push's transaction: the central bills of ``rows`` (pushed bills or settlements)
    paid their settlements' sum; returns how many were flagged as paid twice."""
    key = "id" if table.name == "bills" else "bill_id"
    ids = list({r[key] for r in rows})
    if not ids:
        return 0
    # Locked first (two counters pushing settlements of one bill count one after the other).
    conn.execute(select(Bill.id).where(Bill.id.in_(ids)).with_for_update()).all()
    totals = conn.execute(
        select(
            Bill.id,
            Bill.amount_fen,
            Bill.paid_fen,
            Bill.status,
            Bill.period,
            func.coalesce(Bill.hall_id, Subscription.hall_id),
            Subscription.service_number,
            func.coalesce(func.sum(BillSettlement.amount_fen), 0),
            func.max(BillSettlement.settled_at),
        )
        .join(Subscription, Subscription.id == Bill.subscription_id)
        .outerjoin(BillSettlement, BillSettlement.bill_id == Bill.id)
        .where(Bill.id.in_(ids), Bill.status != BillStatus.WRITTEN_OFF)
        .group_by(Bill.id, Subscription.id)
    ).all()
    flagged = 0
    for bill_id, amount, paid, _status, period, hall_id, number, summed, last in totals:
        settled = int(summed)  # a sum of BIGINT is NUMERIC in PostgreSQL
        if settled > paid:
            conn.execute(
                update(Bill)
                .where(Bill.id == bill_id)
                .values(
                    updated_at=func.greatest(Bill.updated_at, now),
                    paid_fen=settled,
                    status=bill_status(amount, settled),
                    paid_at=last if settled >= amount else None,
                )
            )
        if settled > amount and hall_id is not None:
            _flag(conn, bill_id, hall_id, counter_id, period, number, amount, settled, now)
            flagged += 1
    return flagged


def _flag(
    conn: Connection,
    bill_id: uuid.UUID,
    hall_id: uuid.UUID,
    counter_id: uuid.UUID | None,
    period: str,
    number: str,
    amount: int,
    settled: int,
    now: datetime,
) -> None:
    detail = (
        f"{period} 账单（{mask_phone(number)}）被多个窗口重复缴费：应缴 {format_yuan(amount)}，"
        f"各次销账合计 {format_yuan(settled)}，多收 {format_yuan(settled - amount)}。"
        "请主管联系客户退还多收部分（或经客户同意转为预存）后标记已处理。"
    )
    clashes: Table = Base.metadata.tables["resource_clashes"]
    conn.execute(
        pg_insert(clashes)
        .values(
            id=uuid.uuid5(BILL_CLASH_NS, f"bill:{bill_id}:{settled}"),
            hall_id=hall_id,
            counter_id=counter_id,
            # no order: the payments are the orders of several windows, and a counter pulling
            # the flag holds only its own (the detail names the bill; its settlements list them)
            order_id=None,
            resource="bill",
            resource_key=period,
            detail=detail,
            detected_at=now,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
