"""FixedLineService.check_relocatable / check_relocation: the relocation's own refusals,
given before a slot is chosen (the relocation screen's first step), the same as the order's."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Product, Subscription, WorkOrder
from hall_app.db.models.coverage import CoverageArea
from hall_app.domain.enums import SubscriptionKind, SubscriptionStatus, WorkOrderStatus
from hall_app.domain.errors import ValidationError
from hall_app.services.actor import Actor
from tests.fixed_line_fixtures import make_work_order


def fast_broadband_and_slow_community(hall: HallApp) -> tuple[uuid.UUID, str, str]:
    """A customer with a relocatable broadband faster than some FTTB community allows:
    (customer id, that community, the plan's speed)."""
    with hall.db.read() as s:
        slow = s.scalars(
            select(CoverageArea)
            .where(CoverageArea.technology == "FTTB", CoverageArea.active)
            .order_by(CoverageArea.community)
            .limit(1)
        ).one()
        open_orders = select(WorkOrder.broadband_subscription_id).where(
            WorkOrder.status.in_([WorkOrderStatus.SCHEDULED, WorkOrderStatus.DISPATCHED]),
            WorkOrder.broadband_subscription_id.is_not(None),
        )
        row = s.execute(
            select(Subscription.customer_id, Product.bandwidth_mbps)
            .join(Product, Product.id == Subscription.product_id)
            .where(
                Subscription.kind == SubscriptionKind.BROADBAND,
                Subscription.status == SubscriptionStatus.ACTIVE,
                Product.bandwidth_mbps > slow.max_down_mbps,
                Subscription.id.not_in(open_orders),
            )
            .order_by(Subscription.service_number)
            .limit(1)
        ).one()
        return row.customer_id, slow.community, f"{row.bandwidth_mbps}M"


def _subscription(hall: HallApp, clerk: Actor, customer_id: uuid.UUID) -> uuid.UUID:
    return hall.fixed_line.relocatable(clerk, customer_id)[0].subscription_id


def test_a_covered_address_answers_like_coverage(hall: HallApp, clerk: Actor) -> None:
    customer_id, _, _ = fast_broadband_and_slow_community(hall)
    sub = _subscription(hall, clerk, customer_id)
    hall.fixed_line.check_relocatable(clerk, sub)
    address = "福建省福州市鼓楼区鼓山新村 2 栋 301"
    answer = hall.fixed_line.check_relocation(clerk, sub, address)
    assert answer == hall.fixed_line.coverage(clerk, address)
    uncovered = hall.fixed_line.check_relocation(clerk, sub, "福州市长乐区未来花园 8 栋 101")
    assert not uncovered.covered  # the clerk may offer a 预约登记


def test_a_speed_above_the_address_is_refused_at_the_address(hall: HallApp, clerk: Actor) -> None:
    customer_id, community, speed = fast_broadband_and_slow_community(hall)
    sub = _subscription(hall, clerk, customer_id)
    with pytest.raises(ValidationError) as caught:
        hall.fixed_line.check_relocation(clerk, sub, f"福州市鼓楼区{community} 2 栋 301")
    assert caught.value.field == "装机地址" and speed in caught.value.message


def test_an_open_work_order_refuses_the_subscription(hall: HallApp, clerk: Actor) -> None:
    built = make_work_order(hall, clerk, relocate=True)
    assert built.broadband_id is not None
    with pytest.raises(ValidationError) as caught:
        hall.fixed_line.check_relocatable(clerk, built.broadband_id)
    assert caught.value.field == "移机业务" and built.work_order_no in caught.value.message
