"""A broadband order at a counter synced with the real PostgreSQL: the slot's place, the
landline number and the modem are claimed at the central database (so no other counter can
have them), and given back there when the order fails after the claim."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import select

from hall_app.cli import main as cli_main
from hall_app.db.central import FixedClaim
from hall_app.db.central_claims import LinkedCentral
from hall_app.db.models import Equipment, InstallSlot, LandlineNumber, WorkOrder
from hall_app.domain.enums import EquipmentMode, EquipmentStatus, NumberStatus
from hall_app.domain.errors import StorageError, ValidationError
from hall_app.services import fixed_line as fixed_line_module
from hall_app.services.fixed_line import EquipmentChoice
from hall_app.sync.push import Pusher
from tests.conftest import CentralSnapshots, FakeClock, Snapshot
from tests.integration.test_fixed_line import LANDLINES, SERIALS, Setup, _paid, _prepare, _request
from tests.integration.test_sync_resources import CODES, DEAD, Hall, restored_hall

pytestmark = pytest.mark.postgres


def _synced_start(url: str, demo: Path, folder: Path, clock: FakeClock) -> Setup:
    assert cli_main(["--db", "sqlite:///:memory:", "central", "init", "--central", url]) == 0
    h = Hall(url, demo, folder, clock)
    try:
        first = h.open("01")
        st = _prepare(first)  # the fixed-line catalog and stock, loaded with the rest
        Pusher(first.db, h.central, clock).enqueue_all()
        for code in CODES[:2]:
            (h.apps.get(code) or h.open(code)).sync.run_round()
        return st
    finally:
        h.close()


@pytest.fixture
def synced(
    central_snapshots: CentralSnapshots,
    restore: Callable[[Snapshot], str],
    tmp_path: Path,
    clock: FakeClock,
) -> Iterator[tuple[Hall, Setup]]:
    """Two counters after the first load and their rounds (run once), copied for this test."""
    snap = central_snapshots.get("fixed_line", _synced_start)
    h = Hall(restore(snap), None, tmp_path, clock)
    try:
        restored_hall(h, snap, CODES[:2])
        yield h, cast(Setup, copy.deepcopy(snap.made))
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


def test_a_failed_order_gives_its_claims_back(
    synced: tuple[Hall, Setup], monkeypatch: pytest.MonkeyPatch
) -> None:
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
        app.fixed_line.install(clerk, short)  # refused before anything is claimed
    assert _central(h, req.slot_id) == (0, NumberStatus.RESERVED, EquipmentStatus.IN_STOCK)

    def broken(*_args: object, **_kw: object) -> None:
        raise StorageError("发票服务暂不可用", "发票")

    with monkeypatch.context() as m:  # the local transaction fails after the central claim
        m.setattr(fixed_line_module, "issue_invoice", broken)
        with pytest.raises(StorageError):
            app.fixed_line.install(clerk, req)
    assert _central(h, req.slot_id) == (0, NumberStatus.RESERVED, EquipmentStatus.IN_STOCK)
    app.fixed_line.install(clerk, req)  # and the same order goes through afterwards
    assert _central(h, req.slot_id) == (1, NumberStatus.ASSIGNED, EquipmentStatus.LENT)


def test_a_claim_kept_while_the_link_was_down_is_undone_next_round(
    synced: tuple[Hall, Setup],
) -> None:
    h, st = synced
    app, clerk = h.apps["01"], h.clerk("01")
    app.fixed_line.reserve_landline(clerk, LANDLINES[0])
    slot_id = _request(app, clerk, st).slot_id
    central = LinkedCentral(app.link)
    counter_id = h.counter_id("01")
    stamp = app.clock()
    central.claim_fixed_line(
        slot_id, LANDLINES[0], [(SERIALS[0], EquipmentStatus.LENT)], counter_id, stamp
    )
    assert _central(h, slot_id) == (1, NumberStatus.ASSIGNED, EquipmentStatus.LENT)
    claim = FixedClaim(slot_id, LANDLINES[0], (SERIALS[0],), counter_id, stamp, stamp)
    with app.db.unit_of_work() as s:  # as the pipeline keeps it when the release fails
        claim.keep(s)
    with app.db.read() as s:
        assert [c for _k, c in FixedClaim.kept(s)] == [claim]
    app.sync.run_round()
    assert _central(h, slot_id) == (0, NumberStatus.RESERVED, EquipmentStatus.IN_STOCK)
    with app.db.read() as s:
        assert FixedClaim.kept(s) == []


def test_offline_a_broadband_order_sells_only_what_is_leased_here(
    synced: tuple[Hall, Setup],
) -> None:
    h, st = synced
    counter_id = h.counter_id("01")
    app = h.open("01", DEAD)  # the link is down
    clerk = h.clerk("01")
    with app.db.read() as s:
        leased_gear = s.scalars(
            select(Equipment.serial)
            .where(
                Equipment.lease_counter_id == counter_id,
                Equipment.status == EquipmentStatus.IN_STOCK,
            )
            .order_by(Equipment.serial)
        ).first()
        other_gear = s.scalars(
            select(Equipment.serial)
            .where(
                Equipment.lease_counter_id.is_(None), Equipment.status == EquipmentStatus.IN_STOCK
            )
            .order_by(Equipment.serial)
        ).first()
        line = s.scalars(
            select(LandlineNumber.number)
            .where(
                LandlineNumber.lease_counter_id == counter_id,
                LandlineNumber.status == NumberStatus.AVAILABLE,
            )
            .order_by(LandlineNumber.number)
        ).first()
    assert leased_gear is not None and other_gear is not None and line is not None
    with pytest.raises(ValidationError) as err:
        app.fixed_line.check_equipment(clerk, other_gear)
    assert "离线" in err.value.message
    offered = app.slots.free_slots(clerk, st.community)
    assert offered, "the counter holds no slot of the community on lease"
    with app.db.read() as s:
        leased = {
            i
            for (i,) in s.execute(
                select(InstallSlot.id).where(InstallSlot.lease_counter_id == counter_id)
            )
        }
    assert {v.slot_id for v in offered} <= leased
    app.fixed_line.reserve_landline(clerk, line)
    req = replace(
        _request(app, clerk, st, landline_plan_code="LL20", landline_number=line),
        equipment=(EquipmentChoice(leased_gear, EquipmentMode.DEPOSIT),),
        slot_id=offered[0].slot_id,
    )
    done = app.fixed_line.install(clerk, _paid(app, clerk, req))
    with app.db.read() as s:
        assert s.get_one(InstallSlot, offered[0].slot_id).booked == 1
    online = h.open("01")  # the link is back: the round pushes the offline order
    online.sync.run_round()
    with h.central.connect() as conn:
        assert (
            conn.scalar(select(InstallSlot.booked).where(InstallSlot.id == offered[0].slot_id)) == 1
        )  # the lease holder's count
        assert (
            conn.scalar(select(WorkOrder.work_order_no).where(WorkOrder.id == done.work_order_id))
            == done.work_order_no
        )
        assert conn.scalar(select(Equipment.status).where(Equipment.serial == leased_gear)) == (
            EquipmentStatus.LENT
        )
        assert (
            conn.scalar(select(LandlineNumber.status).where(LandlineNumber.number == line))
            == NumberStatus.ASSIGNED
        )
