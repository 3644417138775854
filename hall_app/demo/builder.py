"""Builds the demo database: reference data, N customers with their services, stock, and
D past days of queue tickets, orders, payments, invoices and service tickets.

Deterministic for a given seed and day: every random draw and every UUID comes from one RNG.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from sqlalchemy import Connection, Engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from hall_app.clock import HALL_TZ, business_date
from hall_app.db.models import (
    Customer,
    Hall,
    InvoiceSegment,
    PhoneNumber,
    SimCard,
    Subscription,
    SyncOutbox,
)
from hall_app.db.outbox import create_triggers, drop_triggers, synced_tables
from hall_app.demo.bills import BillsBuilder, BillsSummary
from hall_app.demo.bulk import BulkWriter
from hall_app.demo.customers import (
    CUSTOMER_COLUMNS,
    SUBSCRIPTION_COLUMNS,
    ChunkResult,
    ChunkSpec,
    IdDeduplicator,
    generate_chunk,
)
from hall_app.demo.customers import (
    Sample as SampleCustomer,
)
from hall_app.demo.fixed import FixedLineBuilder
from hall_app.demo.handsets import HandsetBuilder
from hall_app.demo.history import HistoryBuilder, InvoiceNumbering
from hall_app.demo.people import POOL_PREFIXES
from hall_app.demo.reference import FTTH_BROADBAND, Reference, build_reference
from hall_app.demo.sim_cards import assign_sims
from hall_app.demo.today import NO_QUEUE, TodaysQueue, fill_todays_queue
from hall_app.demo.views import write_sensitive_views
from hall_app.domain.enums import NumberStatus, ProductKind, SimStatus
from hall_app.domain.errors import ValidationError
from hall_app.domain.telecom import has_digit_four, luhn_check_digit, pretty_pattern

CHUNK = 20_000
# The bulk load's page cache (KiB): its indexes stay in memory while it writes them.
BULK_CACHE_KIB = 1_048_576
Progress = Callable[[int], None]


@dataclass(frozen=True)
class DemoSummary:
    customers: int
    subscriptions: int
    numbers: int
    sims: int
    tickets: int
    orders: int
    seconds: float
    today: TodaysQueue = NO_QUEUE  # today's queue so far (with ``queue_until``)
    work_orders: int = 0  # install work orders, past and open
    devices: int = 0  # handsets by IMEI: in stock, faulty, returned and sold
    instalment_contracts: int = 0
    commitments: int = 0  # contract phones
    bills: BillsSummary | None = None  # a year of monthly bills, arrears and suspensions


class DemoBuilder:
    def __init__(
        self,
        engine: Engine,
        *,
        seed: int,
        today: date,
        chunk: int = CHUNK,
        workers: int | None = None,
        queue_until: datetime | None = None,
    ) -> None:
        """``queue_until``: also write today's queue, issued through the morning up to that
        moment of ``today`` (see ``hall_app.demo.today``)."""
        if queue_until is not None and business_date(queue_until) != today:
            raise ValidationError("今日排队数据的截止时间必须在演示数据的当天", "演示数据参数")
        self._queue_until = queue_until
        self._engine = engine
        self._seed = seed
        self._rng = random.Random(seed)
        self._today = today
        self._chunk = chunk
        self._workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        self._anchor = datetime.combine(today, dtime(7, 30), HALL_TZ).astimezone(UTC)

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self._rng.getrandbits(128), version=4)

    def build(self, customers: int, days: int, progress: Progress | None = None) -> DemoSummary:
        if customers < 1 or days < 0:
            raise ValidationError("客户数至少为 1，天数不能为负", "演示数据参数")
        started = time.perf_counter()
        with Session(self._engine, expire_on_commit=False) as session:
            if session.scalar(select(func.count()).select_from(Customer)) or session.scalar(
                select(func.count()).select_from(Hall)
            ):
                raise ValidationError(
                    "数据库中已有数据（营业厅或客户）；演示数据只能写入空数据库", "数据库"
                )
            ref = build_reference(session, self._rng, self._today, self._anchor)
            session.commit()
            session.expunge_all()
        tables = synced_tables()
        try:
            return self._bulk(ref, customers, days, progress, tables, started)
        finally:  # DDL commits at once on SQLite: the triggers come back even after a failure
            with self._engine.begin() as conn:
                create_triggers(conn, tables)

    @contextmanager
    def _bulk_connection(self) -> Iterator[Connection]:
        """The one transaction of the bulk load. On a SQLite file it runs with a rollback
        journal and a large page cache: in WAL mode every page of the growing database went
        through the write-ahead log first (16 GB of it at 1,000,000 customers, none of it
        checkpointed before the commit), while the rollback journal of a database this empty
        holds next to nothing. A build killed midway still leaves nothing (the hot journal
        rolls it back); WAL comes back at the end."""
        sqlite_file = self._engine.dialect.name == "sqlite" and self._engine.url.database not in (
            None,
            "",
            ":memory:",
        )
        if not sqlite_file:
            with self._engine.begin() as conn:
                yield conn
            return
        self._engine.dispose()  # leaving WAL needs the only connection
        with self._engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
            conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
            conn.commit()  # (SQLAlchemy's autobegin; no transaction is open in SQLite)
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.exec_driver_sql("PRAGMA cache_size=-65536")
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
                conn.commit()

    def _bulk(
        self,
        ref: Reference,
        customers: int,
        days: int,
        progress: Progress | None,
        tables: list[str],
        started: float,
    ) -> DemoSummary:
        with self._bulk_connection() as conn:
            drop_triggers(conn, tables)  # bulk loading does not queue millions of rows
            dropped = self._drop_bulk_indexes(conn)
            fixed = FixedLineBuilder(conn, ref, self._seed, self._today)
            samples, subs = self._customers(conn, ref, customers, progress, fixed)
            numbers = self._number_pool(conn, ref, max(3000, customers // 20))
            sims = self._sims(conn, ref, max(1000, customers // 100))
            handsets = HandsetBuilder(conn, ref, self._seed, self._today)
            handsets.stock()
            numbering = self._invoice_segment(conn, ref)
            history = HistoryBuilder(
                conn, ref, self._rng, self.uid, self._today, numbering, fixed, handsets
            )
            phones = [s.phone for s in samples]
            history.begin(days)
            # Before the days: the recent installs of those days are paid into their tills
            fixed.recent(samples, phones, history)
            tickets, orders = history.build(days, samples)
            fixed.stock()
            fixed.demands(samples, phones)
            fixed.finish()
            conn.execute(  # the counters go on after the history's invoices
                update(InvoiceSegment)
                .where(InvoiceSegment.id == numbering.segment_id)
                .values(next_seq=history.invoice_seq + 1)
            )
            today = NO_QUEUE
            if self._queue_until is not None:
                today = fill_todays_queue(conn, self._queue_until, self._seed)
                history.pending(self._queue_until, samples)
            bills = BillsBuilder(conn, ref, self._seed, self._today).build()
            # The supervisors' unmasked views of those days (and of today's morning), audited.
            write_sensitive_views(
                conn,
                ref.hall.id,
                [s.id for s in samples],
                self._today - timedelta(days=days),
                self._today,
                self._seed,
                self._queue_until,
            )
            assign_sims(conn, ref.hall.id, self._today, self._anchor)
            self._restore_indexes(conn, dropped)
            # The demo data is the starting point, not news: `hall-app sync --full` queues it
            # all for a first load into an empty central database.
            conn.execute(delete(SyncOutbox))
        with self._engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        return DemoSummary(
            customers=customers,
            subscriptions=subs + history.subscriptions + fixed.subscriptions,
            numbers=numbers,
            sims=sims,
            tickets=tickets,
            orders=orders + fixed.orders,
            work_orders=fixed.work_orders,
            seconds=time.perf_counter() - started,
            today=today,
            devices=handsets.devices,
            instalment_contracts=handsets.contracts,
            commitments=handsets.commitments,
            bills=bills,
        )

    # -- customers --------------------------------------------------------------------------
    def _customers(
        self,
        conn: Connection,
        ref: Reference,
        total: int,
        progress: Progress | None,
        fixed: FixedLineBuilder,
    ) -> tuple[list[SampleCustomer], int]:
        cust_w = BulkWriter(conn, Customer, CUSTOMER_COLUMNS)
        sub_w = BulkWriter(conn, Subscription, SUBSCRIPTION_COLUMNS)
        plans = ref.products[ProductKind.MOBILE_PLAN]
        weighted = tuple(
            (plans[i].id, plans[i].lock_in_months)
            for i in (0, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9)
        )
        sqlite_raw = conn.dialect.name == "sqlite"
        fttb = ref.product("BB200")
        bundled = {p.id: p.lock_in_months for p in ref.products[ProductKind.BROADBAND_PLAN]}
        specs = [
            ChunkSpec(
                seed=self._seed,
                index=k,
                count=min(self._chunk, total - start),
                today=self._today,
                anchor=self._anchor,
                hall_id=ref.hall.id,
                mobile_plans=weighted,
                broadband_plans=tuple(
                    (p.id, p.lock_in_months)
                    for p in ref.products[ProductKind.BROADBAND_PLAN]
                    if p.code in FTTH_BROADBAND
                ),
                landline_plan=ref.products[ProductKind.LANDLINE_PLAN][0].id,
                manual_checker=ref.staff[0].full_name,
                sample_every=max(1, total // 50_000),
                convert_for_sqlite=sqlite_raw,
                coverage=tuple((c, t, m) for c, (t, m) in ref.coverage.items()),
                fttb_plan=(fttb.id, fttb.lock_in_months),
                catalog=fixed.catalog,
                bundles=tuple(
                    (
                        b.id,
                        b.mobile_product_id,
                        b.broadband_product_id,
                        bundled[b.broadband_product_id],
                    )
                    for b in ref.bundles
                ),
            )
            for k, start in enumerate(range(0, total, self._chunk))
        ]
        dedupe = IdDeduplicator()
        samples: list[SampleCustomer] = []
        for result in self._generate(specs):
            write = cust_w.write_converted if sqlite_raw else cust_w.write
            write(dedupe.fix(result.customers, result.id_numbers))
            fixed.number_chunk(result.subscriptions, result.fixed_rows)
            (sub_w.write_converted if sqlite_raw else sub_w.write)(result.subscriptions)
            fixed.write_chunk(result.fixed_rows, converted=sqlite_raw)
            samples.extend(result.samples)
            if progress:
                progress(len(result.customers))
        return samples, sub_w.count

    def _generate(self, specs: list[ChunkSpec]) -> Iterator[ChunkResult]:
        """Chunks in order; in worker processes when there is enough work to pay for them."""
        if len(specs) < 3 or self._workers < 2:
            yield from map(generate_chunk, specs)
            return
        with ProcessPoolExecutor(max_workers=self._workers) as pool:
            yield from pool.map(generate_chunk, specs)

    # -- stock -------------------------------------------------------------------------------
    def _number_pool(self, conn: Connection, ref: Reference, count: int) -> int:
        rng = self._rng
        writer = BulkWriter(
            conn,
            PhoneNumber,
            (
                "id",
                "created_at",
                "updated_at",
                "number",
                "status",
                "pretty_tier_id",
                "has_four",
                "hall_id",
                "reserved_until",
                "reserved_by_counter_id",
                "quarantined_until",
            ),
        )
        # The pool holds the newer segments (POOL_PREFIXES), so it never meets a customer's number.
        seen: set[str] = set()
        numbers: list[str] = []
        crafted = max(200, count // 50)  # pretty numbers do not happen often by chance
        tails = [d * 4 for d in "0123456789"] + [
            "1234",
            "2345",
            "5678",
            "6789",
            "1122",
            "5566",
            "6688",
            "1212",
            "1688",
            "8899",
            "6666",
            "8888",
        ]
        while len(numbers) < count:
            tail = rng.choice(tails) if len(numbers) < crafted else f"{rng.randrange(10_000):04d}"
            number = f"{rng.choice(POOL_PREFIXES)}{rng.randrange(10_000):04d}{tail}"
            if number not in seen:
                seen.add(number)
                numbers.append(number)
        rows = []
        for number in numbers:
            match = pretty_pattern(number)
            tier = ref.tiers.get(match.code) if match else None
            r = rng.random()
            status = NumberStatus.AVAILABLE if r < 0.93 else NumberStatus.QUARANTINED
            rows.append(
                (
                    self.uid(),
                    self._anchor,
                    self._anchor,
                    number,
                    status,
                    tier.id if tier else None,
                    has_digit_four(number),
                    ref.hall.id,
                    None,
                    None,
                    self._anchor + timedelta(days=90)
                    if status is NumberStatus.QUARANTINED
                    else None,
                )
            )
        for start in range(0, len(rows), CHUNK):
            writer.write(rows[start : start + CHUNK])
        return len(rows)

    def _sims(self, conn: Connection, ref: Reference, count: int) -> int:
        rng = self._rng
        writer = BulkWriter(
            conn,
            SimCard,
            (
                "id",
                "created_at",
                "updated_at",
                "iccid",
                "imsi",
                "status",
                "hall_id",
            ),
        )
        batch = rng.randrange(1000, 9999)
        rows = []
        for i in range(count):
            body = f"898603{self._today:%y}{batch:04d}{i:07d}"
            iccid = body + luhn_check_digit(body)
            imsi = f"46011{rng.randrange(10**10):010d}"
            status = SimStatus.IN_STOCK if rng.random() < 0.98 else SimStatus.DEFECTIVE
            rows.append((self.uid(), self._anchor, self._anchor, iccid, imsi, status, ref.hall.id))
        writer.write(rows)
        return count

    def _invoice_segment(self, conn: Connection, ref: Reference) -> InvoiceNumbering:
        """The hall's shared invoice segment; the history numbers its invoices from it."""
        numbering = InvoiceNumbering(self.uid(), f"{self._today:%y}", ref.hall.province_code, "1")
        writer = BulkWriter(
            conn,
            InvoiceSegment,
            (
                "id",
                "created_at",
                "updated_at",
                "hall_id",
                "counter_id",
                "year2",
                "province_code",
                "channel",
                "first_seq",
                "last_seq",
                "next_seq",
            ),
        )
        writer.write(
            [
                (
                    numbering.segment_id,
                    self._anchor,
                    self._anchor,
                    ref.hall.id,
                    None,
                    numbering.year2,
                    numbering.province_code,
                    numbering.channel,
                    1,
                    999_999_999,
                    1,
                )
            ]
        )
        return numbering

    # -- bulk-load index handling (SQLite) ------------------------------------------------------
    @staticmethod
    def _drop_bulk_indexes(conn: Connection) -> list[str]:
        """Drop the secondary indexes of the big tables; rebuilding them once is much faster."""
        if conn.dialect.name != "sqlite":
            return []
        rows = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
            "AND tbl_name IN ('customers', 'subscriptions', 'orders', 'order_lines', "
            "'work_orders', 'equipment', 'bills')"
        ).all()
        for name, _ in rows:
            conn.exec_driver_sql(f"DROP INDEX {name}")
        return [sql for _, sql in rows]

    @staticmethod
    def _restore_indexes(conn: Connection, statements: list[str]) -> None:
        if statements:  # SQLite sorts a big index in helper threads when it may
            conn.exec_driver_sql(f"PRAGMA threads={min(4, os.cpu_count() or 1)}")
        for sql in statements:
            conn.exec_driver_sql(sql)
