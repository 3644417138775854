"""A segment's last invoice number is given out once, even when a red-letter invoice and a new
order race for it on PostgreSQL: the loser is told the segment is used up, nothing half-saved."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from sqlalchemy import func, select, update

from hall_app.app import build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import Counter, Invoice, InvoiceSegment, Order
from hall_app.demo.builder import DemoBuilder
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.errors import HallError
from hall_app.services.actor import Actor
from hall_app.services.invoicing import next_invoice_number
from tests.conftest import DEMO_TODAY, FakeClock
from tests.integration.test_open_mobile import _request, _sim


@pytest.mark.postgres
def test_the_last_number_of_a_segment_is_given_out_once(pg_url: str, clock: FakeClock) -> None:
    engine = make_engine(pg_url)
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=6, today=DEMO_TODAY, chunk=50, workers=1).build(60, 0)
    engine.dispose()
    hall = build_app(Settings.load(env={}, db_url=pg_url), clock=clock)
    try:
        clerk = hall.auth.log_in("clerk1", DEMO_PASSWORD)
        actors: list[Actor] = []
        with hall.db.read() as s:
            for code in ("01", "02"):
                c = s.scalars(select(Counter).where(Counter.code == code)).one()
                actors.append(replace(clerk, counter_id=c.id, counter_name=c.name))
        first = hall.orders.open_mobile_number(actors[0], _request(hall, actors[0], skip=0))
        assert first.invoice_no is not None
        order = replace(_request(hall, actors[1], skip=1), iccid=_sim(hall, 1))
        boss = hall.auth.log_in("super1", DEMO_PASSWORD)
        with hall.db.unit_of_work() as s:  # one number left in the hall's segment
            s.execute(update(InvoiceSegment).values(next_seq=InvoiceSegment.last_seq))
            last = s.scalar(select(InvoiceSegment.last_seq))
            orders_before = s.scalar(select(func.count()).select_from(Order))
        assert last is not None
        barrier = threading.Barrier(2)
        blue_no = first.invoice_no

        def work(i: int) -> object:
            barrier.wait()
            try:
                if i == 0:  # a red-letter invoice and a new order want the same last number
                    return hall.invoices.issue_red_letter(boss, blue_no, "开错抬头")
                return hall.orders.open_mobile_number(actors[1], order)
            except HallError as exc:
                return exc

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(work, (0, 1)))
        refused = [r for r in results if isinstance(r, HallError)]
        assert len(refused) == 1 and refused[0].field == "发票号段", results
        with hall.db.read() as s:
            numbers = s.scalars(select(Invoice.invoice_no)).all()
            assert [int(n[5:]) for n in numbers if int(n[5:]) >= last] == [last]
            made_order = isinstance(results[1], HallError) is False
            assert s.scalar(select(func.count()).select_from(Order)) == (
                (orders_before or 0) + made_order
            )
    finally:
        hall.close()


@pytest.mark.postgres
def test_a_counter_waiting_on_the_segment_row_does_not_overrun_it(
    pg_url: str, clock: FakeClock
) -> None:
    """Deterministic interleaving: A takes the last number and holds the row; B has already
    read the segment as not used up and waits on A's lock; A commits; B must not go past."""
    engine = make_engine(pg_url)
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=7, today=DEMO_TODAY, chunk=50, workers=1).build(20, 0)
    engine.dispose()
    hall = build_app(Settings.load(env={}, db_url=pg_url), clock=clock)
    try:
        clerk = hall.auth.log_in("clerk1", DEMO_PASSWORD)
        with hall.db.unit_of_work() as s:
            s.execute(update(InvoiceSegment).values(next_seq=InvoiceSegment.last_seq))
            last = s.scalar(select(InvoiceSegment.last_seq))
        b_result: list[object] = []
        b_started = threading.Event()

        def counter_b() -> None:
            try:
                with hall.db.unit_of_work() as s:
                    b_started.set()
                    b_result.append(next_invoice_number(s, clerk, clock()))
            except HallError as exc:
                b_result.append(exc)

        with hall.db.unit_of_work() as a:
            number, _ = next_invoice_number(a, clerk, clock())
            assert int(number[5:]) == last
            thread = threading.Thread(target=counter_b)
            thread.start()
            b_started.wait(5)
            time.sleep(0.5)  # B reads the segment (not yet used up) and waits on A's row
        thread.join(10)
        assert len(b_result) == 1 and isinstance(b_result[0], HallError), b_result
        assert b_result[0].field == "发票号段"
        with hall.db.read() as s:
            assert s.scalar(select(InvoiceSegment.next_seq)) == (last or 0) + 1
    finally:
        hall.close()
