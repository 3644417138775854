"""An offline day: two counters lease invoice-number blocks while online, take orders with the
link down, and when it returns everything arrives: no gaps, no clashes, nothing quarantined."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.models import (
    Invoice,
    InvoiceSegment,
    Order,
    PhoneNumber,
    SimCard,
    Subscription,
)
from hall_app.domain.errors import ValidationError
from hall_app.sync.leases import BLOCK
from hall_app.sync.push import Pusher
from tests.conftest import FakeClock
from tests.integration.test_open_mobile import _request
from tests.integration.test_sync_push import _lease_resources

pytestmark = pytest.mark.postgres
DEAD = "postgresql://x@127.0.0.1:1/none"


def _open(path: Path, code: str, central: str, clock: FakeClock) -> HallApp:
    env = {"HALL_CENTRAL_URL": central, "HALL_COUNTER": code}
    return build_app(Settings.load(env=env, db_url=f"sqlite:///{path}"), clock=clock)


def test_an_offline_day_on_leased_invoice_numbers(
    central_url: str, demo_template: Path, tmp_path: Path
) -> None:
    clocks = {
        "01": FakeClock(datetime(2026, 11, 24, 2, 0, tzinfo=UTC)),
        "02": FakeClock(datetime(2026, 11, 24, 2, 0, tzinfo=UTC)),  # the same day
    }
    files = {code: tmp_path / f"counter-{code}.sqlite3" for code in clocks}
    for path in files.values():
        shutil.copyfile(demo_template, path)
    central = make_engine(central_url)
    try:
        # Morning, online: the first load, and each counter leases a block of invoice numbers.
        for code, path in files.items():
            hall = _open(path, code, central_url, clocks[code])
            Pusher(hall.db, central, clocks[code]).enqueue_all()
            hall.sync.run_round()
            hall.close()
        blocks = {}
        with central.connect() as conn:
            for seg in conn.execute(
                select(InvoiceSegment).where(InvoiceSegment.counter_id.is_not(None))
            ).all():
                blocks[seg.counter_id] = (seg.first_seq, seg.last_seq)
        assert len(blocks) == 2
        (a1, a2), (b1, b2) = blocks.values()
        assert a2 - a1 + 1 == BLOCK and (a2 < b1 or b2 < a1)  # no overlap

        # The link goes down. Each counter sells on its lease.
        issued: dict[str, list[str]] = {}
        opened: set[object] = set()
        for code, path in files.items():
            hall = _open(path, code, DEAD, clocks[code])
            clerk = hall.auth.log_in("clerk1" if code == "01" else "clerk2", "hall1234")
            skip = 0 if code == "01" else 10
            issued[code] = []
            for i in range(3):
                done = hall.orders.open_mobile_number(clerk, _request(hall, clerk, skip=skip + i))
                assert done.invoice_no is not None
                assert done.order_no == f"SL20261124{code}{i + 1:04d}"  # the window's own
                issued[code].append(done.invoice_no)
                opened.add(done.order_id)
            assert hall.sync.status().waiting > 0
            hall.close()
        for numbers in issued.values():  # consecutive within each counter's block
            seqs = [int(n[5:]) for n in numbers]
            assert seqs == list(range(seqs[0], seqs[0] + 3))
        assert not set(issued["01"]) & set(issued["02"])

        # The link is back: everything arrives, nothing is refused.
        for code, path in files.items():
            hall = _open(path, code, central_url, clocks[code])
            report = hall.sync.run_round()
            assert report.quarantined == 0 and hall.sync.status().waiting == 0
            hall.close()
        with central.connect() as conn:
            invoices = set(conn.execute(select(Invoice.invoice_no)).scalars())
            orders = set(conn.execute(select(Order.id)).scalars())
        assert set(issued["01"]) | set(issued["02"]) <= invoices
        assert opened <= orders
        with central.connect() as conn:  # the numbers and SIMs sold offline are sold centrally
            sold = conn.execute(
                select(PhoneNumber.status, SimCard.status, Order.counter_id)
                .join(Subscription, Subscription.id == Order.subscription_id)
                .join(PhoneNumber, PhoneNumber.number == Subscription.service_number)
                .join(SimCard, SimCard.id == Subscription.sim_id)
                .where(Order.id.in_(opened))
            ).all()
        assert len(sold) == 6 and {(n, s) for n, s, _ in sold} == {("assigned", "assigned")}
    finally:
        central.dispose()


def test_without_a_lease_a_synced_counter_does_not_invoice(
    demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "counter.sqlite3"
    shutil.copyfile(demo_template, path)
    hall = _open(path, "01", DEAD, clock)  # never online: no block of its own
    try:
        clerk = hall.auth.log_in("clerk1", "hall1234")
        _lease_resources(hall, clerk)  # numbers and SIMs, but no invoice numbers
        with pytest.raises(ValidationError) as err:
            hall.orders.open_mobile_number(clerk, _request(hall, clerk))
        assert err.value.field == "发票号段" and "联网同步时自动领用" in err.value.text
        with hall.db.read() as s:
            assert s.scalar(select(Invoice.id).where(Invoice.issued_at >= clock())) is None
    finally:
        hall.close()
