"""Approvals (审批): a clerk's request decided by a duty supervisor from the inbox; four-eyes,
expiry, a rejection's reason, an approval redeemed once for its own subject, inline approvals,
and a clerk refused the supervisor's methods."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Approval, AuditEntry, Customer
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.approvals import APPROVAL_KINDS, declare
from hall_app.domain.enums import ApprovalState
from hall_app.domain.errors import PermissionDenied, ValidationError
from hall_app.services.actor import Actor
from hall_app.services.approvals import ApprovalRequest, record_inline, redeem
from tests.conftest import FakeClock


def _customer(hall: HallApp) -> Customer:
    with hall.db.read() as s:
        customer = s.scalars(
            select(Customer).where(Customer.id_number.is_not(None)).order_by(Customer.id)
        ).first()
        assert customer is not None
        s.expunge(customer)
        return customer


def _ask(hall: HallApp, clerk: Actor, subject: str = "A-1", kind: str = "red_letter") -> uuid.UUID:
    customer = _customer(hall)
    view = hall.approvals.request(
        clerk,
        ApprovalRequest(
            kind=kind,
            subject_ref=subject,
            request_reason="客户发票抬头开错，要求重开",
            summary="发票红冲 12345678",
            customer_id=customer.id,
            amount_fen=12_300,
        ),
    )
    return view.id


def test_registry_names_every_kind_and_refuses_a_second_declaration() -> None:
    assert {k: v.label for k, v in APPROVAL_KINDS.items()}.items() >= {
        "second_number_30d": "30天内再次开户",
        "installment_credit": "分期信用评估",
        "handset_return": "手机退货",
        "red_letter": "发票红冲",
        "cash_variance": "现金差异",
    }.items()
    with pytest.raises(ValueError):
        declare("red_letter", "again")


def test_request_waits_in_the_inbox_masked_then_is_approved(
    hall: HallApp, clerk: Actor, supervisor: Actor, clock: FakeClock
) -> None:
    approval_id = _ask(hall, clerk)
    customer = _customer(hall)
    [pending] = hall.approvals.inbox(supervisor)
    assert pending.id == approval_id and pending.state is ApprovalState.PENDING
    assert pending.requested_by_name == clerk.full_name and pending.counter_name
    assert pending.kind_label == "发票红冲" and pending.amount_fen == 12_300
    assert customer.name not in pending.customer_label and "*" in pending.customer_label
    assert customer.id_number and customer.id_number not in pending.customer_label
    assert pending.expires_at == clock.now + timedelta(minutes=30)
    assert pending.minutes_left(clock.now) == 30
    clock.now += timedelta(minutes=3)
    decided = hall.approvals.decide(supervisor, approval_id, True, "")
    assert decided.state is ApprovalState.APPROVED and decided.approver_name
    assert hall.approvals.get(clerk, approval_id).state is ApprovalState.APPROVED
    assert hall.approvals.inbox(supervisor) == []
    assert [v.id for v in hall.approvals.decided_today(supervisor)] == [approval_id]
    with hall.db.read() as s:
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == str(approval_id))
        ).all()
    assert set(actions) == {"approval.request", "approval.decide"}


def test_four_eyes_the_requester_never_decides_own(hall: HallApp, supervisor: Actor) -> None:
    approval_id = _ask(hall, supervisor)  # a supervisor asking too
    with pytest.raises(ValidationError, match="不能审批自己发起的申请"):
        hall.approvals.decide(supervisor, approval_id, True, "")


def test_clerk_refused_every_supervisor_method(hall: HallApp, clerk: Actor) -> None:
    approval_id = _ask(hall, clerk)
    with pytest.raises(PermissionDenied):
        hall.approvals.inbox(clerk)
    with pytest.raises(PermissionDenied):
        hall.approvals.decided_today(clerk)
    with pytest.raises(PermissionDenied):
        hall.approvals.decide(clerk, approval_id, True, "")


def test_another_clerk_can_not_read_a_request(hall: HallApp, clerk: Actor) -> None:
    approval_id = _ask(hall, clerk)
    clerk2 = hall.auth.log_in("clerk2", DEMO_PASSWORD)
    with pytest.raises(PermissionDenied):
        hall.approvals.get(clerk2, approval_id)
    with pytest.raises(ValidationError, match="只能撤回自己"):
        hall.approvals.withdraw(clerk2, approval_id)


def test_reject_needs_a_reason_and_the_clerk_reads_it(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    approval_id = _ask(hall, clerk)
    with pytest.raises(ValidationError, match="驳回须填写理由"):
        hall.approvals.decide(supervisor, approval_id, False, "  ")
    assert hall.approvals.get(clerk, approval_id).state is ApprovalState.PENDING
    hall.approvals.decide(supervisor, approval_id, False, "抬头无误，不予红冲")
    seen = hall.approvals.get(clerk, approval_id)
    assert seen.state is ApprovalState.REJECTED and seen.reason == "抬头无误，不予红冲"
    with pytest.raises(ValidationError, match="已驳回"):
        hall.approvals.decide(supervisor, approval_id, True, "")
    with hall.db.unit_of_work() as s, pytest.raises(ValidationError, match="审批未通过：抬头无误"):
        redeem(s, clerk, approval_id, kind="red_letter", subject_ref="A-1", now=hall.clock())


def test_expired_request_can_not_be_decided(
    hall: HallApp, clerk: Actor, supervisor: Actor, clock: FakeClock
) -> None:
    approval_id = _ask(hall, clerk)
    clock.now += timedelta(minutes=30)
    assert hall.approvals.inbox(supervisor) == []
    assert hall.approvals.get(clerk, approval_id).state is ApprovalState.EXPIRED
    with pytest.raises(ValidationError, match="该申请已过期，请营业员重新发起"):
        hall.approvals.decide(supervisor, approval_id, True, "")
    with hall.db.read() as s:
        row = s.get_one(Approval, approval_id)
        assert row.state is ApprovalState.EXPIRED and row.approver_id is None
        assert s.scalar(
            select(AuditEntry.action).where(
                AuditEntry.entity_id == str(approval_id), AuditEntry.action == "approval.expire"
            )
        )
    assert [v.state for v in hall.approvals.decided_today(supervisor)] == [ApprovalState.EXPIRED]
    # the clerk may ask again
    _ask(hall, clerk)


def test_one_pending_request_per_subject_and_withdraw(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    approval_id = _ask(hall, clerk)
    with pytest.raises(ValidationError, match="已有待审批的申请"):
        _ask(hall, clerk)
    assert hall.approvals.withdraw(clerk, approval_id).state is ApprovalState.WITHDRAWN
    assert hall.approvals.inbox(supervisor) == []
    with pytest.raises(ValidationError, match="已撤回"):
        hall.approvals.decide(supervisor, approval_id, True, "")


def test_request_needs_a_reason_and_a_declared_kind(hall: HallApp, clerk: Actor) -> None:
    with pytest.raises(ValidationError, match="请填写申请原因"):
        hall.approvals.request(clerk, ApprovalRequest("red_letter", "X", " ", "s"))
    with pytest.raises(ValidationError, match="没有“nope”这种审批事项"):
        hall.approvals.request(clerk, ApprovalRequest("nope", "X", "why", "s"))
    with pytest.raises(ValidationError) as err:
        hall.approvals.request(clerk, ApprovalRequest("red_letter", "X", "长" * 201, "s"))
    assert err.value.field == "申请原因"


def test_redeem_once_for_its_own_kind_subject_and_requester(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    approval_id = _ask(hall, clerk, subject="INV-9")
    with hall.db.unit_of_work() as s, pytest.raises(ValidationError, match="主管尚未审批"):
        redeem(s, clerk, approval_id, kind="red_letter", subject_ref="INV-9", now=hall.clock())
    hall.approvals.decide(supervisor, approval_id, True, "同意")
    now = hall.clock()
    with hall.db.unit_of_work() as s, pytest.raises(ValidationError, match="不是本笔业务"):
        redeem(s, clerk, approval_id, kind="red_letter", subject_ref="INV-8", now=now)
    with hall.db.unit_of_work() as s, pytest.raises(ValidationError, match="不能用于"):
        redeem(s, clerk, approval_id, kind="handset_return", subject_ref="INV-9", now=now)
    with hall.db.unit_of_work() as s, pytest.raises(ValidationError, match="不是您发起的"):
        redeem(s, supervisor, approval_id, kind="red_letter", subject_ref="INV-9", now=now)
    with hall.db.unit_of_work() as s:
        approver = redeem(s, clerk, approval_id, kind="red_letter", subject_ref="INV-9", now=now)
    assert approver == supervisor.staff_id
    with hall.db.unit_of_work() as s, pytest.raises(ValidationError, match="该审批已使用"):
        redeem(s, clerk, approval_id, kind="red_letter", subject_ref="INV-9", now=now)
    assert hall.approvals.get(clerk, approval_id).used_at == now


def test_record_inline_keeps_four_eyes(hall: HallApp, clerk: Actor, supervisor: Actor) -> None:
    customer = _customer(hall)
    now = hall.clock()
    with hall.db.unit_of_work() as s:
        approval_id = record_inline(
            s,
            clerk,
            supervisor,
            kind="cash_variance",
            subject_ref="till-1",
            customer_id=customer.id,
            order_id=None,
            reason="点钞差 12.00，已核实",
            now=now,
            amount_fen=-1_200,
        )
    with hall.db.read() as s:
        row = s.get_one(Approval, approval_id)
        assert (row.inline, row.state, row.approver_id) == (
            True,
            ApprovalState.APPROVED,
            supervisor.staff_id,
        )
        assert row.used_at == now and row.amount_fen == -1_200
    with hall.db.unit_of_work() as s, pytest.raises(ValidationError, match="不能为自己"):
        record_inline(
            s,
            supervisor,
            supervisor,
            kind="cash_variance",
            subject_ref="t",
            customer_id=None,
            order_id=None,
            reason="",
            now=now,
        )
    with hall.db.unit_of_work() as s, pytest.raises(PermissionDenied):
        record_inline(
            s,
            supervisor,
            clerk,
            kind="cash_variance",
            subject_ref="t",
            customer_id=None,
            order_id=None,
            reason="",
            now=now,
        )


def test_an_approval_is_good_for_the_day_it_was_given(
    hall: HallApp, clerk: Actor, supervisor: Actor, clock: FakeClock
) -> None:
    approval_id = _ask(hall, clerk, subject="INV-7")
    hall.approvals.decide(supervisor, approval_id, True, "")
    clock.now += timedelta(days=1)
    with hall.db.unit_of_work() as s, pytest.raises(ValidationError, match="批准当天有效"):
        redeem(s, clerk, approval_id, kind="red_letter", subject_ref="INV-7", now=clock())
