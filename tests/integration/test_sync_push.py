"""Counters on their own SQLite files push to a real central PostgreSQL: nothing lost, nothing
twice, a poison row quarantined while the rest arrive, a dead link or a killed client costs
nothing but a retry."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text, update

from hall_app.app import HallApp, build_app
from hall_app.cli import main as cli_main
from hall_app.config import Settings
from hall_app.db.crypto import open_value, plain_for
from hall_app.db.engine import make_engine
from hall_app.db.migrate import HEAD_REVISION, current_revision
from hall_app.db.models import (
    AuditEntry,
    Base,
    Counter,
    Customer,
    InvoiceSegment,
    Order,
    Payment,
    PhoneNumber,
    SimCard,
    Subscription,
    SyncOutbox,
)
from hall_app.db.outbox import PENDING, QUARANTINED, synced_tables
from hall_app.domain.enums import CustomerKind, NumberStatus, SimStatus
from hall_app.services.actor import Actor
from hall_app.sync.push import Pusher, SyncUnavailable
from tests.conftest import Cluster, FakeClock
from tests.integration.test_open_mobile import _request

pytestmark = pytest.mark.postgres


def _addr(cid: object, value: str) -> object:
    """An address for a Core update of that customer (sealed, bound to the row)."""
    return plain_for("customers", "address", cid, value)  # type: ignore[arg-type]


def _counter(template: Path, tmp_path: Path, name: str, clock: FakeClock) -> HallApp:
    path = tmp_path / f"{name}.sqlite3"
    shutil.copyfile(template, path)
    return build_app(Settings.load(env={}, db_url=f"sqlite:///{path}"), clock=clock)


@pytest.fixture
def central(central_url: str) -> Iterator[Engine]:
    """A central database of the test's own, just made by ``central init``."""
    engine = make_engine(central_url)
    yield engine
    engine.dispose()


def _count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def _ids(engine: Engine, model: type) -> set[object]:
    with engine.connect() as conn:
        return set(conn.execute(select(model.id)).scalars())  # type: ignore[attr-defined]


def test_two_counters_arrive_whole_and_once(
    central: Engine, demo_template: Path, tmp_path: Path
) -> None:
    assert current_revision(central) == HEAD_REVISION
    a_clock = FakeClock(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    b_clock = FakeClock(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))  # the same day
    a = _counter(demo_template, tmp_path, "a", a_clock)
    b = _counter(demo_template, tmp_path, "b", b_clock)
    try:
        first = Pusher(a.db, central, a_clock).enqueue_all()
        assert Pusher(a.db, central, a_clock).push().sent == first  # the first load
        assert Pusher(b.db, central, b_clock).enqueue_all() == first
        again = Pusher(b.db, central, b_clock).push()  # the same rows again: no duplicates
        assert again.quarantined == 0 and again.pending == 0
        base_orders = _count(central, Order)
        clerk_a = a.auth.log_in("clerk1", "hall1234")
        clerk_b = b.auth.log_in("clerk2", "hall1234")
        _lease_segment(a, clerk_a, 10_000_000)  # each counter numbers invoices from its own
        _lease_segment(b, clerk_b, 20_000_000)  # segment, as a lease from the central would
        for i in range(2):
            a.orders.open_mobile_number(clerk_a, _request(a, clerk_a, skip=i))
            b.orders.open_mobile_number(clerk_b, _request(b, clerk_b, skip=10 + i))
        assert Pusher(a.db, central, a_clock).waiting() > 0
        for hall, clock in ((a, a_clock), (b, b_clock)):
            report = Pusher(hall.db, central, clock, batch_size=7).push()
            assert report.quarantined == 0 and report.pending == 0
        assert _count(central, Order) == base_orders + 4
        for model in (Order, Payment, Subscription, Customer):
            union = _ids(a.db.engine, model) | _ids(b.db.engine, model)
            assert _ids(central, model) == union, model
        Pusher(a.db, central, a_clock).enqueue_all()
        Pusher(a.db, central, a_clock).push()  # a full re-push changes nothing
        assert _count(central, Order) == base_orders + 4
    finally:
        a.close()
        b.close()


