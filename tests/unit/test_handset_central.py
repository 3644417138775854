"""A handset sale against a fake central database (the ``CentralClaims`` port): the unit is
claimed by IMEI before the order, given back with the status it had when the order fails,
refused when the central database refuses, and sold only from this window's leases when the
central database can not be reached."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Table, func, select, update

from hall_app.app import HallApp
from hall_app.db.central import DeviceClaim, Offline, Undoable
from hall_app.db.models import Device, Order
from hall_app.domain.enums import CreditOutcome, DeviceStatus, SaleMode
from hall_app.domain.errors import ValidationError
from hall_app.services.actor import Actor
from hall_app.services.handsets import HandsetSaleRequest, HandsetService
from tests.conftest import FakeClock
from tests.handset_fixtures import HandsetSetup, prepare_handsets, sale_request, signed

DEVICES: Table = Device.__table__  # type: ignore[assignment]


class FakeCentral:
    """A central database that grants every handset claim (reporting the unit as it was),
    refuses them, or is unreachable."""

    def __init__(self, hall: HallApp, *, reachable: bool = True, refuse: str | None = None) -> None:
        self.hall = hall  # the central copy of a unit is read from the counter's own
        self.reachable = reachable
        self.refuse = refuse
        self.was: dict[str, str] = {}  # the status a unit had centrally, by IMEI
        self.claimed: list[tuple[str, uuid.UUID, datetime]] = []
        self.released: list[Undoable] = []

    @property
    def online(self) -> bool:
        return True

    def claim_device(self, imei: str, counter_id: uuid.UUID, now: datetime) -> Any:
        if not self.reachable:
            raise Offline
        if self.refuse:
            raise ValidationError(self.refuse, "IMEI")
        self.claimed.append((imei, counter_id, now))
        with self.hall.db.read() as s:
            row = dict(s.execute(select(DEVICES).where(DEVICES.c.imei == imei)).mappings().one())
        return [(DEVICES, {**row, "status": self.was.get(imei, "in_stock")})]

    def release_claim(self, claim: Undoable) -> None:
        if not self.reachable:
            raise Offline
        self.released.append(claim)


@pytest.fixture
def st(hall: HallApp) -> HandsetSetup:
    return prepare_handsets(hall)


def _service(hall: HallApp, clock: FakeClock, central: FakeCentral) -> HandsetService:
    return HandsetService(hall.db, hall.settings.rules, clock, central=central)  # type: ignore[arg-type]


def _status(hall: HallApp, imei: str) -> DeviceStatus:
    with hall.db.read() as s:
        status = s.scalar(select(Device.status).where(Device.imei == imei))
        assert status is not None
        return status


def _orders(hall: HallApp) -> int:
    with hall.db.read() as s:
        return s.scalar(select(func.count()).select_from(Order)) or 0


def _credit(service: HandsetService, clerk: Actor, req: HandsetSaleRequest) -> HandsetSaleRequest:
    assert req.offer_id is not None
    view = service.assess_credit(
        clerk, req.customer_id, req.product_id, req.offer_id, req.down_payment_fen
    )
    assert view.outcome is CreditOutcome.APPROVED
    return replace(req, credit_assessment_id=view.assessment_id)


def test_the_unit_is_claimed_centrally_before_the_order(
    hall: HallApp, clerk: Actor, clock: FakeClock, st: HandsetSetup
) -> None:
    central = FakeCentral(hall)
    service = _service(hall, clock, central)
    sold = service.sell(clerk, signed(hall, clerk, sale_request(st, SaleMode.OUTRIGHT)))
    assert central.claimed == [(st.imeis[0], clerk.counter_id, clock())]
    assert central.released == []
    assert sold.imei == st.imeis[0] and _status(hall, st.imeis[0]) is DeviceStatus.SOLD


def test_a_central_refusal_sells_nothing(
    hall: HallApp, clerk: Actor, clock: FakeClock, st: HandsetSetup
) -> None:
    refusal = f"IMEI {st.imeis[0]} 的手机已售，不能再销售（可能刚被其他窗口售出）"
    service = _service(hall, clock, FakeCentral(hall, refuse=refusal))
    before = _orders(hall)
    with pytest.raises(ValidationError) as err:
        service.sell(clerk, signed(hall, clerk, sale_request(st, SaleMode.OUTRIGHT)))
    assert err.value.field == "IMEI" and "其他窗口售出" in str(err.value)
    assert _orders(hall) == before and _status(hall, st.imeis[0]) is DeviceStatus.IN_STOCK


@pytest.mark.parametrize("was", ["in_stock", "returned"])
def test_a_failed_order_gives_the_claim_back_as_it_was(
    hall: HallApp, clerk: Actor, clock: FakeClock, st: HandsetSetup, was: str
) -> None:
    central = FakeCentral(hall)
    central.was[st.imeis[1]] = was
    service = _service(hall, clock, central)
    req = _credit(service, clerk, sale_request(st, SaleMode.INSTALLMENT))
    service.sell(clerk, signed(hall, clerk, req))
    before = _orders(hall)
    # The same assessment for a second unit: found used only inside the order, after the claim.
    with pytest.raises(ValidationError) as err:
        service.sell(clerk, signed(hall, clerk, replace(req, imei=st.imeis[1])))
    assert err.value.field == "信用评估"
    assert clerk.counter_id is not None
    assert central.released == [DeviceClaim(st.imeis[1], clerk.counter_id, clock(), was)]
    assert _orders(hall) == before and _status(hall, st.imeis[1]) is DeviceStatus.IN_STOCK


def test_offline_only_a_unit_leased_here_is_sold(
    hall: HallApp, clerk: Actor, clock: FakeClock, st: HandsetSetup
) -> None:
    service = _service(hall, clock, FakeCentral(hall, reachable=False))
    req = signed(hall, clerk, sale_request(st, SaleMode.OUTRIGHT))
    before = _orders(hall)
    with pytest.raises(ValidationError) as err:
        service.sell(clerk, req)
    assert err.value.field == "IMEI" and "离线时只能销售本窗口租用的手机" in str(err.value)
    assert _orders(hall) == before and _status(hall, st.imeis[0]) is DeviceStatus.IN_STOCK
    with hall.db.unit_of_work() as s:
        s.execute(
            update(Device)
            .where(Device.imei == st.imeis[0])
            .values(lease_counter_id=clerk.counter_id, lease_until=clock() + timedelta(days=1))
        )
    sold = service.sell(clerk, req)
    assert sold.order_no and _status(hall, st.imeis[0]) is DeviceStatus.SOLD
