"""A search by one of the customer's numbers says which subscription it is (the record opens
with it selected); other searches name none."""

from __future__ import annotations

from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.db.models import Customer, Subscription
from hall_app.domain.enums import CustomerKind, SubscriptionKind, SubscriptionStatus
from hall_app.services.actor import Actor
from hall_app.services.customers import QueryKind


def test_a_number_searched_names_its_subscription(hall: HallApp, clerk: Actor) -> None:
    with hall.db.read() as s:
        several = (
            select(Subscription.customer_id)
            .group_by(Subscription.customer_id)
            .having(func.count() >= 2)
        )
        sub_id, customer_id, number, owner = s.execute(
            select(
                Subscription.id,
                Subscription.customer_id,
                Subscription.service_number,
                Customer,
            )
            .join(Customer, Customer.id == Subscription.customer_id)
            .where(
                Subscription.customer_id.in_(several),
                Customer.kind == CustomerKind.INDIVIDUAL,
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
            )
            .order_by(Subscription.service_number)
            .limit(1)
        ).one()
        id_number = owner.id_number  # opened by the ORM (the column is sealed)
    found = hall.customers.search_customers(clerk, number)
    assert found.kind is QueryKind.PHONE
    assert customer_id in {r.id for r in found.rows}
    assert found.number_of(customer_id) == sub_id
    by_id = hall.customers.search_customers(clerk, id_number)
    assert [r.id for r in by_id.rows] == [customer_id]
    assert by_id.numbers == () and by_id.number_of(customer_id) is None
