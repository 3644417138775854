"""Every unmasked view of an ID or phone number by a supervisor is audited, and listed on the
supervisor's desk (敏感信息查看记录): who, when, whose (masked), at which window and screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.clock import business_date
from hall_app.db.models import AuditEntry, Customer
from hall_app.domain.enums import DemandStatus
from hall_app.domain.errors import PermissionDenied
from hall_app.domain.masking import mask_id_number, mask_name
from hall_app.services.actor import Actor
from hall_app.services.fixed_line import DemandRequest
from hall_app.services.sensitive_views import SENSITIVE_ACTIONS
from tests.integration.test_open_mobile import _customer_without_mobile


def _sensitive(hall: HallApp) -> int:
    with hall.db.read() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action.in_(SENSITIVE_ACTIONS))
            )
            or 0
        )


def test_each_unmasked_view_is_audited_and_listed(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    customer_id = _customer_without_mobile(hall)
    today = business_date(hall.clock())
    before = _sensitive(hall)

    masked = hall.customers.get_customer_record(clerk, customer_id)  # masked: not listed
    assert not masked.sensitive_shown
    hall.fixed_line.register_demand(
        clerk, DemandRequest("福州市晋安区未来之光花园1号楼", "赵先生", "13800138000", "宽带")
    )
    assert _sensitive(hall) == before

    record = hall.customers.get_customer_record(supervisor, customer_id)
    assert record.sensitive_shown
    demands = hall.fixed_line.demands(supervisor)
    assert demands[0].contact_phone_masked == "13800138000"
    assert _sensitive(hall) == before + 2

    listed = hall.sensitive_views.views(supervisor, today)
    assert {v.screen for v in listed[:2]} == {"宽带预约登记", "客户资料"}
    seen = next(v for v in listed if v.screen == "客户资料")
    with hall.db.read() as s:
        customer = s.get_one(Customer, customer_id)
        name, number = customer.name, customer.id_number or ""
    assert seen.subject == f"{mask_name(name)}（{mask_id_number(number)}）"
    assert seen.customer_id == customer_id
    assert number not in seen.subject and name not in seen.subject
    assert seen.staff_name == f"{supervisor.full_name}（{supervisor.employee_no}）"
    assert seen.counter_name == supervisor.counter_name
    assert seen.at == hall.clock()
    demand = next(v for v in listed if v.screen == "宽带预约登记")
    assert "13800138000" not in demand.subject and f"{len(demands)} 条" in demand.subject

    # By business day, and by staff member.
    yesterday = today - timedelta(days=1)
    earlier = hall.sensitive_views.views(supervisor, yesterday)
    assert seen not in earlier and all(business_date(v.at) == yesterday for v in earlier)
    assert hall.sensitive_views.views(supervisor, today, staff_id=clerk.staff_id) == []
    own = hall.sensitive_views.views(supervisor, today, staff_id=supervisor.staff_id)
    assert seen in own and demand in own
    assert all(v.staff_name == seen.staff_name for v in own)
    viewers = hall.sensitive_views.viewers(supervisor)
    labels = [v.label for v in viewers]
    assert seen.staff_name in labels and f"{clerk.full_name}（{clerk.employee_no}）" in labels
    assert labels.index(seen.staff_name) < labels.index(f"{clerk.full_name}（{clerk.employee_no}）")
    with pytest.raises(PermissionDenied):
        hall.sensitive_views.viewers(clerk)
    with pytest.raises(PermissionDenied):
        hall.sensitive_views.views(clerk, today)


def test_following_up_a_demand_with_its_full_number_is_audited(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    demand_id = hall.fixed_line.register_demand(
        clerk, DemandRequest("福州市晋安区未来之光花园2号楼", "钱女士", "13900139000", "宽带")
    )
    before = _sensitive(hall)
    view = hall.fixed_line.follow_up_demand(supervisor, demand_id, DemandStatus.NOTIFIED)
    assert view.contact_phone_masked == "13900139000"
    assert _sensitive(hall) == before + 1
