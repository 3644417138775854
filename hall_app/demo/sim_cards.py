"""The SIM card in each live demo mobile number: one ``assigned`` card per active or suspended
mobile subscription without one, so 补换卡 has an old card to deactivate. Bulk: the card takes
the subscription's id (another table, so no clash), and one UPDATE links them all."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from itertools import count

from sqlalchemy import Connection, select, update

from hall_app.db.models import SimCard, Subscription
from hall_app.demo.bulk import BulkWriter
from hall_app.domain.enums import SimStatus, SubscriptionKind, SubscriptionStatus
from hall_app.domain.telecom import luhn_check_digit

CHUNK = 50_000
LIVE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)


def assign_sims(conn: Connection, hall_id: uuid.UUID, today: date, anchor: datetime) -> int:
    """Give every live mobile number its card; the number of cards written. The ICCIDs are
    ``898603`` + year + ``00`` + a sequence (the stock's batch is never 00xx) and the IMSIs
    China Telecom's ``46011`` + a sequence, skipping any the stock's random ones hold."""
    taken = set(conn.scalars(select(SimCard.imsi)))
    imsis = (imsi for n in count() if (imsi := f"46011{n:010d}") not in taken)
    live = (
        (Subscription.kind == SubscriptionKind.MOBILE)
        & Subscription.status.in_(LIVE)
        & Subscription.sim_id.is_(None)
    )
    rows = conn.execute(
        select(Subscription.id, Subscription.activated_at)
        .where(live)
        .order_by(Subscription.service_number, Subscription.id)
    ).all()
    writer = BulkWriter(
        conn, SimCard, ("id", "created_at", "updated_at", "iccid", "imsi", "status", "hall_id")
    )
    for start in range(0, len(rows), CHUNK):
        batch = []
        for i, (sub_id, activated_at) in enumerate(rows[start : start + CHUNK], start):
            body = f"898603{today:%y}00{i:09d}"
            at = activated_at or anchor
            batch.append(
                (
                    sub_id,
                    at,
                    at,
                    body + luhn_check_digit(body),
                    next(imsis),
                    SimStatus.ASSIGNED,
                    hall_id,
                )
            )
        writer.write(batch)
    # updated_at kept: an onupdate clock would make two builds of one seed differ
    conn.execute(
        update(Subscription)
        .where(live)
        .values(sim_id=Subscription.id, updated_at=Subscription.updated_at)
    )
    return len(rows)
