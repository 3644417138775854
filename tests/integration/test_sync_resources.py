"""Shared resources decided by the central database: three counters, each on its own SQLite
file, against a real PostgreSQL. Online, tickets, numbers and SIMs are taken there (zero
doubles under concurrency); offline, each counter sells only its leases and serves only its
walk-ins and the tickets addressed to it."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from hall_app.app import HallApp, build_app
from hall_app.cli import main as cli_main
from hall_app.config import Settings
from hall_app.db.central import Claim, Offline
from hall_app.db.engine import Database, make_engine
from hall_app.db.models import (
    AuditEntry,
    Counter,
    PhoneNumber,
    PrettyTier,
    QueueTicket,
    ResourceClash,
    ServiceType,
    SimCard,
    SyncOutbox,
)
from hall_app.db.outbox import QUARANTINED
from hall_app.domain.enums import NumberStatus, SimStatus, TicketStatus
from hall_app.domain.errors import PermissionDenied, StorageError, ValidationError
from hall_app.domain.payments import PaymentInput
from hall_app.domain.telecom import luhn_check_digit
from hall_app.services.actor import Actor
from hall_app.services.numbers import NumberFilter
from hall_app.sync.leases import (
    ORDINARY_NUMBERS,
    PRETTY_NUMBERS,
    SIMS,
    lease_resources,
    mirror_leases,
)
from hall_app.sync.push import Pusher
from tests.conftest import CentralSnapshots, FakeClock, Snapshot
from tests.integration.test_open_mobile import _request

pytestmark = pytest.mark.postgres
DEAD = "postgresql://x@127.0.0.1:1/none"
CODES = ("01", "02", "03")  # all three serve 综合业务 (general)


class Hall:
    """Three counters of one hall and their central database. Each counter's file is a copy
    of ``template``, or (with none) is in ``tmp_path`` already, restored from a snapshot."""

    def __init__(
        self, pg_url: str, template: Path | None, tmp_path: Path, clock: FakeClock
    ) -> None:
        self.url = pg_url
        self.clock = clock
        self.files = {c: tmp_path / f"counter-{c}.sqlite3" for c in CODES}
        for path in self.files.values():
            if template is not None:
                shutil.copyfile(template, path)
            assert path.exists()
        self.central = make_engine(pg_url)
        self.apps: dict[str, HallApp] = {}

    def open(self, code: str, url: str | None = None) -> HallApp:
        if code in self.apps:
            self.apps.pop(code).close()
        env = {"HALL_CENTRAL_URL": url or self.url, "HALL_COUNTER": code}
        app = build_app(
            Settings.load(env=env, db_url=f"sqlite:///{self.files[code]}"), clock=self.clock
        )
        self.apps[code] = app
        return app

    def clerk(self, code: str) -> Actor:
        actor = self.apps[code].auth.log_in("clerk1", "hall1234")
        assert actor.counter_id == self.counter_id(code)
        return actor

    def counter_id(self, code: str) -> uuid.UUID:
        with self.central.connect() as conn:
            return conn.execute(select(Counter.id).where(Counter.code == code)).scalar_one()

    def close(self) -> None:
        for app in self.apps.values():
            app.close()
        self.central.dispose()


def _morning(url: str, demo: Path, folder: Path, clock: FakeClock) -> None:
    """central init, counter 01's first load, and each counter's morning round."""
    assert cli_main(["--db", "sqlite:///:memory:", "central", "init", "--central", url]) == 0
    h = Hall(url, demo, folder, clock)
    try:
        first = h.open("01")
        Pusher(first.db, h.central, clock).enqueue_all()  # the first load
        for code in CODES:  # the morning round: push, leases, pull
            (h.apps.get(code) or h.open(code)).sync.run_round()
    finally:
        h.close()


def restored_hall(hall: Hall, snap: Snapshot, codes: tuple[str, ...] = CODES) -> Hall:
    """``hall`` (on a snapshot's files) with the counters the snapshot's steps opened open."""
    assert hall.clock.now == snap.now
    for code in codes:
        hall.open(code)
    return hall


@pytest.fixture
def hall(
    central_snapshots: CentralSnapshots,
    restore: Callable[[Snapshot], str],
    tmp_path: Path,
    clock: FakeClock,
) -> Iterator[Hall]:
    """The morning's start (run once, _morning), copied for this test."""
    snap = central_snapshots.get("hall", _morning)
    h = Hall(restore(snap), None, tmp_path, clock)
    try:
        yield restored_hall(h, snap)
    finally:
        h.close()


def _in_threads(workers: list[Callable[[], None]]) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(len(workers))

    def run(work: Callable[[], None]) -> None:
        start.wait()
        try:
            work()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors


def test_concurrent_calls_across_counters_never_double(hall: Hall) -> None:
    clerks = {code: hall.clerk(code) for code in CODES}
    issued = {hall.apps["01"].queue.issue_ticket(clerks["01"], "general").id for _ in range(45)}
    with hall.central.connect() as conn:  # issued at the central database
        assert conn.scalar(select(func.count()).select_from(QueueTicket).where(
            QueueTicket.id.in_(issued), QueueTicket.status == TicketStatus.WAITING
        )) == 45  # fmt: skip
    called: dict[str, list[uuid.UUID]] = {code: [] for code in CODES}

    def caller(code: str) -> Callable[[], None]:
        def work() -> None:
            queue = hall.apps[code].queue
            while (ticket := queue.call_next(clerks[code])) is not None:
                called[code].append(ticket.id)
                queue.finish(clerks[code], ticket.id)  # one ticket at a time per counter

        return work

    _in_threads([caller(code) for code in CODES])  # 3 counters at once
    every = [t for ids in called.values() for t in ids]
    assert len(every) == len(set(every)) == 45 and set(every) == issued  # zero doubles
    with hall.central.connect() as conn:
        holder = dict(conn.execute(select(QueueTicket.id, QueueTicket.counter_id).where(
            QueueTicket.id.in_(issued)
        )).all())  # fmt: skip
    for code, ids in called.items():
        assert ids, f"counter {code} called nothing"
        assert {holder[t] for t in ids} == {hall.counter_id(code)}
        with hall.apps[code].db.read() as s:  # mirrored locally, as called here
            local = s.scalars(select(QueueTicket).where(QueueTicket.id.in_(ids))).all()
            assert len(local) == len(ids)
            assert {t.status for t in local} == {TicketStatus.DONE}
            assert all(t.counter_id == hall.counter_id(code) for t in local)


def test_concurrent_reservations_across_counters_never_double(hall: Hall) -> None:
    clerks = {code: hall.clerk(code) for code in CODES}
    with hall.central.connect() as conn:
        wanted = list(conn.scalars(select(PhoneNumber.number).where(
            PhoneNumber.status == NumberStatus.AVAILABLE, PhoneNumber.lease_counter_id.is_(None)
        ).order_by(PhoneNumber.number).limit(12)))  # fmt: skip
    won: dict[str, list[str]] = {code: [] for code in CODES}
    lost: list[str] = []

    def reserver(code: str) -> Callable[[], None]:
        def work() -> None:
            for number in wanted:
                try:
                    hall.apps[code].numbers.reserve_number(clerks[code], number)
                except ValidationError as exc:
                    assert exc.field == "号码" and "已被其他窗口预占" in exc.text
                    lost.append(number)
                else:
                    won[code].append(number)

        return work

    _in_threads([reserver(code) for code in CODES for _ in range(3)])
    every = [n for numbers in won.values() for n in numbers]
    assert sorted(every) == sorted(wanted)  # each number exactly once
    assert len(lost) == 9 * len(wanted) - len(wanted)
    with hall.central.connect() as conn:
        held = dict(conn.execute(select(PhoneNumber.number, PhoneNumber.reserved_by_counter_id)
                                 .where(PhoneNumber.number.in_(wanted))).all())  # fmt: skip
    for code, numbers in won.items():
        assert {held[n] for n in numbers} <= {hall.counter_id(code)}


def test_leases_are_disjoint_and_renewed(hall: Hall) -> None:
    with hall.central.connect() as conn:
        numbers = conn.execute(
            select(PhoneNumber.lease_counter_id, PhoneNumber.pretty_tier_id.is_(None), func.count())
            .where(PhoneNumber.lease_counter_id.is_not(None))
            .group_by(PhoneNumber.lease_counter_id, PhoneNumber.pretty_tier_id.is_(None))
        ).all()
        sims = dict(conn.execute(
            select(SimCard.lease_counter_id, func.count())
            .where(SimCard.lease_counter_id.is_not(None)).group_by(SimCard.lease_counter_id)
        ).all())  # fmt: skip
    # Every counter holds its share; a row has one lease column, so the sets are disjoint.
    for code in CODES:
        cid = hall.counter_id(code)
        assert (cid, True, ORDINARY_NUMBERS) in numbers and (cid, False, PRETTY_NUMBERS) in numbers
        assert sims[cid] == SIMS
    # The next round renews (no new rows), and the counter has its leases locally.
    cid = hall.counter_id("02")

    def local_leases() -> list[datetime]:
        with hall.apps["02"].db.read() as s:
            return list(s.scalars(select(PhoneNumber.lease_until).where(
                PhoneNumber.lease_counter_id == cid
            )))  # fmt: skip

    before = local_leases()
    assert len(before) == ORDINARY_NUMBERS + PRETTY_NUMBERS and len(set(before)) == 1
    hall.apps["02"].sync.run_round()
    after = local_leases()
    assert len(after) == ORDINARY_NUMBERS + PRETTY_NUMBERS and len(set(after)) == 1
    assert after[0] > before[0]  # renewed: 24 hours from now by the central clock


def test_offline_a_counter_sells_only_its_leases_until_they_lapse(hall: Hall) -> None:
    offline = hall.open("02", DEAD)
    clerk = hall.clerk("02")
    cid = clerk.counter_id
    found = offline.numbers.find_numbers(clerk, NumberFilter(tier_code=""))
    with offline.db.read() as s:
        leased = set(s.scalars(select(PhoneNumber.number).where(
            PhoneNumber.lease_counter_id == cid
        )))  # fmt: skip
        other = s.scalars(select(PhoneNumber.number).where(
            PhoneNumber.status == NumberStatus.AVAILABLE, PhoneNumber.lease_counter_id.is_(None)
        ).limit(1)).one()  # fmt: skip
    assert len(found) == ORDINARY_NUMBERS and {n.number for n in found} <= leased
    with pytest.raises(ValidationError) as err:
        offline.numbers.reserve_number(clerk, other)
    assert err.value.field == "号码" and "离线时只能选用本窗口租用的号码" in err.value.text
    # An order on the lease works offline; a SIM outside the lease is refused by name.
    done = offline.orders.open_mobile_number(clerk, _request(offline, clerk))
    assert done.order_no.startswith("SL20261124" + "02")
    with offline.db.read() as s:
        foreign_sim = s.scalars(select(SimCard.iccid).where(
            SimCard.status == SimStatus.IN_STOCK, SimCard.lease_counter_id.is_(None)
        ).limit(1)).one()  # fmt: skip
    with pytest.raises(ValidationError) as err:
        offline.orders.check_sim(clerk, foreign_sim)
    assert err.value.field == "ICCID" and "离线时只能使用本窗口租用的卡" in err.value.text

    # A day and more offline: the leases lapse, the counter stops offering the numbers ...
    hall.clock.now += timedelta(hours=1)
    _lapse_leases(hall, "02")
    assert offline.numbers.find_numbers(clerk, NumberFilter(tier_code="")) == []
    # ... and an online counter may now take one of them.
    lapsed = sorted(leased - {done.number})[0]
    online = hall.apps["01"]
    reservation = online.numbers.reserve_number(hall.clerk("01"), lapsed)
    assert reservation.number.number == lapsed


def test_online_a_number_leased_to_another_counter_is_refused(hall: Hall) -> None:
    clerk = hall.clerk("01")
    with hall.central.connect() as conn:
        theirs = conn.scalars(select(PhoneNumber.number).where(
            PhoneNumber.lease_counter_id == hall.counter_id("02"),
            PhoneNumber.pretty_tier_id.is_(None),
        ).limit(1)).one()  # fmt: skip
    offered = hall.apps["01"].numbers.find_numbers(clerk, NumberFilter(contains=theirs[-8:]))
    assert theirs not in {n.number for n in offered}
    with pytest.raises(ValidationError) as err:
        hall.apps["01"].numbers.reserve_number(clerk, theirs)
    assert "已租给其他窗口离线销售" in err.value.text


def test_online_reserve_replacing_is_all_or_nothing_at_the_central_database(hall: Hall) -> None:
    a, clerk = hall.apps["01"], hall.clerk("01")
    first, second = (n.number for n in a.numbers.find_numbers(clerk, NumberFilter())[:2])
    with hall.central.connect() as conn:
        theirs = conn.scalars(select(PhoneNumber.number).where(
            PhoneNumber.lease_counter_id == hall.counter_id("02"),
            PhoneNumber.pretty_tier_id.is_(None),
        ).limit(1)).one()  # fmt: skip

    def central(number: str) -> tuple[str, uuid.UUID | None]:
        with hall.central.connect() as conn:
            status, counter = conn.execute(
                select(PhoneNumber.status, PhoneNumber.reserved_by_counter_id).where(
                    PhoneNumber.number == number
                )
            ).one()
            return str(status), counter

    a.numbers.reserve_number(clerk, first)
    with pytest.raises(ValidationError, match="已租给其他窗口离线销售"):
        a.numbers.reserve_number(clerk, theirs, replacing=first)
    assert central(first) == ("reserved", clerk.counter_id)  # the old one is kept
    a.numbers.reserve_number(clerk, second, replacing=first)
    assert central(first) == ("available", None)
    assert central(second) == ("reserved", clerk.counter_id)
    with a.db.read() as s:  # and mirrored so at the counter
        local = dict(s.execute(select(PhoneNumber.number, PhoneNumber.status).where(
            PhoneNumber.number.in_([first, second])
        )).all())  # fmt: skip
    assert local == {first: NumberStatus.AVAILABLE, second: NumberStatus.RESERVED}


def test_a_sim_is_taken_once_and_given_back_when_the_order_fails(hall: Hall) -> None:
    a, b = hall.apps["01"], hall.apps["02"]
    clerk_a, clerk_b = hall.clerk("01"), hall.clerk("02")
    with hall.central.connect() as conn:
        sim = conn.scalars(select(SimCard.iccid).where(
            SimCard.status == SimStatus.IN_STOCK, SimCard.lease_counter_id.is_(None)
        ).order_by(SimCard.iccid).limit(1)).one()  # fmt: skip
    req_a = _request(a, clerk_a, iccid=sim)
    # A failed order (too little cash) takes nothing: the SIM stays in stock centrally and
    # the number stays reserved for this counter.
    short = (PaymentInput(req_a.payments[0].method, 100, tendered_fen=100),)
    with pytest.raises(ValidationError):
        a.orders.open_mobile_number(clerk_a, replace(req_a, payments=short))
    with hall.central.connect() as conn:
        assert conn.scalar(select(SimCard.status).where(SimCard.iccid == sim)) == "in_stock"
        assert conn.execute(
            select(PhoneNumber.status, PhoneNumber.reserved_by_counter_id).where(
                PhoneNumber.number == req_a.number
            )
        ).one() == ("reserved", clerk_a.counter_id)
    a.orders.open_mobile_number(clerk_a, req_a)
    # Counter 02's copy still shows the SIM in stock; the central database says otherwise.
    with pytest.raises(ValidationError) as err:
        b.orders.check_sim(clerk_b, sim)
    assert err.value.field == "ICCID" and "已使用" in err.value.text
    req_b = _request(b, clerk_b, skip=1, iccid=sim)
    with pytest.raises(ValidationError) as err:
        b.orders.open_mobile_number(clerk_b, req_b)
    assert err.value.field == "ICCID"
    with hall.central.connect() as conn:  # the refused order took nothing centrally
        assert (
            conn.execute(
                select(PhoneNumber.status).where(PhoneNumber.number == req_b.number)
            ).scalar_one()
            == "reserved"
        )
        assert (
            conn.execute(
                select(SimCard.taken_by_counter_id).where(SimCard.iccid == sim)
            ).scalar_one()
            == clerk_a.counter_id
        )


def test_offline_the_queue_serves_walk_ins_and_tickets_addressed_here(hall: Hall) -> None:
    online = hall.apps["01"]
    clerk_a = hall.clerk("01")
    first = online.queue.issue_ticket(clerk_a, "general")  # A001, at the central database
    offline = hall.open("02", DEAD)
    clerk = hall.clerk("02")
    # Its database holds a waiting ticket any counter may call, and one addressed to it.
    general = _general(offline)
    with offline.db.unit_of_work() as s:
        for seq, target in ((900, None), (901, clerk.counter_id)):
            s.add(QueueTicket(
                hall_id=clerk.hall_id, service_type_id=general,
                business_date=hall.clock.now.date(), seq=seq, ticket_no=f"A{seq}",
                status=TicketStatus.WAITING, issued_at=hall.clock.now, target_counter_id=target,
            ))  # fmt: skip
    called = offline.queue.call_next(clerk)
    assert called is not None and called.ticket_no == "A901"  # the one addressed here
    with pytest.raises(ValidationError, match="请先办结或过号当前的 A901"):
        offline.queue.call_next(clerk)  # one ticket at a time, offline too
    offline.queue.finish(clerk, called.id)
    assert offline.queue.call_next(clerk) is None  # never the hall's ticket
    with pytest.raises(ValidationError) as err:
        offline.queue.issue_ticket(clerk, "general")
    assert err.value.field == "排队号" and "离线时不能发放全厅的排队号" in err.value.text
    walk_in = offline.queue.serve_walk_in(clerk, "general")
    assert walk_in.ticket_no == "A02-001" and walk_in.status is TicketStatus.SERVING
    with pytest.raises(ValidationError, match="请先办结或过号当前的 A02-001"):
        offline.queue.serve_walk_in(clerk, "general")
    offline.queue.finish(clerk, walk_in.id)
    second = offline.queue.serve_walk_in(clerk, "general")
    assert second.ticket_no == "A02-002"
    # The link is back: the walk-in served offline, not pushed yet, still holds the counter.
    back = hall.open("02")
    with pytest.raises(ValidationError, match="请先办结或过号当前的 A02-002"):
        back.queue.call_next(clerk)
    back.queue.finish(clerk, second.id)
    # The walk-ins arrive beside the hall's own A001, no clash.
    report = back.sync.run_round()
    assert report.quarantined == 0
    with back.db.read() as s:
        assert s.scalar(select(func.count()).where(SyncOutbox.status == QUARANTINED)) == 0
    with hall.central.connect() as conn:
        numbers = set(conn.scalars(select(QueueTicket.ticket_no).where(
            QueueTicket.business_date == hall.clock.now.date()
        )))  # fmt: skip
    assert {first.ticket_no, "A02-001", "A02-002"} <= numbers


def _general(app: HallApp) -> uuid.UUID:
    with app.db.read() as s:
        return s.scalars(select(ServiceType.id).where(ServiceType.code == "general")).one()


def test_a_number_and_sim_sold_twice_central_wins_and_the_order_is_flagged(hall: Hall) -> None:
    """Counter 02 sells a leased number and SIM offline, then stays offline past its lease;
    counter 01 sells the same number and SIM online. When 02 comes back, the central copy
    wins and 02's order is flagged for a supervisor, once."""
    offline = hall.open("02", DEAD)
    clerk_b = hall.clerk("02")
    sold = offline.orders.open_mobile_number(clerk_b, _request(offline, clerk_b))
    with offline.db.read() as s:
        sim = s.scalars(
            select(SimCard.iccid).where(SimCard.taken_by_counter_id == clerk_b.counter_id)
        ).one()
    hall.clock.now += timedelta(hours=1)
    _lapse_leases(hall, "02")  # the lease lapses while 02 is still offline
    online, clerk_a = hall.apps["01"], hall.clerk("01")
    online.numbers.reserve_number(clerk_a, sold.number)
    req = replace(_request(online, clerk_a, skip=3), number=sold.number, iccid=sim)
    theirs = online.orders.open_mobile_number(clerk_a, req)
    online.sync.run_round()

    back = hall.open("02")
    report = back.sync.run_round()
    assert report.clashes == 2 and report.quarantined == 0
    assert back.sync.status().waiting == 2  # the two audit entries of the clash: next round
    with hall.central.connect() as conn:
        number_holder = conn.execute(
            select(PhoneNumber.status, PhoneNumber.reserved_by_counter_id).where(
                PhoneNumber.number == sold.number
            )
        ).one()
        sim_holder = conn.execute(
            select(SimCard.taken_by_counter_id).where(SimCard.iccid == sim)
        ).scalar_one()
        clashes = conn.execute(select(ResourceClash)).all()
    assert number_holder == ("assigned", clerk_a.counter_id)  # the central copy stayed
    assert sim_holder == clerk_a.counter_id
    assert len(clashes) == 2
    assert {c.order_id for c in clashes} == {sold.order_id}  # 02's order, flagged
    assert {c.counter_id for c in clashes} == {clerk_b.counter_id}
    number_clash = next(c for c in clashes if c.resource == "number")
    assert sold.order_no in number_clash.detail and "1号窗口" in number_clash.detail
    assert sold.number not in number_clash.detail  # masked in the text
    assert theirs.order_no not in number_clash.detail
    with back.db.read() as s:  # 02 took the central copy and recorded what happened
        local = s.execute(
            select(PhoneNumber.reserved_by_counter_id).where(PhoneNumber.number == sold.number)
        ).scalar_one()
        audited = s.scalar(select(func.count()).where(AuditEntry.action == "sync.resource_clash"))
    assert local == clerk_a.counter_id and audited == 2

    # Once more: nothing new. The clash reached the counter's supervisors with the pull.
    again = back.sync.run_round()
    assert again.clashes == 0 and again.sent == 2 and back.sync.status().waiting == 0
    boss = back.auth.log_in("super1", "hall1234")
    views = back.sync.clashes(boss)
    assert len(views) == 2 and {v.order_no for v in views} == {sold.order_no}
    assert back.sync.status().clashes == 2
    with pytest.raises(PermissionDenied):
        back.sync.clashes(clerk_b)
    with pytest.raises(ValidationError) as err:
        back.sync.resolve_clash(boss, views[0].id, "  ")
    assert err.value.field == "处理结果"
    hall.clock.now += timedelta(minutes=20)  # the supervisor calls the customer
    for v in views:
        back.sync.resolve_clash(boss, v.id, "已联系客户改选新号码并换卡")
    assert back.sync.clashes(boss) == [] and back.sync.status().clashes == 0
    back.sync.run_round()
    with hall.central.connect() as conn:  # settled centrally too
        assert (
            conn.scalar(select(func.count()).where(ResourceClash.resolved_by_id == boss.staff_id))
            == 2
        )


def _lapse_leases(hall: Hall, code: str) -> None:
    """Counter ``code``'s leases run out: by the central clock there, by its own clock at the
    counter."""
    cid = hall.counter_id(code)
    with hall.central.begin() as conn:
        for model in (PhoneNumber, SimCard):
            conn.execute(update(model).where(model.lease_counter_id == cid).values(
                lease_until=func.now() - timedelta(minutes=1)))  # fmt: skip
    with hall.apps[code].db.unit_of_work() as s:
        for model in (PhoneNumber, SimCard):
            s.execute(update(model).where(model.lease_counter_id == cid).values(
                lease_until=hall.clock.now - timedelta(minutes=1)))  # fmt: skip


def test_housekeeping_and_pushes_never_free_another_counters_sale(hall: Hall) -> None:
    """Counter 01's copy still shows a number reserved by 02, long expired; centrally 02 has
    sold it. 01's housekeeping leaves it alone, and a push that would free it is refused."""
    a, clerk_a, clerk_b = hall.apps["01"], hall.clerk("01"), hall.clerk("02")
    b = hall.apps["02"]
    req = _request(b, clerk_b)  # reserves the number
    number = req.number
    b.orders.open_mobile_number(clerk_b, req)  # sold by 02, online
    with a.db.unit_of_work() as s:  # 01's stale copy: reserved by 02 an hour ago
        s.execute(update(PhoneNumber).where(PhoneNumber.number == number).values(
            status=NumberStatus.RESERVED, reserved_by_counter_id=clerk_b.counter_id,
            reserved_until=hall.clock.now - timedelta(hours=1),
        ))  # fmt: skip
    a.numbers.release_expired(clerk_a.counter_id)
    with a.db.read() as s:
        assert s.scalar(select(PhoneNumber.status).where(PhoneNumber.number == number)) is (
            NumberStatus.RESERVED
        )  # not 01's to tidy
    with a.db.unit_of_work() as s:  # even if 01's copy says it is free, and says so later
        s.execute(update(PhoneNumber).where(PhoneNumber.number == number).values(
            status=NumberStatus.AVAILABLE, reserved_by_counter_id=None, reserved_until=None,
            updated_at=hall.clock.now + timedelta(hours=2),
        ))  # fmt: skip
    a.sync.run_round()
    with hall.central.connect() as conn:
        assert conn.execute(
            select(PhoneNumber.status, PhoneNumber.reserved_by_counter_id).where(
                PhoneNumber.number == number
            )
        ).one() == ("assigned", clerk_b.counter_id)


def test_an_offline_sale_on_the_lease_arrives_whatever_the_clocks_say(hall: Hall) -> None:
    """The counter's clock is behind the central one: its offline sale of a leased number and
    SIM still wins over the central copy, which nobody else could have sold."""
    offline = hall.open("02", DEAD)
    clerk = hall.clerk("02")
    sold = offline.orders.open_mobile_number(clerk, _request(offline, clerk))
    with offline.db.read() as s:
        sim = s.scalars(select(SimCard.iccid).where(
            SimCard.taken_by_counter_id == clerk.counter_id)).one()  # fmt: skip
    with hall.central.begin() as conn:  # a central change stamped after the sale
        for model, key, value in ((PhoneNumber, PhoneNumber.number, sold.number),
                                  (SimCard, SimCard.iccid, sim)):  # fmt: skip
            conn.execute(update(model).where(key == value).values(
                updated_at=hall.clock.now + timedelta(days=1)))  # fmt: skip
    report = hall.open("02").sync.run_round()
    assert report.clashes == 0 and report.quarantined == 0
    with hall.central.connect() as conn:
        assert conn.execute(
            select(PhoneNumber.status, PhoneNumber.reserved_by_counter_id).where(
                PhoneNumber.number == sold.number
            )
        ).one() == ("assigned", clerk.counter_id)
        assert conn.execute(
            select(SimCard.status, SimCard.taken_by_counter_id).where(SimCard.iccid == sim)
        ).one() == ("assigned", clerk.counter_id)


def test_offline_a_number_reserved_online_but_not_leased_is_not_sold(hall: Hall) -> None:
    online = hall.apps["02"]
    clerk = hall.clerk("02")
    with hall.central.connect() as conn:
        free = conn.scalars(select(PhoneNumber.number).where(
            PhoneNumber.status == NumberStatus.AVAILABLE, PhoneNumber.lease_counter_id.is_(None),
            PhoneNumber.pretty_tier_id.is_(None),
        ).limit(1)).one()  # fmt: skip
    online.numbers.reserve_number(clerk, free)
    offline = hall.open("02", DEAD)  # the link drops before the order completes
    req = replace(_request(offline, clerk), number=free)
    with pytest.raises(ValidationError) as err:
        offline.orders.open_mobile_number(clerk, req)
    assert err.value.field == "号码" and "离线时只能使用本窗口租用的号码" in err.value.text


def test_a_transfer_reaches_the_hall_queue_at_once_and_the_target_window(hall: Hall) -> None:
    a, b = hall.apps["01"], hall.apps["02"]
    clerk_a, clerk_b = hall.clerk("01"), hall.clerk("02")
    issued = a.queue.issue_ticket(clerk_a, "general")
    called = a.queue.call_next(clerk_a)
    assert called is not None and called.id == issued.id
    a.queue.transfer(clerk_a, called.id, counter_code="02")
    with hall.central.connect() as conn:  # at once, not with the next push
        assert conn.execute(
            select(QueueTicket.status, QueueTicket.target_counter_id).where(
                QueueTicket.id == issued.id
            )
        ).one() == ("waiting", clerk_b.counter_id)
    b.sync.run_round()  # the round brings tickets addressed to 02 …
    offline = hall.open("02", DEAD)  # … which it serves even with the link down
    got = offline.queue.call_next(clerk_b)
    assert got is not None and got.id == issued.id


def test_a_claim_that_could_not_be_undone_is_undone_next_round(
    hall: Hall, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, clerk = hall.apps["01"], hall.clerk("01")
    req = _request(a, clerk)
    real_run = a.link.run
    calls: list[int] = []

    def flaky(work: Callable[[Session], object]) -> object:
        calls.append(1)
        if len(calls) == 2:  # the link drops right after the claim
            raise Offline
        return real_run(work)

    monkeypatch.setattr(a.link, "run", flaky)
    short = (PaymentInput(req.payments[0].method, 100, tendered_fen=100),)
    with pytest.raises(ValidationError):
        a.orders.open_mobile_number(clerk, replace(req, payments=short))
    monkeypatch.undo()
    with hall.central.connect() as conn:  # claimed, and stuck there for now
        assert conn.scalar(select(SimCard.status).where(SimCard.iccid == req.iccid)) == "assigned"
    with a.db.read() as s:
        assert len(Claim.kept(s)) == 1
    a.sync.run_round()
    with hall.central.connect() as conn:
        assert conn.scalar(select(SimCard.status).where(SimCard.iccid == req.iccid)) == "in_stock"
        assert conn.execute(
            select(PhoneNumber.status, PhoneNumber.reserved_by_counter_id).where(
                PhoneNumber.number == req.number
            )
        ).one() == ("reserved", clerk.counter_id)
    with a.db.read() as s:
        assert Claim.kept(s) == []


def test_online_one_ticket_at_a_time_is_checked_at_the_central_database(hall: Hall) -> None:
    a, clerk_a = hall.apps["01"], hall.clerk("01")
    a.queue.issue_ticket(clerk_a, "general")
    a.queue.issue_ticket(clerk_a, "general")
    first = a.queue.call_next(clerk_a)
    assert first is not None
    with pytest.raises(ValidationError, match=f"请先办结或过号当前的 {first.ticket_no}"):
        a.queue.call_next(clerk_a)
    with pytest.raises(ValidationError, match=f"请先办结或过号当前的 {first.ticket_no}"):
        a.queue.serve_walk_in(clerk_a, "general")
    # The counter's own copy lost the call (a fresh file): the central database still refuses.
    with a.db.unit_of_work() as s:
        s.execute(delete(QueueTicket).where(QueueTicket.id == first.id))
    with pytest.raises(ValidationError, match=f"请先办结或过号当前的 {first.ticket_no}"):
        a.queue.call_next(clerk_a)
    with hall.central.connect() as conn:
        called = conn.scalar(select(func.count()).where(
            QueueTicket.counter_id == clerk_a.counter_id, QueueTicket.status == "called"
        ))  # fmt: skip
    assert called == 1


def test_a_synced_counter_must_name_its_window(hall: Hall) -> None:
    settings = Settings.load(env={"HALL_CENTRAL_URL": hall.url}, db_url="sqlite:///:memory:")
    with pytest.raises(StorageError) as err:
        build_app(settings, clock=hall.clock)
    assert err.value.field == "设置" and "HALL_COUNTER" in err.value.text
    # The central database's own tool does not need a window.
    assert cli_main(["--db", "sqlite:///:memory:", "central", "init", "--central", hall.url]) == 0


def test_a_new_ticket_counts_the_hall_queue_ahead_of_it(hall: Hall) -> None:
    a, b = hall.apps["01"], hall.apps["02"]
    clerk_a, clerk_b = hall.clerk("01"), hall.clerk("02")
    a.queue.issue_ticket(clerk_a, "general")
    a.queue.issue_ticket(clerk_a, "general")
    assert b.queue.call_next(clerk_b) is not None  # 01's copy still shows it waiting
    third = a.queue.issue_ticket(clerk_a, "general")
    assert third.waiting_ahead == 1  # as the hall's queue has it, for the slip


def test_a_ticket_changed_offline_is_finished_once_the_link_is_back(hall: Hall) -> None:
    """Called offline, served once the link is back: the central copy is behind (the call has
    not gone yet), so the next changes are made at the counter and go with the next push."""
    a, clerk_a, clerk = hall.apps["01"], hall.clerk("01"), hall.clerk("02")
    issued = a.queue.issue_ticket(clerk_a, "general")
    assert a.queue.call_next(clerk_a) is not None
    a.queue.transfer(clerk_a, issued.id, counter_code="02")
    hall.apps["02"].sync.run_round()
    hall.clock.now += timedelta(minutes=3)
    offline = hall.open("02", DEAD)
    called = offline.queue.call_next(clerk)
    assert called is not None and called.id == issued.id
    hall.clock.now += timedelta(minutes=2)
    back = hall.open("02")
    assert back.queue.start_service(clerk, issued.id).status is TicketStatus.SERVING
    assert back.queue.finish(clerk, issued.id).status is TicketStatus.DONE
    back.sync.run_round()
    with hall.central.connect() as conn:
        assert conn.scalar(select(QueueTicket.status).where(QueueTicket.id == issued.id)) == (
            "done"
        )


def _new_sim(hall: Hall, hall_id: uuid.UUID, n: int) -> str:
    body = "8986" + "0" * 8 + f"{1234560 + n}"
    iccid = body + luhn_check_digit(body)
    with hall.central.begin() as conn:
        now = conn.scalar(select(func.now()))
        conn.execute(insert(SimCard).values(
            id=uuid.uuid4(), created_at=now, updated_at=now, iccid=iccid,
            imsi=f"46000999999{n:04d}", status="in_stock", hall_id=hall_id,
        ))  # fmt: skip
    return iccid


def test_a_sim_delivered_centrally_is_sold_online_at_once(hall: Hall) -> None:
    """The counter never had this SIM (the pool is not copied to counters): the central claim
    brings it, and the order takes it."""
    a, clerk = hall.apps["01"], hall.clerk("01")
    iccid = _new_sim(hall, clerk.hall_id, 1)
    assert a.orders.check_sim(clerk, iccid).iccid == iccid
    done = a.orders.open_mobile_number(clerk, replace(_request(a, clerk), iccid=iccid))
    with a.db.read() as s:
        assert s.scalar(select(SimCard.status).where(SimCard.iccid == iccid)) is (
            SimStatus.ASSIGNED
        )
    a.sync.run_round()
    with hall.central.connect() as conn:
        assert conn.execute(
            select(SimCard.status, SimCard.taken_by_counter_id).where(SimCard.iccid == iccid)
        ).one() == ("assigned", clerk.counter_id)
    assert done.order_no


def test_a_lease_in_a_tier_created_centrally_does_not_stop_the_rounds(hall: Hall) -> None:
    b, clerk = hall.apps["02"], hall.clerk("02")
    tier = uuid.uuid4()
    with hall.central.begin() as conn:
        now = conn.scalar(select(func.now()))
        conn.execute(insert(PrettyTier).values(
            id=tier, created_at=now, updated_at=now, code="T9", name="新靓号", rank=9,
            patterns="AAAA", prepayment_fen=10_000, min_monthly_fen=0, lock_in_months=0,
        ))  # fmt: skip
        for i in range(6):  # a new batch of pretty numbers in the new tier
            conn.execute(insert(PhoneNumber).values(
                id=uuid.UUID(f"00000000-0000-4000-8000-00000000010{i}"), created_at=now,
                updated_at=now, number=f"1990000{i}888", status="available",
                pretty_tier_id=tier, has_four=False, hall_id=clerk.hall_id,
            ))  # fmt: skip
        # The counter's own pretty leases are taken (sold elsewhere, say): the top-up must
        # reach into the new tier.
        conn.execute(update(PhoneNumber).where(
            PhoneNumber.lease_counter_id == clerk.counter_id,
            PhoneNumber.pretty_tier_id.is_not(None),
        ).values(lease_counter_id=None, lease_until=None))  # fmt: skip
        conn.execute(update(PhoneNumber).where(
            PhoneNumber.pretty_tier_id.is_not(None), PhoneNumber.pretty_tier_id != tier,
            PhoneNumber.status == "available",
        ).values(status="quarantined"))  # fmt: skip
    b.sync.run_round()
    b.sync.run_round()
    with b.db.read() as s:
        assert s.scalar(select(func.count()).where(PrettyTier.code == "T9")) == 1
        mine = s.scalar(select(func.count()).where(
            PhoneNumber.lease_counter_id == clerk.counter_id, PhoneNumber.pretty_tier_id == tier
        ))  # fmt: skip
    assert mine == PRETTY_NUMBERS
    assert b.link.online


def test_a_stale_copy_on_the_lease_never_reverts_a_central_change(hall: Hall) -> None:
    offline = hall.open("02", DEAD)
    clerk = hall.clerk("02")
    number = offline.numbers.find_numbers(clerk, NumberFilter(tier_code=""))[0].number
    offline.numbers.reserve_number(clerk, number)
    offline.numbers.release_number(clerk, number)  # nothing sold, but queued to go
    with hall.central.begin() as conn:  # later, centrally: it becomes a pretty number
        tier = conn.scalar(select(PrettyTier.id).where(PrettyTier.code == "T3"))
        conn.execute(update(PhoneNumber).where(PhoneNumber.number == number).values(
            pretty_tier_id=tier, updated_at=func.now() + timedelta(days=3)))  # fmt: skip
    back = hall.open("02")
    back.sync.run_round()
    with hall.central.connect() as conn:
        assert (
            conn.scalar(select(PhoneNumber.pretty_tier_id).where(PhoneNumber.number == number))
            == tier
        )
    back.sync.run_round()  # and the lease brings the change to the counter
    with back.db.read() as s:
        assert (
            s.scalar(select(PhoneNumber.pretty_tier_id).where(PhoneNumber.number == number)) == tier
        )


def test_offline_a_lease_in_its_last_hour_is_not_sold(hall: Hall) -> None:
    offline = hall.open("02", DEAD)
    clerk = hall.clerk("02")
    number = offline.numbers.find_numbers(clerk, NumberFilter(tier_code=""))[0].number
    with offline.db.unit_of_work() as s:
        s.execute(update(PhoneNumber).where(PhoneNumber.number == number).values(
            lease_until=hall.clock.now + timedelta(minutes=30)))  # fmt: skip
    offered = {n.number for n in offline.numbers.find_numbers(clerk, NumberFilter(tier_code=""))}
    assert number not in offered
    with pytest.raises(ValidationError):
        offline.numbers.reserve_number(clerk, number)


def test_renewing_a_lease_keeps_a_sale_made_meanwhile_and_the_row_stamp(hall: Hall) -> None:
    """A lease round never overwrites what the counter sold on the lease, nor moves the
    central row's updated_at."""
    b, clerk = hall.apps["02"], hall.clerk("02")
    with hall.central.connect() as conn:
        stamps = dict(conn.execute(select(PhoneNumber.id, PhoneNumber.updated_at).where(
            PhoneNumber.lease_counter_id == clerk.counter_id)).all())  # fmt: skip
    with b.db.unit_of_work() as s:  # sold here on the lease, not pushed yet
        sold = s.scalars(select(PhoneNumber.id).where(
            PhoneNumber.lease_counter_id == clerk.counter_id).limit(1)).one()  # fmt: skip
        s.execute(update(PhoneNumber).where(PhoneNumber.id == sold).values(
            status=NumberStatus.ASSIGNED, reserved_by_counter_id=clerk.counter_id))  # fmt: skip
    leased = lease_resources(Database(hall.central), clerk.counter_id)  # the lease phase ...
    mirror_leases(b.db, leased)  # ... before this counter's push
    with b.db.read() as s:
        assert s.scalar(select(PhoneNumber.status).where(PhoneNumber.id == sold)) is (
            NumberStatus.ASSIGNED
        )
    with hall.central.connect() as conn:
        after = dict(conn.execute(select(PhoneNumber.id, PhoneNumber.updated_at).where(
            PhoneNumber.id.in_(list(stamps)))).all())  # fmt: skip
    assert after == stamps


def test_a_claim_whose_answer_was_lost_is_undone_when_the_order_fails(
    hall: Hall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim commits centrally but the answer never arrives: the order goes on offline,
    is refused (the number is not leased), and the claim is undone next round."""
    a, clerk = hall.apps["01"], hall.clerk("01")
    with hall.central.connect() as conn:
        free = conn.scalars(select(PhoneNumber.number).where(
            PhoneNumber.status == NumberStatus.AVAILABLE, PhoneNumber.lease_counter_id.is_(None),
            PhoneNumber.pretty_tier_id.is_(None),
        ).limit(1)).one()  # fmt: skip
    a.numbers.reserve_number(clerk, free)
    req = replace(_request(a, clerk, skip=2), number=free)
    real_run = a.link.run

    def lost_answer(work: Callable[[Session], object]) -> object:
        real_run(work)
        a.link.mark_offline()
        raise Offline

    monkeypatch.setattr(a.link, "run", lost_answer)
    with pytest.raises(ValidationError):
        a.orders.open_mobile_number(clerk, req)
    monkeypatch.undo()
    with hall.central.connect() as conn:
        assert conn.scalar(select(PhoneNumber.status).where(PhoneNumber.number == free)) == (
            "assigned"
        )  # claimed there, for an order that never happened
    a.link.mark_online()
    a.sync.run_round()
    with hall.central.connect() as conn:
        assert conn.scalar(select(PhoneNumber.status).where(PhoneNumber.number == free)) == (
            "reserved"
        )
        assert conn.scalar(select(SimCard.status).where(SimCard.iccid == req.iccid)) == ("in_stock")


def test_the_status_bar_names_the_central_database_not_standalone(hall: Hall) -> None:
    label = hall.apps["01"].storage_label()
    assert "单机模式" not in label and "同步至中心" in label and "窗口 01" in label
    assert "postgres@" not in label  # no user or password shown
