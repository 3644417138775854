"""Review of issue 14: a top-up to one of our numbers that this counter does not hold.

Issue 14: a top-up goes "to any of our numbers". Counters do not pull subscriptions (only the
catalog, bills of local customers …), and TopUpService looks the number up only in the
counter's own database (its docstring: "A number whose customer this counter does not hold is
unknown here"), so a number opened at another window or hall — live in the central database —
is refused as "没有这个号码" even online."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import insert, select

from hall_app.db.crypto import plain_for
from hall_app.db.models import Subscription
from hall_app.domain.enums import SubscriptionKind, SubscriptionStatus
from tests.integration.test_sync_resources import Hall
from tests.integration.test_sync_resources import hall as hall  # the PostgreSQL fixture

pytestmark = pytest.mark.postgres

NEW = "18977770001"


def test_review14_an_online_top_up_finds_a_number_opened_elsewhere(hall: Hall) -> None:
    with hall.central.begin() as conn:  # opened at another window: in the central database
        row = dict(
            conn.execute(
                select(Subscription.__table__)
                .where(
                    Subscription.kind == SubscriptionKind.MOBILE,
                    Subscription.status == SubscriptionStatus.ACTIVE,
                )
                .limit(1)
            )
            .mappings()
            .one()
        )
        new_id = uuid.uuid4()  # the address sealed for the new row (a copy would not open)
        address = plain_for("subscriptions", "address", new_id, "南宁市青秀区民族大道 1 号")
        row.update(id=new_id, service_number=NEW, sim_id=None, address=address)
        row.pop("central_at", None)
        conn.execute(insert(Subscription.__table__).values(**row))
    app = hall.apps["02"]
    assert app.link is not None and app.link.online
    target = app.top_up.find_number(hall.clerk("02"), NEW)
    assert target.number == NEW
