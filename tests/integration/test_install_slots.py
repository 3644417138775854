"""Booking a place of an install slot: locally (the counter's SQLite, online or offline on its
leases) and at the central PostgreSQL (``book_slot`` inside a central transaction, and the
``LinkedCentral`` port). A slot never passes its capacity and never goes below zero."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from hall_app.app import HallApp
from hall_app.cli import main as cli_main
from hall_app.db.central import CentralLink
from hall_app.db.central_claims import LinkedCentral, book_slot, unbook_slot
from hall_app.db.engine import Database, make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import Counter, Hall, InstallerTeam, InstallSlot, TeamArea
from hall_app.domain.errors import ValidationError
from hall_app.services.actor import Actor
from hall_app.services.installs import SlotFull, give_back_slot, take_slot

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in the hall, as the clock fixture


def add_team(session: Session, hall_id: uuid.UUID, code: str = "T-SLOT") -> uuid.UUID:
    team_id = uuid.uuid4()
    session.execute(
        insert(InstallerTeam).values(id=team_id, hall_id=hall_id, code=code, name="鼓楼装维一班")
    )
    return team_id


def add_slot(
    session: Session,
    hall_id: uuid.UUID,
    team_id: uuid.UUID,
    *,
    starts_at: datetime,
    capacity: int = 2,
    booked: int = 0,
    community: str = "温泉花园",
    window: str = "morning",
    lease: tuple[uuid.UUID, datetime] | None = None,
) -> uuid.UUID:
    slot_id = uuid.uuid4()
    session.execute(
        insert(InstallSlot).values(
            id=slot_id,
            hall_id=hall_id,
            team_id=team_id,
            community=community,
            day=(starts_at + timedelta(hours=8)).date(),
            window=window,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=3),
            capacity=capacity,
            booked=booked,
            lease_counter_id=lease[0] if lease else None,
            lease_until=lease[1] if lease else None,
            created_at=NOW,
            updated_at=NOW,
        )
    )
    return slot_id


def booked(db: Database, slot_id: uuid.UUID) -> int:
    with db.read() as s:
        return int(s.scalar(select(InstallSlot.booked).where(InstallSlot.id == slot_id)) or 0)


@pytest.fixture
def team(hall: HallApp, clerk: Actor) -> uuid.UUID:
    with hall.db.unit_of_work() as s:
        return add_team(s, clerk.hall_id)


TOMORROW_9 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 in the hall


def test_take_slot_books_up_to_the_capacity_then_refuses(
    hall: HallApp, clerk: Actor, team: uuid.UUID
) -> None:
    with hall.db.unit_of_work() as s:
        slot_id = add_slot(s, clerk.hall_id, team, starts_at=TOMORROW_9, capacity=2)
    for expected in (1, 2):
        with hall.db.unit_of_work() as s:
            slot = take_slot(s, slot_id, clerk, NOW, offline=False)
            assert slot.booked == expected
    with pytest.raises(SlotFull) as err, hall.db.unit_of_work() as s:
        take_slot(s, slot_id, clerk, NOW, offline=False)
    assert err.value.field == "预约时段"
    assert "约满" in err.value.message
    assert isinstance(err.value, ValidationError)
    assert booked(hall.db, slot_id) == 2


def test_take_slot_refuses_the_past_and_the_lead_time(
    hall: HallApp, clerk: Actor, team: uuid.UUID
) -> None:
    with hall.db.unit_of_work() as s:
        soon = add_slot(s, clerk.hall_id, team, starts_at=NOW + timedelta(hours=3), window="a")
        past = add_slot(s, clerk.hall_id, team, starts_at=NOW - timedelta(hours=1), window="b")
        later = add_slot(s, clerk.hall_id, team, starts_at=NOW + timedelta(hours=5), window="c")
    for slot_id in (soon, past):
        with pytest.raises(ValidationError) as err, hall.db.unit_of_work() as s:
            take_slot(s, slot_id, clerk, NOW, offline=False)
        assert not isinstance(err.value, SlotFull)
        assert err.value.field == "预约时段" and "4 小时" in err.value.message
        assert booked(hall.db, slot_id) == 0
    with hall.db.unit_of_work() as s:  # the lead time is configurable
        take_slot(s, soon, clerk, NOW, offline=False, lead_hours=2)
        take_slot(s, later, clerk, NOW, offline=False)
    assert booked(hall.db, soon) == booked(hall.db, later) == 1
    with pytest.raises(ValidationError) as err, hall.db.unit_of_work() as s:
        take_slot(s, uuid.uuid4(), clerk, NOW, offline=False)
    assert "不存在" in err.value.message


def test_offline_only_a_slot_leased_here_outside_its_last_hour(
    hall: HallApp, clerk: Actor, team: uuid.UUID
) -> None:
    assert clerk.counter_id is not None
    with hall.db.unit_of_work() as s:
        other = s.scalars(select(Counter.id).where(Counter.id != clerk.counter_id)).first()
        assert other is not None
        mine = add_slot(
            s,
            clerk.hall_id,
            team,
            starts_at=TOMORROW_9,
            lease=(clerk.counter_id, NOW + timedelta(hours=20)),
        )
        unleased = add_slot(s, clerk.hall_id, team, starts_at=TOMORROW_9, window="afternoon")
        theirs = add_slot(
            s,
            clerk.hall_id,
            team,
            starts_at=TOMORROW_9,
            window="evening",
            lease=(other, NOW + timedelta(hours=20)),
        )
        ending = add_slot(
            s,
            clerk.hall_id,
            team,
            starts_at=TOMORROW_9,
            window="x",
            lease=(clerk.counter_id, NOW + timedelta(minutes=30)),
        )
    for slot_id in (unleased, theirs, ending):
        with pytest.raises(SlotFull) as err, hall.db.unit_of_work() as s:
            take_slot(s, slot_id, clerk, NOW, offline=True)
        assert "离线" in err.value.message
    with hall.db.unit_of_work() as s:
        assert take_slot(s, mine, clerk, NOW, offline=True).booked == 1
    with hall.db.unit_of_work() as s:  # online, the local copy books any slot with room
        take_slot(s, unleased, clerk, NOW, offline=False)
    assert booked(hall.db, unleased) == 1
    nowhere = replace(clerk, counter_id=None)
    with pytest.raises(ValidationError) as err, hall.db.unit_of_work() as s:
        take_slot(s, mine, nowhere, NOW, offline=True)
    assert err.value.field == "窗口"


def test_give_back_slot_never_goes_below_zero(hall: HallApp, clerk: Actor, team: uuid.UUID) -> None:
    with hall.db.unit_of_work() as s:
        slot_id = add_slot(s, clerk.hall_id, team, starts_at=TOMORROW_9, capacity=1, booked=1)
    with hall.db.unit_of_work() as s:
        give_back_slot(s, slot_id, NOW)
    assert booked(hall.db, slot_id) == 0
    with hall.db.unit_of_work() as s:
        give_back_slot(s, slot_id, NOW)
    assert booked(hall.db, slot_id) == 0
    with hall.db.unit_of_work() as s:  # the place is free again
        take_slot(s, slot_id, clerk, NOW, offline=False)
    assert booked(hall.db, slot_id) == 1


# -- the central PostgreSQL ----------------------------------------------------------------------
class Central:
    """A central PostgreSQL with one hall, two counters and one team."""

    def __init__(self, url: str) -> None:
        self.url = url
        engine = make_engine(url)
        upgrade_to_head(engine)
        self.db = Database(engine)
        self.hall_id, self.a, self.b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        with self.db.unit_of_work() as s:
            s.execute(
                insert(Hall).values(
                    id=self.hall_id,
                    code="H-SLOT",
                    name="鼓楼营业厅",
                    region_code="350102",
                    province_code="35",
                    address="福州市鼓楼区",
                    seller_name="中国电信",
                    seller_tax_id="91350100M000100Y43",
                )
            )
            for cid, code in ((self.a, "01"), (self.b, "02")):
                s.execute(
                    insert(Counter).values(id=cid, hall_id=self.hall_id, code=code, name=code)
                )
            self.team = add_team(s, self.hall_id)

    def slot(self, **kw: Any) -> uuid.UUID:
        with self.db.unit_of_work() as s:
            return add_slot(s, self.hall_id, self.team, **kw)

    def booked(self, slot_id: uuid.UUID) -> int:
        return booked(self.db, slot_id)


@pytest.fixture
def central(pg_url: str) -> Iterator[Central]:
    c = Central(pg_url)
    yield c
    c.db.dispose()


@pytest.mark.postgres
def test_book_slot_at_the_central_database(central: Central) -> None:
    slot_id = central.slot(starts_at=TOMORROW_9, capacity=1)
    with central.db.unit_of_work() as s:
        rows = book_slot(s, slot_id, central.a, NOW)
    table, row = rows[-1]
    assert table.name == "install_slots" and row["id"] == slot_id and row["booked"] == 1
    assert {t.name for t, _ in rows[:-1]} >= {"halls", "installer_teams"}
    with pytest.raises(SlotFull), central.db.unit_of_work() as s:
        book_slot(s, slot_id, central.b, NOW)
    assert central.booked(slot_id) == 1
    with central.db.unit_of_work() as s:
        unbook_slot(s, slot_id, central.b, NOW)
        unbook_slot(s, slot_id, central.b, NOW)  # never below zero
    assert central.booked(slot_id) == 0


@pytest.mark.postgres
def test_book_slot_respects_leases_and_the_lead_time(central: Central) -> None:
    far = datetime.now(UTC) + timedelta(hours=20)
    gone = datetime.now(UTC) - timedelta(hours=1)
    held = central.slot(starts_at=TOMORROW_9, lease=(central.a, far))
    lapsed = central.slot(starts_at=TOMORROW_9, window="afternoon", lease=(central.a, gone))
    soon = central.slot(starts_at=NOW + timedelta(hours=2), window="evening")
    with pytest.raises(SlotFull) as err, central.db.unit_of_work() as s:
        book_slot(s, held, central.b, NOW)
    assert "其他窗口" in err.value.message
    with central.db.unit_of_work() as s:
        book_slot(s, held, central.a, NOW)  # the lease holder may
        book_slot(s, lapsed, central.b, NOW)  # a lapsed lease holds nothing
    with pytest.raises(ValidationError) as lead, central.db.unit_of_work() as s:
        book_slot(s, soon, central.a, NOW)
    assert not isinstance(lead.value, SlotFull) and lead.value.field == "预约时段"
    assert (central.booked(held), central.booked(lapsed), central.booked(soon)) == (1, 1, 0)


@pytest.mark.postgres
def test_linked_central_claims_and_releases_a_slot(central: Central) -> None:
    slot_id = central.slot(starts_at=TOMORROW_9, capacity=1)
    link = CentralLink(central.url)
    port = LinkedCentral(link)
    try:
        rows = port.claim_slot(slot_id, central.a, NOW)
        assert rows[-1][1]["booked"] == 1
        with pytest.raises(SlotFull):
            port.claim_slot(slot_id, central.b, NOW)
        assert port.online  # a refusal is no outage
        port.release_slot(slot_id, central.a, NOW)
        assert central.booked(slot_id) == 0
        assert port.claim_slot(slot_id, central.b, NOW)[-1][1]["booked"] == 1
    finally:
        link.close()


@pytest.mark.postgres
def test_cli_makes_the_slots_at_the_central_database(
    central: Central, capsys: pytest.CaptureFixture[str]
) -> None:
    with central.db.unit_of_work() as s:
        s.execute(
            insert(TeamArea).values(
                id=uuid.uuid4(), team_id=central.team, community="温泉花园", capacity=2
            )
        )
    args = ["--db", "sqlite:///:memory:", "slots", "make", "--days", "4", "--central", central.url]
    assert cli_main(args) == 0
    assert "鼓楼营业厅（H-SLOT）：新增装机预约时段 12 个" in capsys.readouterr().out
    assert cli_main(args) == 0  # again: nothing new
    assert "新增装机预约时段 0 个" in capsys.readouterr().out
    with central.db.read() as s:
        stamped = s.scalars(select(InstallSlot.central_at)).all()
    assert len(stamped) == 12 and all(stamped)  # stamped centrally, for the counters' pull