def _lease_segment(hall: HallApp, actor: Actor, first: int) -> None:
    """Invoice numbers, ordinary and pretty numbers and SIMs leased to the counter, as an
    earlier online day would have left it."""
    _lease_resources(hall, actor)
    with hall.db.unit_of_work() as s:
        shared = s.scalars(select(InvoiceSegment)).first()
        assert shared is not None
        s.add(
            InvoiceSegment(
                hall_id=actor.hall_id,
                counter_id=actor.counter_id,
                year2=shared.year2,
                province_code=shared.province_code,
                channel=shared.channel,
                first_seq=first,
                last_seq=first + 999,
                next_seq=first,
            )
        )


def _lease_resources(hall: HallApp, actor: Actor) -> None:
    """Ordinary and pretty numbers and SIMs leased to the counter for a day."""
    until = hall.clock() + timedelta(hours=24)
    with hall.db.unit_of_work() as s:
        for table, kind, free, n in (
            (PhoneNumber, PhoneNumber.pretty_tier_id.is_(None), NumberStatus.AVAILABLE, 20),
            (PhoneNumber, PhoneNumber.pretty_tier_id.is_not(None), NumberStatus.AVAILABLE, 5),
            (SimCard, None, SimStatus.IN_STOCK, 20),
        ):
            pick = select(table.id).where(table.status == free).order_by(table.id).limit(n)
            if kind is not None:
                pick = pick.where(kind)
            s.execute(
                update(table)
                .where(table.id.in_(pick.scalar_subquery()))
                .values(lease_counter_id=actor.counter_id, lease_until=until)
            )


