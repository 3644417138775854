"""The supervisors' unmasked views over the demo's days (敏感信息查看记录): each duty
supervisor opens a few customers' full records a day (an ID checked against the card, a
complaint followed up) and now and then the 宽带预约登记 list with its full phone numbers.

Written as the services write them (hall_app/services/customers.py, fixed_line.py): the same
audit action, entity and payload, by the supervisor at their window, each the next link of
that window's audit chain (hall_app/services/audit_chain.py), in time order, so
``hall-app audit verify`` passes on a fresh demo. Deterministic for a seed."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select

from hall_app.clock import HALL_TZ
from hall_app.db.models import AuditEntry, DemandRegistration, Staff
from hall_app.domain.enums import Role
from hall_app.services.audit_chain import GENESIS, chain_head, hash_of_row
from hall_app.services.sensitive_views import CUSTOMER_VIEW, DEMANDS_VIEW

AUDIT: Table = AuditEntry.__table__  # type: ignore[assignment]
DEMANDS_LISTED = 500  # what the 预约登记 list shows at most (FixedLineService.demands)
OPENS, CLOSES = dtime(9, 0), dtime(17, 30)  # when supervisors look things up


def write_sensitive_views(
    conn: Connection,
    hall_id: uuid.UUID,
    customers: Sequence[uuid.UUID],
    first_day: date,
    today: date,
    seed: int,
    until: datetime | None = None,
) -> int:
    """The views from ``first_day`` to the day before ``today`` (and today up to ``until``
    when given); returns how many were written."""
    rng = random.Random(f"sensitive-views:{seed}")
    supervisors = conn.execute(
        select(Staff.id, Staff.username, Staff.default_counter_id)
        .where(Staff.hall_id == hall_id, Staff.role == Role.SUPERVISOR, Staff.active.is_(True))
        .order_by(Staff.employee_no)
    ).all()
    demands = min(
        DEMANDS_LISTED,
        conn.scalar(
            select(func.count())
            .select_from(DemandRegistration)
            .where(DemandRegistration.hall_id == hall_id)
        )
        or 0,
    )
    if not customers or not supervisors:
        return 0
    entries: list[dict[str, Any]] = []
    day = first_day
    while day <= today:
        start = datetime.combine(day, OPENS, HALL_TZ)
        end = datetime.combine(day, CLOSES, HALL_TZ)
        if day == today:
            if until is None:
                break
            end = min(end, until.astimezone(HALL_TZ))
        span = int((end - start).total_seconds())
        for staff_id, username, counter_id in supervisors:
            if span <= 0:
                continue
            looks: list[tuple[str, uuid.UUID | None]] = [
                (CUSTOMER_VIEW, rng.choice(customers)) for _ in range(rng.randint(1, 4))
            ]
            if demands and rng.random() < 0.3:
                looks.append((DEMANDS_VIEW, None))
            for action, customer_id in looks:
                at = start + timedelta(
                    seconds=rng.randrange(span), microseconds=rng.randrange(10**6)
                )
                entries.append(
                    {
                        "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                        "at": at.astimezone(UTC),
                        "staff_id": staff_id,
                        "actor_name": username,
                        "counter_id": counter_id,
                        "action": action,
                        "entity": "customer" if action == CUSTOMER_VIEW else "demand_registration",
                        "entity_id": str(customer_id) if customer_id is not None else None,
                        "before": None,
                        "after": None if action == CUSTOMER_VIEW else {"shown": demands},
                    }
                )
        day += timedelta(days=1)
    entries.sort(key=lambda e: (str(e["counter_id"]), e["at"]))
    heads: dict[uuid.UUID | None, tuple[int, str]] = {}
    for e in entries:  # each window's chain, continued from its head, in time order
        cid = e["counter_id"]
        if cid not in heads:
            heads[cid] = chain_head(conn, cid) or (0, GENESIS)
        seq, prev = heads[cid]
        e["seq"], e["prev_hash"] = seq + 1, prev
        e["entry_hash"] = hash_of_row(e)
        e["created_at"] = e["updated_at"] = e["at"]
        heads[cid] = (e["seq"], e["entry_hash"])
    if entries:
        conn.execute(insert(AUDIT), entries)
    return len(entries)
