"""What the hall changes centrally reaches the counter on the next round: a price, a password.
The central database's own data wins over a counter's copy, and nothing pulled is pushed back."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from hall_app.app import HallApp
from hall_app.db.engine import make_engine
from hall_app.db.models import AuditEntry, Product, Staff, SyncOutbox
from hall_app.domain.errors import AuthenticationError
from hall_app.services.auth import hash_password
from hall_app.services.numbers import NumberFilter
from hall_app.sync.pull import Puller
from hall_app.sync.push import Pusher
from tests.conftest import FakeClock, synced_counter

pytestmark = pytest.mark.postgres


def test_central_changes_reach_the_counter(
    central_url: str, demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    hall = synced_counter(demo_template, tmp_path, central_url, clock)
    central = make_engine(central_url)
    try:
        Pusher(hall.db, central, clock).enqueue_all()
        hall.sync.run_round()  # the first load; the pull finds its own rows, changes nothing
        assert hall.sync.status().waiting == 0
        assert _pulled_audits(hall) == []
        # The next rounds read the ten minutes behind the mark again, the whole load among
        # them: only ids and stamps; no row held as it is centrally is read or applied again.
        with central.connect() as conn:
            window = conn.execute(select(func.count()).select_from(Product)).scalar_one()
        assert window > 10
        assert Puller(hall.db, central, clock).pull().rows == 0
        later = clock() + timedelta(hours=1)
        with central.begin() as conn:  # the hall's admin changes a price and a password
            conn.execute(
                update(Product)
                .where(Product.code == "5G099")
                .values(price_fen=8_900, updated_at=later)
            )
            conn.execute(
                update(Staff)
                .where(Staff.username == "clerk2")
                .values(password_hash=hash_password("new-pass-2026"), updated_at=later)
            )
            conn.execute(
                update(Product)
                .where(Product.code == "5G129")
                .values(description="中心改的说明", updated_at=later)
            )
        with hall.db.unit_of_work() as s:  # …while this counter changed its copy, even later
            s.execute(
                update(Product)
                .where(Product.code == "5G129")
                .values(description="本窗口更新的说明", updated_at=later + timedelta(hours=1))
            )
        hall.sync.run_round()
        with hall.db.read() as s:  # what was pulled is not queued to go back
            echoed = s.scalars(
                select(SyncOutbox.table_name).where(
                    SyncOutbox.status == "pending",
                    SyncOutbox.table_name.in_(["products", "staff"]),
                )
            ).all()
        assert echoed == []
        clerk = hall.auth.log_in("clerk1", "hall1234")
        number = hall.numbers.find_numbers(clerk, NumberFilter(tier_code=""))[0].number
        assert hall.orders.quote(clerk, number, "5G099").total_fen == 8_900
        assert hall.auth.log_in("clerk2", "new-pass-2026").username == "clerk2"
        with pytest.raises(AuthenticationError):
            hall.auth.log_in("clerk2", "hall1234")
        with hall.db.read() as s:
            local = s.scalars(select(Product.description).where(Product.code == "5G129")).one()
        assert local == "中心改的说明"  # the catalog is the central database's: it wins
        with central.connect() as conn:
            kept = conn.execute(
                select(Product.description).where(Product.code == "5G129")
            ).scalar_one()
        assert kept == "中心改的说明"  # a counter's copy never overwrites it
        hall.sync.run_round()
        with hall.db.read() as s:
            price = s.scalars(select(Product.price_fen).where(Product.code == "5G099")).one()
        assert price == 8_900
        # Each change that arrived is audited at the counter, once: the row, the fields,
        # before and after; a password only as changed.
        audits = _pulled_audits(hall)
        with hall.db.read() as s:
            p099 = str(s.scalars(select(Product.id).where(Product.code == "5G099")).one())
            clerk2 = str(s.scalars(select(Staff.id).where(Staff.username == "clerk2")).one())
        by_row = {(a.entity, a.entity_id): a for a in audits}
        print([(a.entity, a.action, a.before, a.after) for a in audits])
        assert len(audits) == 3  # the price, the password, the description; not again
        price_change = by_row[("products", p099)]
        assert price_change.actor_name == "中心数据库"
        assert price_change.after == {"price_fen": 8_900}
        assert price_change.before is not None and price_change.before["price_fen"] != 8_900
        assert by_row[("staff", clerk2)].after == {"password_hash": "（已更改）"}
        with hall.db.read() as s:  # the failed sign-in here is this counter's: not reset
            failed = s.scalars(select(Staff.failed_logins).where(Staff.username == "clerk2")).one()
        assert failed == 1
    finally:
        central.dispose()
        hall.close()


def _pulled_audits(hall: HallApp) -> list[AuditEntry]:
    with hall.db.read() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action.like("sync.pulled%"))))
        s.expunge_all()
        return rows


def test_a_central_change_stamped_by_a_slow_clock_still_arrives(
    central_url: str, demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    """A change written with an updated_at a day in the past (a clock far behind) is found by
    the next pull all the same: the watermark is the central clock's own stamp."""
    hall = synced_counter(demo_template, tmp_path, central_url, clock)
    central = make_engine(central_url)
    try:
        Pusher(hall.db, central, clock).enqueue_all()
        hall.sync.run_round()
        hall.sync.run_round()  # the watermark is now past every row
        with central.begin() as conn:
            conn.execute(
                update(Product)
                .where(Product.code == "5G099")
                .values(price_fen=7_700, updated_at=clock() - timedelta(days=1))
            )
        hall.sync.run_round()
        with hall.db.read() as s:
            price = s.scalars(select(Product.price_fen).where(Product.code == "5G099")).one()
        assert price == 7_700
    finally:
        central.dispose()
        hall.close()
