"""A broadband order at a counter synced with the real PostgreSQL: the slot's place, the
landline number and the modem are claimed at the central database (so no other counter can
have them), and given back there when the order fails after the claim."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from hall_app.cli import main as cli_main
from hall_app.db.models import Equipment, InstallSlot, LandlineNumber, WorkOrder
from hall_app.domain.enums import EquipmentStatus, NumberStatus
from hall_app.domain.errors import ValidationError
from hall_app.sync.push import Pusher
from tests.conftest import FakeClock
from tests.integration.test_fixed_line import LANDLINES, SERIALS, Setup, _paid, _prepare, _request
from tests.integration.test_sync_resources import CODES, Hall

pytestmark = pytest.mark.postgres


@pytest.fixture
def synced(
    pg_url: str, demo_template: Path, tmp_path: Path, clock: FakeClock
) -> Iterator[tuple[Hall, Setup]]:
    assert cli_main(["--db", "sqlite:///:memory:", "central", "init", "--central", pg_url]) == 0
    h = Hall(pg_url, demo_template, tmp_path, clock)
    try:
        first = h.open("01")
        st = _prepare(first)  # the fixed-line catalog and stock, loaded with the rest
        Pusher(first.db, h.central, clock).enqueue_all()
        for code in CODES[:2]:
            (h.apps.get(code) or h.open(code)).sync.run_round()
        yield h, st
    finally:
        h.close()


def _central(h: Hall, slot_id: object) -> tuple[int, NumberStatus, EquipmentStatus]:
    with h.central.connect() as conn:
        booked = conn.scalar(select(InstallSlot.booked).where(InstallSlot.id == slot_id))
        number = conn.scalar(
            select(LandlineNumber.status).where(LandlineNumber.number == LANDLINES[0])
        )
        gear = conn.scalar(select(Equipment.status).where(Equipment.serial == SERIALS[0]))
    assert booked is not None and number is not None and gear is not None
    return booked, NumberStatus(number), EquipmentStatus(gear)


def test_an_online_order_claims_at_the_central_database(synced: tuple[Hall, Setup]) -> None:
    h, st = synced
    app, clerk = h.apps["01"], h.clerk("01")
    app.fixed_line.reserve_landline(clerk, LANDLINES[0])
    req = _paid(
        app,
        clerk,
        _request(app, clerk, st, landline_plan_code="LL20", landline_number=LANDLINES[0]),
    )
    done = app.fixed_line.install(clerk, req)
    assert _central(h, req.slot_id) == (1, NumberStatus.ASSIGNED, EquipmentStatus.LENT)
    # The other counter can neither take the modem nor the landline now.
    other, other_clerk = h.apps["02"], h.clerk("02")
    with pytest.raises(ValidationError) as err:
        other.fixed_line.check_equipment(other_clerk, SERIALS[0])
    assert err.value.field == "设备序列号"
    with pytest.raises(ValidationError):
        other.fixed_line.reserve_landline(other_clerk, LANDLINES[0])
    app.sync.run_round()  # the order and its work order reach the central database
    with h.central.connect() as conn:
        assert (
            conn.scalar(select(WorkOrder.work_order_no).where(WorkOrder.id == done.work_order_id))
            == done.work_order_no
        )
        # The counter's copy of the slot does not overwrite the central count.
        assert conn.scalar(select(InstallSlot.booked).where(InstallSlot.id == req.slot_id)) == 1


def test_a_failed_order_gives_its_claims_back(synced: tuple[Hall, Setup]) -> None:
    h, st = synced
    app, clerk = h.apps["01"], h.clerk("01")
    app.fixed_line.reserve_landline(clerk, LANDLINES[0])
    req = _paid(
        app,
        clerk,
        _request(app, clerk, st, landline_plan_code="LL20", landline_number=LANDLINES[0]),
    )
    short = replace(req, payments=(replace(req.payments[0], amount_fen=100, tendered_fen=100),))
    with pytest.raises(ValidationError):
        app.fixed_line.install(clerk, short)  # claimed centrally, then refused locally
    assert _central(h, req.slot_id) == (0, NumberStatus.RESERVED, EquipmentStatus.IN_STOCK)
    app.fixed_line.install(clerk, req)  # and the same order goes through afterwards
    assert _central(h, req.slot_id) == (1, NumberStatus.ASSIGNED, EquipmentStatus.LENT)
