"""Handsets across counters and the central PostgreSQL: each counter leases a few units of
each handset model (in stock or returned) for offline sale; a sale on the lease wins at the
push, a unit whose lease lapsed and another counter sold meanwhile is a clash for the
supervisor (更换手机); a return made at another counter than the sale's goes through; the
central offers come down by pull, and credit assessments, commitments, installment
contracts and their instalments go up by push."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import func, insert, select, update

from hall_app.cli import main as cli_main
from hall_app.db.central_claims import LinkedCentral
from hall_app.db.engine import Database
from hall_app.db.models import (
    CreditAssessment,
    Device,
    HandsetCommitment,
    HandsetOffer,
    InstallmentContract,
    Instalment,
    Order,
    Product,
    ResourceClash,
    Staff,
    Subscription,
)
from hall_app.db.models import Hall as HallRow
from hall_app.domain.enums import (
    ContractStatus,
    CreditOutcome,
    DeviceStatus,
    OfferKind,
    ProductKind,
)
from hall_app.sync.leases import DEVICES_PER_PRODUCT
from hall_app.sync.push import Pusher
from tests.conftest import CentralSnapshots, FakeClock, Snapshot
from tests.integration.test_sync_resources import DEAD, Hall, restored_hall

pytestmark = pytest.mark.postgres
CODES = ("01", "02")
UNITS = 8  # of each of the two models: six in stock, two back from a return


class HandsetHall(Hall):
    models: tuple[uuid.UUID, ...] = ()
    hall_id: uuid.UUID


def imei(n: int) -> str:
    """A valid 15-digit IMEI (Luhn) from a running number."""
    body = f"86{n:012d}"
    total = 0
    for i, ch in enumerate(body):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return body + str((10 - total % 10) % 10)


def stock_devices(
    central: Database, hall_id: uuid.UUID, models: tuple[uuid.UUID, ...], now: datetime
) -> None:
    with central.unit_of_work() as s:
        s.execute(
            insert(Device),
            [
                {
                    "id": uuid.uuid4(), "product_id": p, "imei": imei(1000 * n + i),
                    "status": DeviceStatus.RETURNED if i >= UNITS - 2 else DeviceStatus.IN_STOCK,
                    "hall_id": hall_id, "location": "营业厅库房", "received_at": now,
                    "created_at": now, "updated_at": now,
                }
                for n, p in enumerate(models)
                for i in range(UNITS)
            ],
        )  # fmt: skip


def _handsets_start(
    url: str, demo: Path, folder: Path, clock: FakeClock
) -> tuple[uuid.UUID, tuple[uuid.UUID, ...]]:
    """The first load, eight units of each of two handset models stocked centrally, and the
    two counters' rounds; the hall and the two models."""
    assert cli_main(["--db", "sqlite:///:memory:", "central", "init", "--central", url]) == 0
    h = HandsetHall(url, demo, folder, clock)
    try:
        first = h.open("01")
        Pusher(first.db, h.central, clock).enqueue_all()
        first.sync.run_round()  # the first load
        central = Database(h.central)
        with central.read() as s:
            hall_id = s.scalars(select(HallRow.id)).first()
            assert hall_id is not None
            h.hall_id = hall_id
            h.models = tuple(
                s.scalars(
                    select(Product.id)
                    .where(Product.kind == ProductKind.HANDSET)
                    .order_by(Product.code)
                    .limit(2)
                )
            )
        assert len(h.models) == 2
        stock_devices(central, hall_id, h.models, clock())
        for code in CODES:
            (h.apps.get(code) or h.open(code)).sync.run_round()
        return h.hall_id, h.models
    finally:
        h.close()


@pytest.fixture
def handsets(
    central_snapshots: CentralSnapshots,
    restore: Callable[[Snapshot], str],
    tmp_path: Path,
    clock: FakeClock,
) -> Iterator[HandsetHall]:
    """The start above (run once), copied for this test. The leases run on the central
    clock: the test's clock is the one the start ran on, to keep both together."""
    snap = central_snapshots.get("handsets", _handsets_start, now=datetime.now(UTC))
    clock.now = snap.now
    h = HandsetHall(restore(snap), None, tmp_path, clock)
    try:
        restored_hall(h, snap, CODES)
        h.hall_id, h.models = cast(tuple[uuid.UUID, tuple[uuid.UUID, ...]], snap.made)
        yield h
    finally:
        h.close()


def _leased(h: Hall, code: str) -> dict[uuid.UUID, DeviceStatus]:
    with h.central.connect() as conn:
        return {
            i: DeviceStatus(st)
            for i, st in conn.execute(
                select(Device.id, Device.status).where(
                    Device.lease_counter_id == h.counter_id(code)
                )
            ).all()
        }


