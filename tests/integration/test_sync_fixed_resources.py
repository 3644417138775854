"""Broadband and landline resources across counters and the central PostgreSQL: each counter
leases a few landline numbers, modems and routers and install slots; offline it books only
its leased slots and the push carries the count there; a slot pushed without its lease never
overwrites the central booked count; equipment that clashes is settled like a SIM."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import delete, func, insert, select, update

from hall_app.cli import main as cli_main
from hall_app.clock import business_date
from hall_app.config import BusinessRules
from hall_app.db.engine import Database
from hall_app.db.models import (
    Equipment,
    InstallerTeam,
    InstallSlot,
    LandlineNumber,
    Product,
    ResourceClash,
    TeamArea,
)
from hall_app.db.models import (
    Hall as HallRow,
)
from hall_app.domain.enums import EquipmentStatus, NumberStatus
from hall_app.services.installs import SlotFull, ensure_slots, take_slot
from hall_app.sync.leases import (
    EQUIPMENT_PER_PRODUCT,
    LANDLINES,
    LEASE_HOURS,
    SLOT_LEASE_DAYS,
    SLOTS_PER_COMMUNITY,
)
from hall_app.sync.push import Pusher
from tests.conftest import CentralSnapshots, FakeClock, Snapshot
from tests.integration.test_sync_resources import DEAD, Hall, restored_hall

pytestmark = pytest.mark.postgres
COMMUNITIES = ("租约一村", "租约二村", "租约三村")
CODES = ("01", "02")


class FixedHall(Hall):
    """The hall, and the two equipment products the test stocked."""

    products: tuple[uuid.UUID, ...] = ()


def _fixed_start(url: str, demo: Path, folder: Path, clock: FakeClock) -> tuple[uuid.UUID, ...]:
    """Two counters of the demo hall, with landline numbers, two kinds of equipment, a team
    serving three communities and ten working days of slots made at the central database;
    the two equipment products."""
    assert cli_main(["--db", "sqlite:///:memory:", "central", "init", "--central", url]) == 0
    h = FixedHall(url, demo, folder, clock)
    try:
        first = h.open("01")
        Pusher(first.db, h.central, clock).enqueue_all()
        first.sync.run_round()  # the first load
        central = Database(h.central)
        with central.unit_of_work() as s:
            hall_id = s.scalars(select(HallRow.id)).first()
            assert hall_id is not None
            s.execute(
                insert(LandlineNumber),
                [
                    {
                        "id": uuid.uuid4(), "number": f"0591{87650000 + i}", "area_code": "0591",
                        "status": NumberStatus.AVAILABLE, "hall_id": hall_id,
                        "created_at": clock(), "updated_at": clock(),
                    }
                    for i in range(20)
                ],
            )  # fmt: skip
            products = list(s.scalars(select(Product.id).order_by(Product.code).limit(2)))
            h.products = tuple(products)
            s.execute(
                insert(Equipment),
                [
                    {
                        "id": uuid.uuid4(), "product_id": p, "serial": f"ZTE{n}{i:08d}",
                        "status": EquipmentStatus.IN_STOCK, "hall_id": hall_id,
                        "created_at": clock(), "updated_at": clock(),
                    }
                    for n, p in enumerate(products)
                    for i in range(12)
                ],
            )  # fmt: skip
            # The demo's teams and their open slots give way: the slots here are the test's.
            s.execute(update(InstallerTeam).values(active=False))
            s.execute(delete(InstallSlot).where(InstallSlot.booked == 0))
            team = uuid.uuid4()
            s.execute(
                insert(InstallerTeam).values(
                    id=team, hall_id=hall_id, code="ZT-LEASE", name="鼓楼装维一班"
                )
            )
            for c in COMMUNITIES:
                s.execute(
                    insert(TeamArea).values(id=uuid.uuid4(), team_id=team, community=c, capacity=2)
                )
            made = ensure_slots(
                s, hall_id, business_date(clock()), 10, BusinessRules(), None, clock()
            )
            assert made == 10 * 3 * len(COMMUNITIES)  # on PostgreSQL too
        for code in CODES:
            (h.apps.get(code) or h.open(code)).sync.run_round()
        return h.products
    finally:
        h.close()


@pytest.fixture
def fixed(
    central_snapshots: CentralSnapshots,
    restore: Callable[[Snapshot], str],
    tmp_path: Path,
    clock: FakeClock,
) -> Iterator[FixedHall]:
    """The start above (run once), copied for this test. The leases run on the central
    clock: the test's clock is the one the start ran on, to keep both together."""
    snap = central_snapshots.get("fixed", _fixed_start, now=datetime.now(UTC))
    clock.now = snap.now
    h = FixedHall(restore(snap), None, tmp_path, clock)
    try:
        restored_hall(h, snap, CODES)
        h.products = cast(tuple[uuid.UUID, ...], snap.made)
        yield h
    finally:
        h.close()


