"""Review of issue 14: account changes complete with no customer signature and no terms.

Issue 14: "Each prints an acceptance form the customer signs on the customer screen"; the
contract: the service must check the signed terms equal what it sells. The pipeline compares
only when terms_text is non-empty (pipeline.py ``if visit.terms_text and ...``), so a request
without terms and signature skips the check. porting and transfer refuse it (require_signed);
these services do not."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import AuditEntry, Customer, Order, Subscription
from hall_app.domain.enums import SuspendReason
from hall_app.domain.errors import ValidationError
from hall_app.services.account_changes import LossRequest, ReinstateRequest
from hall_app.services.actor import Actor
from hall_app.services.cancellation import CancelRequest
from hall_app.services.plan_change import PlanChangeRequest
from tests.plan_helpers import mobile_number, plan_id
from tests.sim_cancel_helpers import mobile


def test_review14_cancel_without_signature_is_refused(hall: HallApp, clerk: Actor) -> None:
    sub = mobile(hall, clerk)
    with pytest.raises(ValidationError):
        hall.cancellations.cancel(clerk, CancelRequest(sub.id))  # no terms, no signature


def test_review14_loss_report_unsigned_is_taken_and_recorded_unsigned_reinstate_is_refused(
    hall: HallApp, clerk: Actor
) -> None:
    """Premise changed by the lead: 挂失 is immediate and the owner may not be present, so an
    unsigned loss report is accepted — and recorded as unsigned on its order and in its audit
    entry; 解挂 (the owner at the counter with their ID) is refused unsigned."""
    sub = mobile(hall, clerk)
    done = hall.account_changes.report_loss(clerk, LossRequest(sub.id))
    with hall.db.read() as s:
        order = s.get_one(Order, done.order_id)
        assert order.signature_png is None
        assert order.details_json is not None and "未签字" in order.details_json
        entry = s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "order", AuditEntry.entity_id == str(order.id)
            )
        ).one()
        assert entry.after is not None and entry.after["signed"] is False
        assert s.get_one(Subscription, sub.id).suspend_reason is SuspendReason.LOST
        owner_id = s.get_one(Customer, sub.customer_id).id_number or ""
    with pytest.raises(ValidationError, match="签字"):
        hall.account_changes.reinstate(clerk, ReinstateRequest(sub.id, id_number=owner_id))
    with hall.db.read() as s:
        assert s.get_one(Subscription, sub.id).suspend_reason is SuspendReason.LOST


def test_review14_plan_change_without_signature_is_refused(hall: HallApp, clerk: Actor) -> None:
    n = mobile_number(hall, "5G129", lock_in_until=date(2026, 11, 23))
    with pytest.raises(ValidationError):
        hall.plan_changes.change_plan(
            clerk, PlanChangeRequest(n.subscription_id, plan_id(hall, "5G029"))
        )
