"""Remote approvals on a synced hall, against a real PostgreSQL: a clerk on counter 01 asks,
the duty supervisor decides on counter 02 through its own link to the central database, the
clerk's counter reads the decision, redeems it locally, and the push takes the use back to the
central copy. Offline, a counter can not send a request (the supervisor signs at the counter)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from hall_app.db.models import Approval, Customer
from hall_app.domain.enums import ApprovalState
from hall_app.domain.errors import PermissionDenied, ValidationError
from hall_app.lanes import reads_only
from hall_app.services.approvals import ApprovalRequest, redeem
from tests.conftest import FakeClock
from tests.integration.test_sync_resources import DEAD, Hall
from tests.integration.test_sync_resources import hall as synced_hall  # noqa: F401

pytestmark = pytest.mark.postgres


@pytest.fixture
def h(synced_hall: Hall) -> Iterator[Hall]:  # noqa: F811
    yield synced_hall


def test_counter_a_asks_counter_b_decides_through_the_central_database(
    h: Hall, clock: FakeClock
) -> None:
    a, b = h.apps["01"], h.apps["02"]
    clerk = h.clerk("01")
    boss = b.auth.log_in("super1", "hall1234")
    assert boss.counter_id == h.counter_id("02")
    with a.db.read() as s:
        customer_id, name = s.execute(
            select(Customer.id, Customer.name).order_by(Customer.id).limit(1)
        ).one()
    asked = a.approvals.request(
        clerk,
        ApprovalRequest(
            "red_letter",
            "INV-PG-1",
            "客户要求更换发票抬头",
            "发票红冲 INV-PG-1",
            customer_id=customer_id,
            amount_fen=8_800,
        ),
    )
    with h.central.connect() as conn:  # it lives on the central database …
        central = conn.execute(select(Approval).where(Approval.id == asked.id)).one()
        assert central.state is ApprovalState.PENDING and central.customer_id == customer_id
    with b.db.read() as s:  # … not on counter 02's own until it touches it
        assert s.get(Approval, asked.id) is None

    [pending] = b.approvals.inbox(boss)
    assert pending.id == asked.id and pending.counter_name and pending.amount_fen == 8_800
    assert pending.requested_by_name == clerk.full_name and name not in pending.customer_label
    with pytest.raises(PermissionDenied):  # a clerk, even the one who asked
        b.approvals.decide(b.auth.log_in("clerk1", "hall1234"), asked.id, True, "")
    clock.now += timedelta(minutes=4)
    decided = b.approvals.decide(boss, asked.id, True, "核实无误")
    assert decided.state is ApprovalState.APPROVED
    with b.db.read() as s:  # mirrored at the deciding counter
        assert s.get_one(Approval, asked.id).state is ApprovalState.APPROVED

    with reads_only():  # the clerk's dialog asks every 2 s, on the read lane
        seen = a.approvals.get(clerk, asked.id)
    assert seen.state is ApprovalState.APPROVED and seen.approver_name == boss.full_name
    with a.db.read() as s:  # a read writes nothing here …
        assert s.get_one(Approval, asked.id).state is ApprovalState.PENDING
    a.approvals.receive(clerk, asked.id)  # … the decision is taken in once it has come
    clock.now += timedelta(minutes=1)
    with a.db.unit_of_work() as s:
        approver = redeem(
            s, clerk, asked.id, kind="red_letter", subject_ref="INV-PG-1", now=clock()
        )
    assert approver == boss.staff_id
    a.sync.run_round()  # the use goes back to the central copy
    with h.central.connect() as conn:
        used = conn.execute(select(Approval.used_at).where(Approval.id == asked.id)).scalar_one()
    assert used is not None
    assert b.approvals.inbox(boss) == []
    assert [v.id for v in b.approvals.decided_today(boss)] == [asked.id]


def test_a_rejection_reaches_the_asking_counter(h: Hall) -> None:
    a, b = h.apps["01"], h.apps["02"]
    clerk = h.clerk("01")
    boss = b.auth.log_in("super2", "hall1234")
    asked = a.approvals.request(
        clerk, ApprovalRequest("handset_return", "sale-1", "客户不想要了", "手机退货")
    )
    b.approvals.decide(boss, asked.id, False, "超过退货期限")
    seen = a.approvals.receive(clerk, asked.id)
    assert seen.state is ApprovalState.REJECTED and seen.reason == "超过退货期限"
    with a.db.read() as s:
        assert s.get_one(Approval, asked.id).state is ApprovalState.REJECTED


def test_offline_a_request_is_refused_clearly(h: Hall) -> None:
    a = h.open("01", DEAD)
    clerk = a.auth.log_in("clerk1", "hall1234")
    with pytest.raises(ValidationError, match="与中心数据库断开"):
        a.approvals.request(clerk, ApprovalRequest("red_letter", "X", "原因", "发票红冲"))
