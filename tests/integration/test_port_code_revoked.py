"""A 携号转网 授权码 ends with the owner's consent: 销户 and 挂失 revoke a valid code (audited,
never the code itself), and the porting checks then ignore it (rule added after review 14;
过户 is tests/integration/test_review14_port_code.py)."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import AuditEntry, PortAuthCode
from hall_app.services.account_requests import LossRequest
from hall_app.services.actor import Actor
from hall_app.services.cancellation import CancelRequest
from hall_app.services.porting import PortCodeRequest
from tests.conftest import FakeClock
from tests.porting_helpers import make_eligible
from tests.sim_cancel_helpers import SIGNED, Mobile, mobile


def _issue(hall: HallApp, clerk: Actor, subscription_id: uuid.UUID) -> str:
    check = hall.porting.check_porting(clerk, subscription_id)
    assert check.allowed, check.conditions
    return hall.porting.issue_port_code(
        clerk, PortCodeRequest(subscription_id, signature_png=SIGNED, terms_text=check.terms)
    ).code


def _with_code(hall: HallApp, clerk: Actor, clock: FakeClock) -> tuple[Mobile, str]:
    """A number that may port out, and the 授权码 just issued for it."""
    sub = mobile(hall, clerk)
    make_eligible(hall, sub.id, clock())
    return sub, _issue(hall, clerk, sub.id)


def _revoked(hall: HallApp, code: str, why: str) -> None:
    with hall.db.read() as s:
        row = s.scalars(select(PortAuthCode).where(PortAuthCode.code == code)).one()
        assert row.revoked
        before, after = s.execute(
            select(AuditEntry.before, AuditEntry.after).where(
                AuditEntry.action == "port_code.revoked", AuditEntry.entity_id == str(row.id)
            )
        ).one()
    assert after is not None and after["reason"] == why
    assert code not in json.dumps([before, after])


def test_a_cancellation_revokes_the_numbers_port_code(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    sub, code = _with_code(hall, clerk, clock)
    check = hall.cancellations.check_cancellation(clerk, sub.id)
    assert check.allowed, check.checks
    hall.cancellations.cancel(
        clerk, CancelRequest(sub.id, signature_png=SIGNED, terms_text=check.terms)
    )
    _revoked(hall, code, "销户")


def test_a_loss_report_revokes_the_port_code_and_a_new_one_may_follow(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    sub, code = _with_code(hall, clerk, clock)
    assert hall.porting.check_porting(clerk, sub.id).valid_code is not None
    quote = hall.account_changes.quote_number_change(clerk, LossRequest(sub.id))
    hall.account_changes.report_loss(
        clerk, LossRequest(sub.id, signature_png=SIGNED, terms_text=quote.terms)
    )
    _revoked(hall, code, "挂失")
    make_eligible(hall, sub.id, clock())  # found again (解挂): a revoked code is no hindrance
    again = hall.porting.check_porting(clerk, sub.id)
    assert again.valid_code is None
    assert _issue(hall, clerk, sub.id) != code