def test_each_counter_leases_a_few_handsets_of_each_model(handsets: HandsetHall) -> None:
    h = handsets
    for code in CODES:
        cid = h.counter_id(code)
        with h.central.connect() as conn:
            per_model = dict(
                conn.execute(
                    select(Device.product_id, func.count())
                    .where(Device.lease_counter_id == cid)
                    .group_by(Device.product_id)
                ).all()
            )
        assert {p: per_model.get(p) for p in h.models} == dict.fromkeys(
            h.models, DEVICES_PER_PRODUCT
        )
        assert max(per_model.values()) == DEVICES_PER_PRODUCT  # the demo's models too
        with h.apps[code].db.read() as s:  # mirrored at the counter, with the lease
            local = s.scalars(select(Device).where(Device.lease_counter_id == cid)).all()
            assert {d.id for d in local} == set(_leased(h, code))
            assert all(d.lease_until is not None and d.imei for d in local)
    assert not set(_leased(h, "01")) & set(_leased(h, "02"))  # disjoint
    # Only sellable units are leased (returned ones are leased too: see the next test).
    every = {**_leased(h, "01"), **_leased(h, "02")}
    assert set(every.values()) <= {DeviceStatus.IN_STOCK, DeviceStatus.RETURNED}
    # Renewed, not re-picked, on the next round; a sold unit is not leased again.
    before = set(_leased(h, "01"))
    h.apps["01"].sync.run_round()
    assert set(_leased(h, "01")) == before


def test_returned_units_are_leased_too_and_sold_units_never(handsets: HandsetHall) -> None:
    h = handsets
    central = Database(h.central)
    with central.unit_of_work() as s:  # every unit in stock sold: only returned ones left
        s.execute(
            update(Device)
            .where(Device.status == DeviceStatus.IN_STOCK)
            .values(status=DeviceStatus.SOLD, lease_counter_id=None, lease_until=None)
        )
    h.apps["02"].sync.run_round()
    leased = _leased(h, "02")
    assert set(leased.values()) == {DeviceStatus.RETURNED}
    with h.central.connect() as conn:
        per_model = dict(
            conn.execute(
                select(Device.product_id, func.count())
                .where(Device.id.in_(list(leased)))
                .group_by(Device.product_id)
            ).all()
        )
    # Two returned units of each test model: counter 01 may hold some since the morning.
    assert all(per_model.get(p, 0) + _count(h, "01", p) == 2 for p in h.models)


def _count(h: Hall, code: str, product_id: uuid.UUID) -> int:
    with h.central.connect() as conn:
        return int(
            conn.scalar(
                select(func.count()).where(
                    Device.lease_counter_id == h.counter_id(code),
                    Device.product_id == product_id,
                    Device.status == DeviceStatus.RETURNED,
                )
            )
            or 0
        )


def test_offline_sale_on_the_lease_wins_and_a_lapsed_lease_clash_goes_to_the_supervisor(
    handsets: HandsetHall,
) -> None:
    h = handsets
    cid_a, cid_b = h.counter_id("01"), h.counter_id("02")
    mine = sorted(_leased(h, "01"))[:2]
    offline = h.open("01", DEAD)
    later = h.clock() + timedelta(minutes=5)
    with offline.db.unit_of_work() as s:  # two units sold offline on the lease ...
        s.execute(
            update(Device)
            .where(Device.id.in_(mine))
            .values(
                status=DeviceStatus.SOLD, taken_by_counter_id=cid_a, location="客户",
                updated_at=later,
            )
        )  # fmt: skip
    # ... the second one's lease lapsed centrally, and counter 02 sold it meanwhile.
    with h.central.begin() as conn:
        conn.execute(
            update(Device)
            .where(Device.id == mine[1])
            .values(lease_until=datetime.now(UTC) - timedelta(minutes=1))
        )
        lapsed = conn.scalar(select(Device.imei).where(Device.id == mine[1]))
    assert lapsed is not None
    LinkedCentral(h.apps["02"].link).claim_device(lapsed, cid_b, datetime.now(UTC))
    h.open("01").sync.run_round()
    with h.central.connect() as conn:
        got = dict(
            conn.execute(
                select(Device.id, Device.taken_by_counter_id).where(Device.id.in_(mine))
            ).all()
        )
        clash = conn.execute(select(ResourceClash).where(ResourceClash.resource == "device")).one()
    assert got == {mine[0]: cid_a, mine[1]: cid_b}
    assert clash.counter_id == cid_a and clash.resource_key == lapsed
    assert f"手机 {lapsed} 已由" in clash.detail and "更换手机" in clash.detail
    with h.apps["01"].db.read() as s:  # the counter took the central copy
        local = s.get_one(Device, mine[1])
        assert local.status is DeviceStatus.SOLD and local.taken_by_counter_id == cid_b
    # The supervisor's clash screen reads it as a handset.
    supervisor = h.apps["01"].auth.log_in("super1", "hall1234")
    views = h.apps["01"].sync.clashes(supervisor)
    assert [v.resource for v in views] == ["手机"]
    assert views[0].key_shown == lapsed


