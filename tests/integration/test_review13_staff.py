"""Review of issue 13 (staff accounts): defects shown by failing tests."""

from __future__ import annotations

import pytest

from hall_app.app import HallApp
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.errors import PermissionDenied
from hall_app.services.actor import Actor
from tests.integration.test_approvals import _ask


def test_review13_a_reset_password_decides_no_approval_before_it_is_changed(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    """super2 resets super1's password, so super2 knows it. AuthService.authorize refuses
    such an account for inline approvals (8bf8b95), and only the login dialog asks for a new
    password: the services take the must-change actor that log_in returns, so whoever reset
    the password decides remote approvals as super1 (four-eyes bypassed)."""
    other = hall.auth.log_in("super2", DEMO_PASSWORD)
    hall.staff.reset_password(other, supervisor.staff_id, "Reset2026a", "Reset2026a")
    as_super1 = hall.auth.log_in("super1", "Reset2026a")
    assert as_super1.must_change_password
    asked = _ask(hall, clerk, subject="R-MUSTCHANGE")
    with pytest.raises(PermissionDenied):
        hall.approvals.decide(as_super1, asked, True, "同意")