def _leased(h: Hall, model: type, code: str) -> list[uuid.UUID]:
    with h.central.connect() as conn:
        return list(
            conn.scalars(select(model.id).where(model.lease_counter_id == h.counter_id(code)))
        )


def test_each_counter_leases_landlines_equipment_and_slots(fixed: FixedHall) -> None:
    h = fixed
    now = datetime.now(UTC)
    for code in CODES:
        cid = h.counter_id(code)
        assert len(_leased(h, LandlineNumber, code)) == LANDLINES
        with h.central.connect() as conn:
            per_product = dict(conn.execute(
                select(Equipment.product_id, func.count()).where(Equipment.lease_counter_id == cid)
                .group_by(Equipment.product_id)
            ).all())  # fmt: skip
            slots = conn.execute(
                select(InstallSlot).where(InstallSlot.lease_counter_id == cid)
            ).all()
        assert all(n <= EQUIPMENT_PER_PRODUCT for n in per_product.values())
        assert [per_product.get(p) for p in h.products] == [EQUIPMENT_PER_PRODUCT] * 2
        by_community: dict[str, int] = {}
        for slot in slots:
            by_community[slot.community] = by_community.get(slot.community, 0) + 1
            assert now + timedelta(hours=LEASE_HOURS - 1) <= slot.starts_at
            assert slot.starts_at < now + timedelta(days=SLOT_LEASE_DAYS)
            assert slot.booked < slot.capacity
        assert by_community == dict.fromkeys(COMMUNITIES, SLOTS_PER_COMMUNITY)
        # Mirrored at the counter, with the lease.
        with h.apps[code].db.read() as s:
            assert s.scalar(select(func.count()).select_from(LandlineNumber).where(
                LandlineNumber.lease_counter_id == cid)) == LANDLINES  # fmt: skip
            assert s.scalar(select(func.count()).select_from(Equipment).where(
                Equipment.lease_counter_id == cid)) == sum(per_product.values())  # fmt: skip
            assert s.scalar(select(func.count()).select_from(InstallSlot).where(
                InstallSlot.lease_counter_id == cid)) == len(slots)  # fmt: skip
    # One lease per row: the counters' sets are disjoint.
    for model in (LandlineNumber, Equipment, InstallSlot):
        assert not set(_leased(h, model, "01")) & set(_leased(h, model, "02"))
    # Every counter pulled all the hall's slots, and knows who holds which.
    with h.apps["02"].db.read() as s:
        mine = select(func.count()).where(InstallSlot.community.in_(COMMUNITIES))
        assert s.scalar(mine) == 10 * 3 * len(COMMUNITIES)
    # Renewed, not re-picked, on the next round.
    before = set(_leased(h, InstallSlot, "01"))
    h.apps["01"].sync.run_round()
    assert set(_leased(h, InstallSlot, "01")) == before


def test_online_a_slot_leased_to_another_counter_is_neither_offered_nor_booked(
    fixed: FixedHall,
) -> None:
    h = fixed
    clerk = h.clerk("01")
    h.apps["01"].sync.run_round()  # its pull brings the leases 02 took after 01's round
    theirs = set(_leased(h, InstallSlot, "02"))
    mine = set(_leased(h, InstallSlot, "01"))
    offered = {v.slot_id for c in COMMUNITIES for v in h.apps["01"].slots.free_slots(clerk, c)}
    assert mine <= offered and not theirs & offered
    assert len(offered) > len(mine)  # the unleased ones too
    from hall_app.db.central_claims import LinkedCentral

    port = LinkedCentral(h.apps["01"].link)
    with pytest.raises(SlotFull) as err:
        port.claim_slot(sorted(theirs)[0], h.counter_id("01"), h.clock())
    assert "其他窗口" in err.value.message


def _booked(h: Hall, slot_id: uuid.UUID) -> int:
    with h.central.connect() as conn:
        return int(conn.scalar(select(InstallSlot.booked).where(InstallSlot.id == slot_id)) or 0)


