"""Review of issue 13 (staff accounts): defects shown by failing tests."""

from __future__ import annotations

import pytest

from hall_app.app import HallApp
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.errors import PermissionDenied
from hall_app.services.actor import Actor
from hall_app.services.cash import TillCount
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


def test_a_reset_password_signs_off_no_cash_variance_at_the_counter(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    """record_inline (the on-the-spot sign-off's row) refuses a must-change supervisor too,
    whichever service calls it: here the till's close with a variance beyond the tolerance."""
    other = hall.auth.log_in("super2", DEMO_PASSWORD)
    hall.staff.reset_password(other, supervisor.staff_id, "Reset2026a", "Reset2026a")
    as_super1 = hall.auth.log_in("super1", "Reset2026a")
    hall.cash.open_session(clerk, 20_000)
    hall.cash.record_count(clerk, TillCount({10_000: 1}))  # 100 yuan short
    with pytest.raises(PermissionDenied, match="密码已被重置"):
        hall.cash.close_session(clerk, reason="待查", supervisor=as_super1)
    assert hall.cash.till_to_count(clerk) is not None  # still open, nothing signed off
