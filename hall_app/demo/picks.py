"""Picking demo records for samples, screenshots, benchmarks and tests: adults who may open a
first mobile number, and SIMs still in stock."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from hall_app.db.engine import Database
from hall_app.db.models import Customer, SimCard, Subscription
from hall_app.domain.enums import CustomerKind, SimStatus, SubscriptionKind


def customers_without_mobile(db: Database, n: int = 1, skip: int = 0) -> list[uuid.UUID]:
    """Individuals with no guardian and no mobile number yet, in a stable order."""
    with db.read() as session:
        return list(
            session.scalars(
                select(Customer.id)
                .where(
                    Customer.kind == CustomerKind.INDIVIDUAL,
                    Customer.guardian_id.is_(None),
                    ~Customer.id.in_(
                        select(Subscription.customer_id).where(
                            Subscription.kind == SubscriptionKind.MOBILE
                        )
                    ),
                )
                .order_by(Customer.id)
                .offset(skip)
                .limit(n)
            )
        )


def sims_in_stock(
    db: Database, n: int = 1, skip: int = 0, counter_id: uuid.UUID | None = None
) -> list[str]:
    """SIMs in stock; for a synced counter, those leased to it first and never another's."""
    stmt = select(SimCard.iccid).where(SimCard.status == SimStatus.IN_STOCK)
    if counter_id is not None:
        mine = SimCard.lease_counter_id == counter_id
        stmt = stmt.where(mine | SimCard.lease_counter_id.is_(None)).order_by(mine.desc())
    with db.read() as session:
        return list(session.scalars(stmt.order_by(SimCard.iccid).offset(skip).limit(n)))
