"""``hall-app workorder dispatch|done|fail ORDER_NO``: the installers' back office."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

import main as entry
from hall_app.app import HallApp
from hall_app.clock import business_date, system_clock
from hall_app.db.models import AuditEntry, Subscription, WorkOrder
from hall_app.domain.enums import SubscriptionStatus, WorkOrderStatus
from hall_app.services.actor import Actor
from tests.fixed_line_fixtures import make_work_order


def test_dispatch_then_done_by_order_number(
    hall: HallApp, clerk: Actor, demo_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    soon = business_date(system_clock()) + timedelta(days=10)  # the CLI runs on the real clock
    built = make_work_order(hall, clerk, promised=soon, window_day=soon)
    assert entry.main(["--db", demo_url, "workorder", "dispatch", built.order_no]) == 0
    assert f"工单 {built.work_order_no}" in capsys.readouterr().out
    assert entry.main(["--db", demo_url, "workorder", "done", built.work_order_no]) == 0
    out = capsys.readouterr().out
    assert "装机完成" in out and "已开通计费" in out
    with hall.db.read() as s:
        assert s.get_one(WorkOrder, built.work_order_id).status is WorkOrderStatus.INSTALLED
        sub = s.get_one(Subscription, built.broadband_id)
        assert sub.status is SubscriptionStatus.ACTIVE and sub.service_number in out
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == str(built.work_order_id))
        ).all()
        assert [(e.action, e.actor_name, e.staff_id) for e in entries] == [
            ("work_order.dispatched", "backoffice", None),
            ("work_order.installed", "backoffice", None),
        ]


def test_fail_needs_a_reason(
    hall: HallApp, clerk: Actor, demo_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    built = make_work_order(hall, clerk)
    assert entry.main(["--db", demo_url, "workorder", "fail", built.order_no]) == 1
    assert "原因：请填写装机失败的原因" in capsys.readouterr().err
    args = ["--db", demo_url, "workorder", "fail", built.order_no, "--reason", "楼道无光纤"]
    assert entry.main(args) == 0
    assert "楼道无光纤" in capsys.readouterr().out
    with hall.db.read() as s:
        wo = s.get_one(WorkOrder, built.work_order_id)
        assert (wo.status, wo.status_reason) == (WorkOrderStatus.FAILED, "楼道无光纤")
    # Done after a failure is refused, with a non-zero exit and nothing changed.
    assert entry.main(["--db", demo_url, "workorder", "done", built.order_no]) == 1
    assert "装机失败" in capsys.readouterr().err


def test_an_unknown_number_is_a_clear_error(
    demo_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert entry.main(["--db", demo_url, "workorder", "done", "SL20990101990001"]) == 1
    assert "错误：单号：没有单号为 SL20990101990001 的装机工单或受理单" in capsys.readouterr().err