def test_two_counters_on_one_shared_segment_clash_and_are_quarantined(
    central: Engine, demo_template: Path, tmp_path: Path
) -> None:
    """Without per-counter segments two offline counters give out the same invoice number:
    the second to arrive is quarantined (with its lines), never merged or lost."""
    a_clock = FakeClock(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    b_clock = FakeClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    a = _counter(demo_template, tmp_path, "a", a_clock)
    b = _counter(demo_template, tmp_path, "b", b_clock)
    try:
        Pusher(a.db, central, a_clock).enqueue_all()
        Pusher(a.db, central, a_clock).push()
        clerk_a = a.auth.log_in("clerk1", "hall1234")
        clerk_b = b.auth.log_in("clerk2", "hall1234")
        done_a = a.orders.open_mobile_number(clerk_a, _request(a, clerk_a))
        done_b = b.orders.open_mobile_number(clerk_b, _request(b, clerk_b, skip=10))
        assert done_a.invoice_no == done_b.invoice_no  # the clash leases exist to prevent
        assert Pusher(a.db, central, a_clock).push().quarantined == 0
        report = Pusher(b.db, central, b_clock).push()
        assert report.quarantined >= 1 and report.pending == 0
        with b.db.read() as s:
            errors = s.scalars(
                select(SyncOutbox.last_error).where(SyncOutbox.status == QUARANTINED)
            ).all()
        assert any("uq_invoices_invoice_no" in (e or "") for e in errors)
        assert done_b.order_id in _ids(central, Order)  # the order itself arrived
    finally:
        a.close()
        b.close()


def test_a_poison_row_is_quarantined_and_the_rest_arrive(
    central: Engine, demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    a = _counter(demo_template, tmp_path, "a", clock)
    try:
        pusher = Pusher(a.db, central, clock, batch_size=50)
        pusher.enqueue_all()
        pusher.push()
        with a.db.unit_of_work() as s:  # SQLite takes it, the central VARCHAR(64) will not
            ids = s.scalars(select(Customer.id).order_by(Customer.id).limit(3)).all()
            s.execute(
                update(Customer).where(Customer.id == ids[0]).values(face_check_by="长" * 600)
            )
            for cid in ids[1:]:  # sealed, bound to each row
                s.execute(
                    update(Customer)
                    .where(Customer.id == cid)
                    .values(address=plain_for("customers", "address", cid, "新地址"))
                )
        report = pusher.push()
        assert (report.sent, report.quarantined, report.pending) == (2, 1, 0)
        with a.db.read() as s:
            bad = s.scalars(select(SyncOutbox).where(SyncOutbox.status == QUARANTINED)).one()
            assert bad.row_id == ids[0] and bad.last_error and "22001" in bad.last_error
            assert "长长" not in bad.last_error  # the server's reason, not the values
        with central.connect() as conn:
            addresses = conn.execute(
                select(Customer.id, Customer.address).where(Customer.id.in_(ids[1:]))
            )
            assert {open_value(a, "customers", "address", i) for i, a in addresses} == {"新地址"}
        with a.db.unit_of_work() as s:  # a supervisor corrects it: queued again by the trigger
            s.execute(update(Customer).where(Customer.id == ids[0]).values(face_check_by="更正后"))
        assert pusher.push().sent == 1
        with central.connect() as conn:
            assert conn.execute(
                select(Customer.face_check_by).where(Customer.id == ids[0])
            ).scalar() == ("更正后")
    finally:
        a.close()


def test_a_dead_link_loses_nothing(
    central: Engine, demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    a = _counter(demo_template, tmp_path, "a", clock)
    nowhere = make_engine("postgresql://hall@127.0.0.1:1/none?connect_timeout=2")
    try:
        queued = Pusher(a.db, central, clock).enqueue_all()
        with pytest.raises(SyncUnavailable):
            Pusher(a.db, nowhere, clock).push()
        assert Pusher(a.db, central, clock).waiting() == queued

        def kill_link(batch: int) -> None:  # the server drops every connection mid-round
            if batch == 3:
                with central.connect() as conn:
                    conn.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        )
                    )
                    conn.commit()

        # the round may stop (what was sent is marked, the rest waits) or reconnect and go on
        with contextlib.suppress(SyncUnavailable):
            Pusher(a.db, central, clock, batch_size=200, after_batch=kill_link).push()
        report = Pusher(a.db, central, clock).push()
        assert report.pending == 0 and report.quarantined == 0
        for model in (Customer, Order, Payment):
            assert _ids(central, model) == _ids(a.db.engine, model)
    finally:
        nowhere.dispose()
        a.close()


def test_a_killed_client_resumes_without_doubles(
    central_url: str, central: Engine, demo_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "counter.sqlite3"
    shutil.copyfile(demo_template, path)
    db = f"sqlite:///{path}"
    env = {**os.environ, "HALL_CENTRAL_URL": central_url, "HALL_COUNTER": "01"}
    cmd = [sys.executable, "-m", "hall_app.cli", "--db", db, "sync", "--full", "--batch", "20"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    probe = make_engine(db)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill it in the middle of the round
        with probe.connect() as conn:
            sent = conn.execute(
                select(func.count()).where(SyncOutbox.status == "sent")
            ).scalar_one()
        if sent >= 200:
            break
        time.sleep(0.02)
    probe.dispose()
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    with make_engine(db).connect() as conn:
        left = conn.execute(select(func.count()).where(SyncOutbox.status == PENDING)).scalar_one()
    resumed = subprocess.run(
        [sys.executable, "-m", "hall_app.cli", "--db", db, "sync"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    local = make_engine(db)
    try:
        assert left > 0  # the kill did interrupt the round
        for model in (Customer, Order, Payment, Subscription):
            assert _ids(central, model) == _ids(local, model)
            assert _count(central, model) == _count(local, model)
        # The command runs the app's whole round: the window now holds its leases too.
        assert "同步完成" in resumed.stdout
        with local.connect() as conn:
            counter = conn.execute(select(Counter.id).where(Counter.code == "01")).scalar_one()
            leased = conn.execute(
                select(func.count()).where(PhoneNumber.lease_counter_id == counter)
            ).scalar_one()
        assert leased > 0
    finally:
        local.dispose()


def test_a_change_made_during_the_push_goes_out_next_round(
    central: Engine,
    demo_template: Path,
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = _counter(demo_template, tmp_path, "a", clock)
    try:
        first = Pusher(a.db, central, clock)
        first.enqueue_all()
        first.push()
        with a.db.read() as s:
            cid = s.scalars(select(Customer.id).order_by(Customer.id).limit(1)).one()
        with a.db.unit_of_work() as s:
            s.execute(
                update(Customer)
                .where(Customer.id == cid)
                .values(address=plain_for("customers", "address", cid, "旧地址 1 号"))
            )
        original = Pusher._mark
        changed = []

        def clerk_edits_meanwhile(self: Pusher, seqs: list[int], *args: object) -> None:
            if not changed:  # between the upsert and the mark, a clerk edits the row again
                changed.append(1)
                with a.db.unit_of_work() as s:
                    s.execute(
                        update(Customer)
                        .where(Customer.id == cid)
                        .values(address=plain_for("customers", "address", cid, "新地址 2 号"))
                    )
            original(self, seqs, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(Pusher, "_mark", clerk_edits_meanwhile)
        report = Pusher(a.db, central, clock).push()
        assert report.pending == 1  # the newer version was not marked sent
        monkeypatch.setattr(Pusher, "_mark", original)
        Pusher(a.db, central, clock).push()
        with central.connect() as conn:
            address = conn.execute(select(Customer.address).where(Customer.id == cid)).scalar()
        assert open_value(address, "customers", "address", cid) == "新地址 2 号"
    finally:
        a.close()


def test_the_server_stopped_and_restarted_mid_push_loses_nothing(
    own_cluster: Cluster, demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    """pg_ctl stops the central server in the middle of a round and starts it again: what was
    committed before the stop is there, the round resumes, and the central data is exactly
    the counter's, once."""
    url = own_cluster.url
    assert cli_main(["--db", "sqlite:///:memory:", "central", "init", "--central", url]) == 0
    central = make_engine(url)
    a = _counter(demo_template, tmp_path, "a", clock)
    try:
        queued = Pusher(a.db, central, clock).enqueue_all()
        stopped: list[int] = []

        def stop_server(batch: int) -> None:
            if batch == 3:
                subprocess.run(own_cluster.stop, check=True, capture_output=True)
                stopped.append(batch)

        with pytest.raises(SyncUnavailable):
            Pusher(a.db, central, clock, batch_size=200, after_batch=stop_server).push()
        assert stopped == [3]
        waiting = Pusher(a.db, central, clock).waiting()
        assert 0 < waiting < queued  # some batches went before the stop, the rest waits
        subprocess.run(own_cluster.start, check=True, capture_output=True)
        with central.connect() as conn:  # the batches committed before the stop survived it
            arrived = sum(
                conn.execute(select(func.count()).select_from(Base.metadata.tables[t])).scalar_one()
                for t in synced_tables()
            )
        assert arrived == queued - waiting
        report = Pusher(a.db, central, clock).push()
        assert report.pending == 0 and report.quarantined == 0
        for model in (Customer, Order, Payment, Subscription):
            assert _ids(central, model) == _ids(a.db.engine, model)
            assert _count(central, model) == _count(a.db.engine, model)
    finally:
        central.dispose()
        a.close()


def test_a_first_load_pushed_in_small_pages_arrives_whole(
    central: Engine,
    demo_template: Path,
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The queue is read a page at a time: a minor on an earlier page than their guardian
    waits for the guardian (tried again at the end of the round), nothing is refused. Only
    such a row (one referring to a row of its own table) makes a batch go one row at a time:
    the rows referring to a deferred one wait with it, untried (they cascaded before, from a
    bundled subscription to its orders, their lines, bills and bill items)."""
    fell_back: list[str] = []
    one_by_one, retry = Pusher._one_by_one, Pusher._retry_deferred
    at_the_end = [False]

    def counted(self: Pusher, table: Any, *args: Any, **kw: Any) -> tuple[int, int]:
        if not at_the_end[0]:  # a batch gone one row at a time, not the end-of-round retry
            fell_back.append(table.name)
        return one_by_one(self, table, *args, **kw)

    def retried(self: Pusher) -> tuple[int, int]:
        at_the_end[0] = True
        return retry(self)

    monkeypatch.setattr(Pusher, "_one_by_one", counted)
    monkeypatch.setattr(Pusher, "_retry_deferred", retried)
    a = _counter(demo_template, tmp_path, "a", clock)
    try:
        with a.db.read() as s:
            minors = s.scalar(select(func.count()).where(Customer.guardian_id.is_not(None)))
        assert minors  # the demo has minors with guardians
        queued = Pusher(a.db, central, clock).enqueue_all(page=97)
        with a.db.read() as s:
            assert s.scalar(select(func.count()).select_from(SyncOutbox)) == queued
        report = Pusher(a.db, central, clock, batch_size=37, page_size=37).push()
        assert report.pending == 0 and report.quarantined == 0 and report.sent == queued
        assert "customers" in fell_back  # the case this test is about happened
        self_referring = {
            t.name
            for t in (Base.metadata.tables[n] for n in synced_tables())
            if any(fk.column.table is t for fk in t.foreign_keys)
        }
        assert set(fell_back) <= self_referring, sorted(set(fell_back) - self_referring)
        for model in (Customer, Order, Payment, Subscription):
            assert _ids(central, model) == _ids(a.db.engine, model)
    finally:
        a.close()


def test_a_row_deferred_before_its_deferred_parent_is_sent_in_the_pass_after(
    central: Engine, demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    """A chain queued child first (C's guardian is B, B's is A), one row a page: C waits for
    B, B for A. At the end of the round C is tried before B: it waits one more pass, it is
    not quarantined."""
    a = _counter(demo_template, tmp_path, "a", clock)
    try:
        first = Pusher(a.db, central, clock)
        first.enqueue_all()
        assert first.push().pending == 0
        with a.db.unit_of_work() as s:
            chain = []
            for name in ("王小丙", "王乙", "王甲"):  # queued in this order: C, B, A
                person = Customer(kind=CustomerKind.INDIVIDUAL, name=name, address="福州市")
                s.add(person)
                s.flush()
                chain.append(person)
            c, b, guardian = chain
            c.guardian_id, b.guardian_id = b.id, guardian.id
        report = Pusher(a.db, central, clock, batch_size=1, page_size=1).push()
        assert (report.sent, report.quarantined, report.pending) == (3, 0, 0)
        assert {c.id, b.id, guardian.id} <= _ids(central, Customer)
    finally:
        a.close()


def test_a_value_both_counters_gave_is_no_change_that_gave_way(
    central: Engine, demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    """The fields of an edit that gave way are found by comparing values opened: the same new
    phone typed at both counters is sealed differently each time (a fresh nonce), yet it did
    not give way; only the address did."""
    a = _counter(demo_template, tmp_path, "a", clock)
    b = _counter(demo_template, tmp_path, "b", clock)
    try:
        Pusher(a.db, central, clock).enqueue_all()
        Pusher(a.db, central, clock).push()
        with a.db.read() as s:
            cid = s.scalars(select(Customer.id).where(Customer.guardian_id.is_(None))).first()
            counter_a = s.scalars(select(Counter.id).where(Counter.code == "01")).one()
        edit = update(Customer).where(Customer.id == cid)
        phone = "13900000002"
        with a.db.unit_of_work() as s:  # 10:01 at counter 01
            s.execute(edit.values(address=_addr(cid, "福州市鼓楼区甲路1号"),
                                  contact_phone=plain_for("customers", "contact_phone", cid,
                                                          phone),
                                  updated_at=clock() + timedelta(minutes=1)))  # fmt: skip
        with b.db.unit_of_work() as s:  # 10:05 at counter 02: the same phone, another address
            s.execute(edit.values(address=_addr(cid, "福州市台江区乙路2号"),
                                  contact_phone=plain_for("customers", "contact_phone", cid,
                                                          phone),
                                  updated_at=clock() + timedelta(minutes=5)))  # fmt: skip
        with a.db.read() as s, b.db.read() as t:  # sealed apart: the stored forms differ
            mine = s.scalar(select(Customer.contact_phone).where(Customer.id == cid))
            theirs = t.scalar(select(Customer.contact_phone).where(Customer.id == cid))
        assert mine != theirs
        Pusher(b.db, central, clock).push()
        Pusher(a.db, central, clock, counter_id=counter_a).push()
        with central.connect() as conn:
            entry = conn.execute(
                select(AuditEntry).where(AuditEntry.action == "sync.edit_superseded")
            ).one()
        assert entry.before["fields"] == ["address"]
    finally:
        a.close()
        b.close()


def test_a_contact_edit_that_arrives_older_gives_way_with_an_audit_entry(
    central: Engine, demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    """Two counters edit the same customer while apart; the later edit wins wherever it
    arrives from, the one that gave way is audited centrally (field names, no values) and
    the counter that made it takes the winning copy."""
    a = _counter(demo_template, tmp_path, "a", clock)
    b = _counter(demo_template, tmp_path, "b", clock)
    try:
        Pusher(a.db, central, clock).enqueue_all()
        Pusher(a.db, central, clock).push()
        with a.db.read() as s:
            cid = s.scalars(select(Customer.id).where(Customer.guardian_id.is_(None))).first()
            counter_a = s.scalars(select(Counter.id).where(Counter.code == "01")).one()
        edit = update(Customer).where(Customer.id == cid)
        with a.db.unit_of_work() as s:  # 10:01 at counter 01: a new phone and address
            s.execute(edit.values(address=_addr(cid, "福州市鼓楼区甲路1号"),
                                  contact_phone=plain_for("customers", "contact_phone", cid,
                                                          "13900000001"),
                                  updated_at=clock() + timedelta(minutes=1)))  # fmt: skip
        with b.db.unit_of_work() as s:  # 10:05 at counter 02: another address
            s.execute(edit.values(address=_addr(cid, "福州市台江区乙路2号"),
                                  updated_at=clock() + timedelta(minutes=5)))  # fmt: skip
        Pusher(b.db, central, clock).push()  # the later edit arrives first
        report = Pusher(a.db, central, clock, counter_id=counter_a).push()
        assert report.pending == 0 and report.quarantined == 0
        with central.connect() as conn:
            kept = conn.execute(
                select(Customer.address, Customer.contact_phone).where(Customer.id == cid)
            ).one()
            entries = conn.execute(
                select(AuditEntry).where(AuditEntry.action == "sync.edit_superseded")
            ).all()
        assert open_value(kept.address, "customers", "address", cid) == "福州市台江区乙路2号"
        assert open_value(kept.contact_phone, "customers", "contact_phone", cid) != "13900000001"
        assert len(entries) == 1
        entry = entries[0]
        assert entry.entity_id == str(cid) and entry.counter_id == counter_a
        assert entry.before["fields"] == ["address", "contact_phone"]
        assert "13900000001" not in str(entry.before) + str(entry.after)  # names, not values
        with a.db.read() as s:  # counter 01 now holds the winning copy, and sends nothing back
            local = s.execute(select(Customer.address).where(Customer.id == cid)).scalar_one()
            pending = s.scalar(
                select(func.count()).where(SyncOutbox.row_id == cid, SyncOutbox.status == PENDING)
            )
        assert open_value(local, "customers", "address", cid) == "福州市台江区乙路2号"
        assert pending == 0
        # Pushed the other way round, the later edit simply wins: nothing gave way.
        with a.db.unit_of_work() as s:
            s.execute(edit.values(address=_addr(cid, "福州市鼓楼区丙路3号"),
                                  updated_at=clock() + timedelta(minutes=9)))  # fmt: skip
        Pusher(a.db, central, clock, counter_id=counter_a).push()
        with central.connect() as conn:
            stored = conn.scalar(select(Customer.address).where(Customer.id == cid))
            assert open_value(stored, "customers", "address", cid) == "福州市鼓楼区丙路3号"
            assert (
                conn.scalar(select(func.count()).where(AuditEntry.action == "sync.edit_superseded"))
                == 1
            )
    finally:
        a.close()
        b.close()
