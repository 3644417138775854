"""The demo's top-up offers (充50送5, 充100送20, 充200送50, valid from the year's start) and
a few open billing disputes (话费争议 complaints) on numbers with an unpaid bill: the bills'
companions (``hall_app.demo.bills``)."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from hall_app.clock import HALL_TZ
from hall_app.db.models import Bill, ServiceTicket, Subscription, TopUpOffer
from hall_app.demo.bulk import BulkWriter, model_table
from hall_app.demo.history import SERVICE_TICKET_COLUMNS
from hall_app.demo.reference import Reference
from hall_app.domain.enums import AreaType, BillStatus, ServiceTicketKind, ServiceTicketStatus

DISPUTE = "话费争议"
# The README's 销户 refused for an open 话费争议 (孙鹏泽, seed 1): whatever the build's size or
# day, the numbers here with an unpaid bill have an open dispute, before the sampled ones.
DISPUTED_NUMBERS = ("18022483283",)
# (code, name, min top-up 元, bonus 元)
TOP_UP_OFFERS = (
    ("TOPUP50", "充50送5", 50, 5),
    ("TOPUP100", "充100送20", 100, 20),
    ("TOPUP200", "充200送50", 200, 50),
)


def write_disputes(
    conn: Connection, ref: Reference, rng: random.Random, anchor: datetime, today: date
) -> int:
    """Open complaints about a bill (话费争议) on a few numbers with an unpaid bill: the
    README's (``DISPUTED_NUMBERS``) and a sample of the others."""
    t, subs = model_table(Bill), model_table(Subscription)
    pinned = conn.execute(
        select(t.c.customer_id, t.c.subscription_id)
        .join(subs, subs.c.id == t.c.subscription_id)
        .where(
            t.c.status.in_((BillStatus.UNPAID, BillStatus.PARTLY_PAID)),
            subs.c.service_number.in_(DISPUTED_NUMBERS),
        )
        .group_by(t.c.customer_id, t.c.subscription_id)
        .order_by(t.c.subscription_id)
    ).all()
    sampled = conn.execute(
        select(t.c.customer_id, t.c.subscription_id)
        .where(t.c.status == BillStatus.UNPAID)
        .order_by(t.c.id)
        .limit(400)
    ).all()
    wanted = min(len(sampled), 5 + len(sampled) // 80)
    picked = sorted(rng.sample(range(len(sampled)), wanted)) if sampled else []
    rows = [*pinned, *(sampled[i] for i in picked)]
    writer = BulkWriter(conn, ServiceTicket, SERVICE_TICKET_COLUMNS)
    out = []
    seen: set[Any] = set()
    for n, (customer_id, sub_id) in enumerate(rows):
        if sub_id in seen:
            continue
        seen.add(sub_id)
        opened = anchor - timedelta(hours=rng.randrange(2, 24 * 10))
        out.append(
            (
                uuid.UUID(int=rng.getrandbits(128), version=4),
                opened,
                opened,
                f"TS{opened.astimezone(HALL_TZ):%Y%m%d}{90001 + n:05d}",
                ServiceTicketKind.COMPLAINT,
                customer_id,
                sub_id,
                DISPUTE,
                "客户对上月账单的套餐外费用有异议，待核查",
                AreaType.TOWN,
                ServiceTicketStatus.OPEN,
                opened,
                opened + timedelta(days=15),
                None,
                "",
                ref.staff[0].id,
                ref.hall.id,
            )
        )
    writer.write(out)
    return len(out)


def write_offers(
    conn: Connection, ref: Reference, rng: random.Random, anchor: datetime, today: date
) -> int:
    writer = BulkWriter(
        conn,
        TopUpOffer,
        (
            "id",
            "created_at",
            "updated_at",
            "code",
            "name",
            "min_amount_fen",
            "bonus_fen",
            "valid_from",
            "valid_to",
            "active",
        ),
    )
    start = today.replace(month=1, day=1)
    writer.write(
        [
            (
                uuid.UUID(int=rng.getrandbits(128), version=4),
                anchor,
                anchor,
                code,
                name,
                least * 100,
                bonus * 100,
                start,
                None,
                True,
            )
            for code, name, least, bonus in TOP_UP_OFFERS
        ]
    )
    return len(TOP_UP_OFFERS)
