"""Coverage lookups at the counter, and coverage maintained centrally reaching it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from hall_app.app import HallApp
from hall_app.db.engine import make_engine
from hall_app.db.models import AuditEntry, CoverageArea, Customer
from hall_app.domain.errors import PermissionDenied, ValidationError
from hall_app.services.actor import Actor
from hall_app.sync.push import Pusher
from tests.conftest import FakeClock, synced_counter


def test_a_covered_address_names_its_technology_and_speed(hall: HallApp, clerk: Actor) -> None:
    with hall.db.read() as s:
        community, tech, speed = s.execute(
            select(CoverageArea.community, CoverageArea.technology, CoverageArea.max_down_mbps)
            .order_by(CoverageArea.community)
            .limit(1)
        ).one()
        address = next(  # the column is sealed: opened by the ORM, then matched
            c.address
            for c in s.scalars(select(Customer))
            if community in c.address and "福州市" in c.address
        )
    found = hall.coverage.lookup(clerk, address)
    assert [(c.community, c.technology, c.max_down_mbps) for c in found] == [
        (community, tech, speed)
    ]


def test_an_uncovered_or_bad_address(hall: HallApp, clerk: Actor) -> None:
    assert hall.coverage.lookup(clerk, "福建省福州市鼓楼区五四路1号不存在的小区1栋") == []
    with pytest.raises(ValidationError) as err:
        hall.coverage.lookup(clerk, "  五四 ")
    assert err.value.field == "装机地址"
    with pytest.raises(ValidationError):
        hall.coverage.lookup(clerk, "路" * 201)


def test_coverage_needs_the_right_to_take_orders(hall: HallApp) -> None:
    from dataclasses import replace

    clerk = hall.auth.log_in("clerk1", "hall1234")
    nobody = replace(clerk, permissions=frozenset())
    with pytest.raises(PermissionDenied):
        hall.coverage.lookup(nobody, "福建省福州市鼓楼区五四路1号闽江花园")


@pytest.mark.postgres
def test_coverage_added_centrally_reaches_the_counter(
    central_url: str, demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    counter = synced_counter(demo_template, tmp_path, central_url, clock)
    central = make_engine(central_url)
    try:
        Pusher(counter.db, central, clock).enqueue_all()
        counter.sync.run_round()
        clerk = counter.auth.log_in("clerk1", "hall1234")
        address = "福建省福州市鼓楼区湖东路8号新建的海峡云庭2栋1单元801室"
        assert counter.coverage.lookup(clerk, address) == []
        with central.begin() as conn:  # the network team lights up a new community
            now = conn.scalar(select(func.now()))
            conn.execute(
                insert(CoverageArea).values(
                    id=uuid.uuid4(), created_at=now, updated_at=now, hall_id=clerk.hall_id,
                    region_code="350102", community="海峡云庭", technology="FTTH",
                    max_down_mbps=2000, landline=True, active=True,
                )
            )  # fmt: skip
        counter.sync.run_round()
        found = counter.coverage.lookup(clerk, address)
        assert [(c.technology, c.max_down_mbps) for c in found] == [("FTTH", 2000)]
        with counter.db.read() as s:  # arrived, audited as the hall's change
            assert (
                s.scalar(
                    select(func.count()).where(
                        AuditEntry.action == "sync.pulled_new",
                        AuditEntry.entity == "coverage_areas",
                    )
                )
                == 1
            )
    finally:
        central.dispose()
        counter.close()


def test_an_address_in_another_city_is_refused(hall: HallApp, clerk: Actor) -> None:
    with hall.db.read() as s:
        community = s.scalars(select(CoverageArea.community).limit(1)).one()
    with pytest.raises(ValidationError) as err:
        hall.coverage.lookup(clerk, f"福建省泉州市丰泽区{community}1栋")
    assert err.value.field == "装机地址" and "泉州市" in err.value.message
