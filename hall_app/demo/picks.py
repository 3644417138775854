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


def sims_in_stock(db: Database, n: int = 1, skip: int = 0) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(SimCard.iccid)
                .where(SimCard.status == SimStatus.IN_STOCK)
                .order_by(SimCard.iccid)
                .offset(skip)
                .limit(n)
            )
        )