def test_an_offline_booking_on_the_lease_counts_centrally(fixed: FixedHall) -> None:
    h = fixed
    offline = h.open("01", DEAD)
    clerk = h.clerk("01")
    community = COMMUNITIES[0]
    offered = offline.slots.free_slots(clerk, community)
    leased = set(_leased(h, InstallSlot, "01"))
    assert offered and {v.slot_id for v in offered} <= leased  # offline: only its own
    slot_id = offered[0].slot_id
    with offline.db.unit_of_work() as s:
        take_slot(s, slot_id, clerk, h.clock(), offline=True)
        take_slot(s, slot_id, clerk, h.clock(), offline=True)
    with pytest.raises(SlotFull), offline.db.unit_of_work() as s:  # capacity 2
        take_slot(s, slot_id, clerk, h.clock(), offline=True)
    unleased = next(
        v.slot_id
        for v in h.apps["02"].slots.free_slots(h.clerk("02"), community)
        if v.slot_id not in leased
    )
    with pytest.raises(SlotFull), offline.db.unit_of_work() as s:
        take_slot(s, unleased, clerk, h.clock(), offline=True)
    assert _booked(h, slot_id) == 0
    online = h.open("01")
    online.sync.run_round()
    assert _booked(h, slot_id) == 2  # the lease holder's count wins
    # The other counter learns it with its pull: the slot is full there too.
    h.apps["02"].sync.run_round()
    with h.apps["02"].db.read() as s:
        assert s.scalar(select(InstallSlot.booked).where(InstallSlot.id == slot_id)) == 2
    # Giving a place back offline also travels.
    offline = h.open("01", DEAD)
    from hall_app.services.installs import give_back_slot

    with offline.db.unit_of_work() as s:
        give_back_slot(s, slot_id, h.clock())
    h.open("01").sync.run_round()
    assert _booked(h, slot_id) == 1


def test_a_slot_pushed_without_its_lease_never_overwrites_the_central_count(
    fixed: FixedHall,
) -> None:
    h = fixed
    a, b = h.apps["01"], h.clerk("02")
    leased_to_a = sorted(_leased(h, InstallSlot, "01"))[0]
    with h.central.begin() as conn:  # another place booked centrally meanwhile
        conn.execute(update(InstallSlot).where(InstallSlot.id == leased_to_a).values(booked=1))
    unleased = next(
        v.slot_id
        for v in h.apps["02"].slots.free_slots(b, COMMUNITIES[1])
        if v.slot_id not in set(_leased(h, InstallSlot, "02"))
    )
    # Counter 02's copies change (a stale copy, a bug): neither reaches the central count.
    with h.apps["02"].db.unit_of_work() as s:
        for slot_id, n in ((leased_to_a, 2), (unleased, 2)):
            s.execute(
                update(InstallSlot)
                .where(InstallSlot.id == slot_id)
                .values(booked=n, updated_at=h.clock() + timedelta(hours=1))
            )
    # The push alone (no pull after it) gives the central copies back to the counter.
    Pusher(h.apps["02"].db, h.central, h.clock, counter_id=h.counter_id("02")).push()
    assert (_booked(h, leased_to_a), _booked(h, unleased)) == (1, 0)
    with h.apps["02"].db.read() as s:
        local = dict(s.execute(select(InstallSlot.id, InstallSlot.booked).where(
            InstallSlot.id.in_([leased_to_a, unleased]))).all())  # fmt: skip
    assert local == {leased_to_a: 1, unleased: 0}
    # A lapsed lease: the holder's count no longer simply wins; the higher one stands.
    with h.central.begin() as conn:
        conn.execute(update(InstallSlot).where(InstallSlot.id == leased_to_a).values(
            lease_until=func.now() - timedelta(minutes=1)))  # fmt: skip
    with a.db.unit_of_work() as s:
        s.execute(update(InstallSlot).where(InstallSlot.id == leased_to_a).values(
            booked=0, updated_at=h.clock() + timedelta(hours=2)))  # fmt: skip
    Pusher(a.db, h.central, h.clock, counter_id=h.counter_id("01")).push()
    assert _booked(h, leased_to_a) == 1


def test_equipment_lent_offline_on_the_lease_wins_and_a_clash_is_settled(fixed: FixedHall) -> None:
    h = fixed
    cid_a, cid_b = h.counter_id("01"), h.counter_id("02")
    mine = sorted(_leased(h, Equipment, "01"))
    offline = h.open("01", DEAD)
    later = h.clock() + timedelta(minutes=5)
    with offline.db.unit_of_work() as s:  # lent offline on the lease, and a clash: the same
        s.execute(update(Equipment).where(Equipment.id.in_(mine[:2])).values(
            status=EquipmentStatus.LENT, taken_by_counter_id=cid_a, updated_at=later))  # fmt: skip
    with h.central.begin() as conn:  # ... second one counter 02 sold meanwhile
        conn.execute(update(Equipment).where(Equipment.id == mine[1]).values(
            status=EquipmentStatus.SOLD, taken_by_counter_id=cid_b))  # fmt: skip
    h.open("01").sync.run_round()
    with h.central.connect() as conn:
        got = dict(conn.execute(select(Equipment.id, Equipment.taken_by_counter_id).where(
            Equipment.id.in_(mine[:2]))).all())  # fmt: skip
        clash = conn.execute(
            select(ResourceClash).where(ResourceClash.resource == "equipment")
        ).one()
    assert got == {mine[0]: cid_a, mine[1]: cid_b}
    assert clash.counter_id == cid_a and "设备" in clash.detail and "更换设备" in clash.detail
    with h.apps["01"].db.read() as s:  # the counter took the central copy
        assert (
            s.scalar(select(Equipment.status).where(Equipment.id == mine[1]))
            == EquipmentStatus.SOLD
        )
