"""The order pipeline against a fake central database (the ``CentralClaims`` port): the
claim is made before the order, given back when the order fails, kept for the next sync
round when the link is down, and nothing of the failed order is saved."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from hall_app.app import HallApp
from hall_app.db.central import Claim, Offline
from hall_app.db.models import Order, PhoneNumber, SimCard, Subscription
from hall_app.domain.enums import NumberStatus, SimStatus
from hall_app.domain.errors import ValidationError
from hall_app.domain.pricing import Pricing
from hall_app.services.actor import Actor
from hall_app.services.invoicing import issue_invoice
from hall_app.services.open_mobile import MobileTaken, OpenMobile, OpenMobileRequest
from hall_app.services.pipeline import OrderPipeline
from hall_app.services.ports import MirrorRows
from tests.conftest import FakeClock
from tests.integration.test_open_mobile import _counts, _request


class FakeCentral:
    """A central database that grants every claim, or is unreachable."""

    def __init__(self, reachable: bool = True) -> None:
        self.reachable = reachable
        self.claimed: list[tuple[str, str, uuid.UUID, datetime]] = []
        self.released: list[Claim] = []

    @property
    def online(self) -> bool:
        return True  # believed up: an unreachable one is found out by the call

    def claim_number_and_sim(
        self, number: str, iccid: str, counter_id: uuid.UUID, now: datetime
    ) -> MirrorRows:
        if not self.reachable:
            raise Offline
        self.claimed.append((number, iccid, counter_id, now))
        rows: list[tuple[Table, dict[str, object]]] = []
        return rows

    def release_claim(self, claim: Claim) -> None:
        if not self.reachable:
            raise Offline
        self.released.append(claim)


class InstallerDown(OpenMobile):
    """Opening a number whose fulfilment fails after it has written the subscription."""

    def fulfil(
        self, session: Session, actor: Actor, order: Order, context: MobileTaken, pricing: Pricing
    ) -> Subscription:
        super().fulfil(session, actor, order, context, pricing)
        raise RuntimeError("fulfilment failed")


def _pipeline(hall: HallApp, clock: FakeClock, central: FakeCentral) -> OrderPipeline:
    return OrderPipeline(hall.db, clock, central, partial(issue_invoice, shared=True))


def _kind(hall: HallApp, req: OpenMobileRequest, cls: type[OpenMobile] = OpenMobile) -> OpenMobile:
    return cls(req, req.iccid, hall.settings.rules, hall.numbers)


def _untouched(hall: HallApp, req: OpenMobileRequest) -> None:
    with hall.db.read() as s:
        assert s.scalar(select(SimCard.status).where(SimCard.iccid == req.iccid)) is (
            SimStatus.IN_STOCK
        )
        assert s.scalar(select(PhoneNumber.status).where(PhoneNumber.number == req.number)) is (
            NumberStatus.RESERVED
        )


def test_the_claim_is_made_first_and_kept_when_the_order_completes(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    central = FakeCentral()
    req = _request(hall, clerk)
    done = _pipeline(hall, clock, central).run(clerk, _kind(hall, req), req.visit())
    assert clerk.counter_id is not None
    assert central.claimed == [(req.number, req.iccid, clerk.counter_id, clock())]
    assert central.released == []
    with hall.db.read() as s:
        assert s.get_one(Order, done.order_id).subscription_id == done.fulfilled.id


def test_a_failed_fulfilment_gives_the_claim_back_and_saves_nothing(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    central = FakeCentral()
    req = _request(hall, clerk)
    before = _counts(hall)
    with pytest.raises(RuntimeError):
        _pipeline(hall, clock, central).run(clerk, _kind(hall, req, InstallerDown), req.visit())
    assert clerk.counter_id is not None
    until = clock() + timedelta(minutes=hall.settings.rules.number_reservation_minutes)
    assert central.released == [Claim(req.number, req.iccid, clerk.counter_id, clock(), until)]
    assert _counts(hall) == before
    _untouched(hall, req)
    with hall.db.read() as s:
        assert Claim.kept(s) == []


def test_a_claim_that_can_not_be_given_back_is_kept_for_the_next_round(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    """The link is down: the order falls back to this counter's leases (the number is not
    leased here, so it is refused), and the claim that may have been made is kept."""
    central = FakeCentral(reachable=False)
    req = _request(hall, clerk)
    before = _counts(hall)
    with pytest.raises(ValidationError) as err:
        _pipeline(hall, clock, central).run(clerk, _kind(hall, req), req.visit())
    assert "离线" in err.value.message
    assert _counts(hall) == before
    _untouched(hall, req)
    with hall.db.read() as s:
        kept = [claim for _, claim in Claim.kept(s)]
    assert [(c.number, c.iccid, c.stamp) for c in kept] == [(req.number, req.iccid, clock())]