def test_a_unit_returned_at_another_counter_goes_back_to_stock_centrally(
    handsets: HandsetHall,
) -> None:
    h = handsets
    cid_a, cid_b = h.counter_id("01"), h.counter_id("02")
    with h.central.connect() as conn:
        unit = conn.scalar(
            select(Device.imei).where(
                Device.lease_counter_id.is_(None), Device.status == DeviceStatus.IN_STOCK
            )
        )
    assert unit is not None
    rows = LinkedCentral(h.apps["01"].link).claim_device(unit, cid_a, h.clock())
    assert rows[-1][1]["imei"] == unit  # the unit as it was, for the counter to mirror
    b = h.apps["02"]
    h.apps["02"].sync.run_round()
    with h.central.connect() as conn:
        device_id = conn.execute(select(Device.id).where(Device.imei == unit)).scalar_one()
        sold = dict(conn.execute(select(Device).where(Device.id == device_id)).mappings().one())
    with b.db.unit_of_work() as s:  # counter 02 has the sold copy, then takes it back
        from hall_app.db.central import mirror

        mirror(s, [(Device.__table__, sold)])  # type: ignore[list-item]
        s.execute(
            update(Device)
            .where(Device.id == device_id)
            .values(
                status=DeviceStatus.RETURNED, taken_by_counter_id=None, location="营业厅库房",
                updated_at=h.clock() + timedelta(minutes=10),
            )
        )  # fmt: skip
    report = b.sync.run_round()
    assert report.clashes == 0
    with h.central.connect() as conn:
        status, holder = conn.execute(
            select(Device.status, Device.taken_by_counter_id).where(Device.id == device_id)
        ).one()
        assert conn.scalar(select(func.count()).select_from(ResourceClash)) == 0
    assert (status, holder) == ("returned", None)
    assert cid_b != cid_a


def test_offers_come_down_and_handset_records_go_up(handsets: HandsetHall) -> None:
    h = handsets
    now = h.clock()
    offer_id = uuid.uuid4()
    with h.central.begin() as conn:
        conn.execute(
            insert(HandsetOffer).values(
                id=offer_id, code="T-FQ12", product_id=h.models[0],
                kind=OfferKind.INSTALLMENT, name="12期免息", months=12, subsidy_fen=0,
                min_plan_fen=0, fee_fen=0, monthly_rate=0, min_down_payment_pct=20,
                payoff_fee_fen=0, valid_from=date(2026, 1, 1), active=True,
                created_at=now, updated_at=now,
            )
        )  # fmt: skip
    a = h.apps["01"]
    a.sync.run_round()
    with a.db.read() as s:  # pulled
        offer = s.get_one(HandsetOffer, offer_id)
        assert offer.name == "12期免息" and offer.months == 12
        order, sub = s.execute(
            select(Order.id, Order.customer_id).where(Order.customer_id.is_not(None)).limit(1)
        ).one()
        subscription = s.scalar(select(Subscription.id).where(Subscription.customer_id == sub))
        staff = s.scalar(select(Staff.id).where(Staff.username == "clerk1"))
        device = s.scalar(select(Device.id).where(Device.lease_counter_id == h.counter_id("01")))
    assert subscription is not None and staff is not None and device is not None
    ids = {k: uuid.uuid4() for k in ("assessment", "commitment", "contract", "instalment")}
    with a.db.unit_of_work() as s:  # made at the counter
        s.add(CreditAssessment(
            id=ids["assessment"], customer_id=sub, staff_id=staff, assessed_at=now,
            product_id=h.models[0], monthly_fen=50_000, outcome=CreditOutcome.APPROVED,
            rules_json="[]", order_id=order,
        ))  # fmt: skip
        s.add(HandsetCommitment(
            id=ids["commitment"], order_id=order, customer_id=sub, subscription_id=subscription,
            device_id=device, offer_id=offer_id, subsidy_fen=120_000, months=24,
            min_plan_fen=12_900, starts_on=now.date(), ends_on=now.date() + timedelta(days=730),
            status=ContractStatus.ACTIVE,
        ))  # fmt: skip
        s.flush()
        s.add(InstallmentContract(
            id=ids["contract"], order_id=order, customer_id=sub, device_id=device,
            price_fen=600_000, down_payment_fen=120_000, financed_fen=480_000, months=12,
            credit_approved=True, offer_id=offer_id, credit_assessment_id=ids["assessment"],
        ))  # fmt: skip
        s.flush()
        s.add(Instalment(
            id=ids["instalment"], contract_id=ids["contract"], seq=1,
            due_date=now.date() + timedelta(days=30), amount_fen=40_000, principal_fen=40_000,
        ))  # fmt: skip
    report = a.sync.run_round()
    assert report.quarantined == 0
    with h.central.connect() as conn:
        for model, key in (
            (CreditAssessment, "assessment"),
            (HandsetCommitment, "commitment"),
            (InstallmentContract, "contract"),
            (Instalment, "instalment"),
        ):
            assert conn.scalar(select(func.count()).where(model.id == ids[key])) == 1, model
    # The offer stays the central database's: a counter's edit never goes up.
    with a.db.unit_of_work() as s:
        s.execute(
            update(HandsetOffer)
            .where(HandsetOffer.id == offer_id)
            .values(name="改过", updated_at=now + timedelta(hours=1))
        )
    a.sync.run_round()
    with h.central.connect() as conn:
        assert conn.scalar(select(HandsetOffer.name).where(HandsetOffer.id == offer_id)) == (
            "12期免息"
        )
