"""A handset sale at a counter synced with the real PostgreSQL: the unit is claimed by IMEI at
the central database (so another counter can neither scan nor sell it), and given back there
when the order fails after the claim."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import func, select, update

from hall_app.cli import main as cli_main
from hall_app.db.models import Device, Order
from hall_app.domain.enums import CreditOutcome, DeviceStatus, SaleMode
from hall_app.domain.errors import ValidationError
from hall_app.sync.push import Pusher
from tests.conftest import CentralSnapshots, FakeClock, Snapshot
from tests.handset_fixtures import HandsetSetup, prepare_handsets, sale_request, signed
from tests.integration.test_sync_resources import CODES, Hall, restored_hall

pytestmark = pytest.mark.postgres


def _synced_start(url: str, demo: Path, folder: Path, clock: FakeClock) -> HandsetSetup:
    assert cli_main(["--db", "sqlite:///:memory:", "central", "init", "--central", url]) == 0
    h = Hall(url, demo, folder, clock)
    try:
        first = h.open("01")
        st = prepare_handsets(first)  # offers and the customer's changes, loaded with the rest
        Pusher(first.db, h.central, clock).enqueue_all()
        for code in CODES[:2]:
            (h.apps.get(code) or h.open(code)).sync.run_round()
        with h.central.begin() as conn:  # the rounds leased some units: these tests sell
            conn.execute(  # online, so the model's units are held on no lease
                update(Device)
                .where(Device.product_id == st.product_id)
                .values(lease_counter_id=None, lease_until=None)
            )
        return st
    finally:
        h.close()


@pytest.fixture
def synced(
    central_snapshots: CentralSnapshots,
    restore: Callable[[Snapshot], str],
    tmp_path: Path,
    clock: FakeClock,
) -> Iterator[tuple[Hall, HandsetSetup]]:
    """Two counters after the first load and their rounds (run once), copied for this test."""
    snap = central_snapshots.get("handsets_pg", _synced_start)
    h = Hall(restore(snap), None, tmp_path, clock)
    try:
        restored_hall(h, snap, CODES[:2])
        yield h, cast(HandsetSetup, copy.deepcopy(snap.made))
    finally:
        h.close()


def _central(h: Hall, imei: str) -> tuple[DeviceStatus, object]:
    with h.central.connect() as conn:
        row = conn.execute(
            select(Device.status, Device.taken_by_counter_id).where(Device.imei == imei)
        ).one()
    return DeviceStatus(row[0]), row[1]


def test_an_online_sale_claims_the_unit_centrally(synced: tuple[Hall, HandsetSetup]) -> None:
    h, st = synced
    app, clerk = h.apps["01"], h.clerk("01")
    assert _central(h, st.imeis[0]) == (DeviceStatus.IN_STOCK, None)
    app.handsets.sell(clerk, signed(app, clerk, sale_request(st, SaleMode.OUTRIGHT)))
    assert _central(h, st.imeis[0]) == (DeviceStatus.SOLD, h.counter_id("01"))
    # The other counter's copy still says in stock, but the central database decides.
    other, other_clerk = h.apps["02"], h.clerk("02")
    with pytest.raises(ValidationError) as err:
        other.handsets.check_device(other_clerk, st.imeis[0], st.product_id)
    assert err.value.field == "IMEI" and "已售" in str(err.value)
    with other.db.read() as s:
        orders = s.scalar(select(func.count()).select_from(Order))
    req = sale_request(st, SaleMode.OUTRIGHT)
    with pytest.raises(ValidationError) as err:
        other.handsets.sell(other_clerk, signed(other, other_clerk, req))
    assert err.value.field == "IMEI"
    with other.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == orders


def test_a_failed_sale_gives_the_unit_back_centrally(
    synced: tuple[Hall, HandsetSetup],
) -> None:
    h, st = synced
    app, clerk = h.apps["01"], h.clerk("01")
    req = sale_request(st, SaleMode.INSTALLMENT)
    assert req.offer_id is not None
    credit = app.handsets.assess_credit(
        clerk, st.customer_id, st.product_id, req.offer_id, req.down_payment_fen
    )
    assert credit.outcome is CreditOutcome.APPROVED, credit.reasons
    req = replace(req, credit_assessment_id=credit.assessment_id)
    app.handsets.sell(clerk, signed(app, clerk, req))
    # The same assessment again, for another unit: refused inside the order, after the claim.
    with pytest.raises(ValidationError) as err:
        app.handsets.sell(clerk, signed(app, clerk, replace(req, imei=st.imeis[1])))
    assert "已用于另一笔订单" in str(err.value)
    assert _central(h, st.imeis[0]) == (DeviceStatus.SOLD, h.counter_id("01"))
    assert _central(h, st.imeis[1]) == (DeviceStatus.IN_STOCK, None)
    with app.db.read() as s:
        assert s.scalar(select(Device.status).where(Device.imei == st.imeis[1])) is (
            DeviceStatus.IN_STOCK
        )
