"""Review of issue 14: a 携号转网 授权码 outlives the owner it was issued to."""

from __future__ import annotations

from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import PortAuthCode
from hall_app.services.actor import Actor
from hall_app.services.porting import PortCodeRequest
from tests.conftest import FakeClock
from tests.porting_helpers import make_eligible
from tests.sim_cancel_helpers import SIGNED
from tests.transfer_helpers import pair, request


def test_review14_transfer_revokes_the_old_owners_port_code(
    hall: HallApp, clerk: Actor, supervisor: Actor, clock: FakeClock
) -> None:
    """The old owner gets a 授权码 (valid 72 h), then the number is transferred (过户) to a
    new owner. The code was the old owner's consent to port the number out: after the
    transfer it must no longer be valid (revoked), else the former owner can still port away
    the new owner's number. Nothing in transfer.py touches PortAuthCode."""
    p = pair(hall)
    make_eligible(hall, p.subscription_id, clock())
    check = hall.porting.check_porting(clerk, p.subscription_id)
    assert check.allowed, check.conditions
    hall.porting.issue_port_code(
        clerk,
        PortCodeRequest(p.subscription_id, signature_png=SIGNED, terms_text=check.terms),
    )
    tcheck = hall.transfers.check_transfer(clerk, p.subscription_id, p.to_id)
    assert tcheck.allowed, tcheck.checks
    hall.transfers.transfer(clerk, request(p, tcheck, supervisor=supervisor))
    with hall.db.read() as s:
        live = s.scalars(
            select(PortAuthCode).where(
                PortAuthCode.subscription_id == p.subscription_id,
                PortAuthCode.revoked.is_(False),
                PortAuthCode.expires_at > clock(),
            )
        ).all()
    assert live == [], "the old owner's 授权码 is still valid after the transfer"
