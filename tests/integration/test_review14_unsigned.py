"""Review of issue 14: account changes complete with no customer signature and no terms.

Issue 14: "Each prints an acceptance form the customer signs on the customer screen"; the
contract: the service must check the signed terms equal what it sells. The pipeline compares
only when terms_text is non-empty (pipeline.py ``if visit.terms_text and ...``), so a request
without terms and signature skips the check. porting and transfer refuse it (require_signed);
these services do not."""

from __future__ import annotations

from datetime import date

import pytest

from hall_app.app import HallApp
from hall_app.domain.errors import ValidationError
from hall_app.services.account_changes import LossRequest
from hall_app.services.actor import Actor
from hall_app.services.cancellation import CancelRequest
from hall_app.services.plan_change import PlanChangeRequest
from tests.plan_helpers import mobile_number, plan_id
from tests.sim_cancel_helpers import mobile


def test_review14_cancel_without_signature_is_refused(hall: HallApp, clerk: Actor) -> None:
    sub = mobile(hall, clerk)
    with pytest.raises(ValidationError):
        hall.cancellations.cancel(clerk, CancelRequest(sub.id))  # no terms, no signature


def test_review14_loss_report_without_signature_is_refused(hall: HallApp, clerk: Actor) -> None:
    sub = mobile(hall, clerk)
    with pytest.raises(ValidationError):
        hall.account_changes.report_loss(clerk, LossRequest(sub.id))


def test_review14_plan_change_without_signature_is_refused(hall: HallApp, clerk: Actor) -> None:
    n = mobile_number(hall, "5G129", lock_in_until=date(2026, 11, 23))
    with pytest.raises(ValidationError):
        hall.plan_changes.change_plan(
            clerk, PlanChangeRequest(n.subscription_id, plan_id(hall, "5G029"))
        )
