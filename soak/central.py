"""Counters sharing one central PostgreSQL: each on its own SQLite file (a copy of the soak's
demo database), synced, taking orders online for a bounded time while going for the same
numbers, SIMs, handsets and bills; then every counter pushes and the central database is
checked for doubles, each counter's file as after a kill.

The central database is a new database on the server (HALL_TEST_PG_URL, or the local server
at 127.0.0.1:5432), dropped at the end.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, select, text

from soak.checks import Baseline, Findings, audit_chains, check_database, fresh_copy
from soak.runner import Tally, Worker

if TYPE_CHECKING:
    from hall_app.app import HallApp

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _engine(url: str, isolation_level: str | None = None) -> Engine:
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    if isolation_level:
        return create_engine(url, isolation_level=isolation_level)
    return create_engine(url)


def server_url(given: str = "") -> str | None:
    """The first PostgreSQL server that answers: ``given``, HALL_TEST_PG_URL, the local one."""
    for url in (given, os.environ.get("HALL_TEST_PG_URL", ""), LOCAL_SERVER):
        if not url:
            continue
        try:
            engine = _engine(url)
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            return url
        except Exception:
            continue
    return None


def _add_counters(path: Path, count: int) -> list[str]:
    """Window codes 01… up to ``count``: the demo has six; more are added (综合业务)."""
    from hall_app.db.engine import Database, make_engine
    from hall_app.db.models import Counter, Hall, ServiceType

    db = Database(make_engine(f"sqlite:///{path}"))
    try:
        with db.unit_of_work() as s:
            hall = s.scalars(select(Hall)).one()
            have = {c.code for c in s.scalars(select(Counter))}
            general = s.scalars(select(ServiceType).where(ServiceType.code == "general")).one()
            codes = [f"{n:02d}" for n in range(1, count + 1)]
            for code in codes:
                if code not in have:
                    s.add(
                        Counter(
                            hall_id=hall.id,
                            code=code,
                            name=f"{int(code)}号窗口",
                            service_types=[general],
                        )
                    )
    finally:
        db.dispose()
    return codes


def _open(path: Path, central: str, code: str) -> HallApp:
    from hall_app.app import build_app
    from hall_app.config import Settings

    env = {"HALL_CENTRAL_URL": central, "HALL_COUNTER": code}
    return build_app(Settings.load(env=env, db_url=f"sqlite:///{path}"))


def central_run(
    work: Path,
    template: Path,
    keys: Path,
    server: str,
    counters: int,
    seconds: float,
    rng: random.Random,
) -> Tally:
    from hall_app.cli import main as cli_main
    from hall_app.sync.push import Pusher

    tally = Tally()
    name = f"hall_soak_{uuid.uuid4().hex[:10]}"
    admin = _engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{server.rsplit('/', 1)[0]}/{name}"
    t0 = time.monotonic()

    def took() -> str:
        return f"{time.monotonic() - t0:.1f} s"

    try:
        base_file = fresh_copy(template, work / "central-base.sqlite3")
        codes = _add_counters(base_file, counters)
        assert cli_main(["--db", "sqlite:///:memory:", "central", "init", "--central", url]) == 0
        print(f"  central init ({took()})", flush=True)
        files = {c: work / f"counter-{c}.sqlite3" for c in codes}
        central = _engine(url)
        try:
            # The first load, by counter 01; each other counter starts from a copy of its
            # synced file (what a hall installing a window would do: a full first pull of
            # every bill and customer costs minutes per counter) and runs its morning round.
            for i, code in enumerate(codes):
                fresh_copy(files[codes[0]] if i else base_file, files[code])
                app = _open(files[code], url, code)
                try:
                    if i == 0:
                        Pusher(app.db, central, app.clock).enqueue_all()
                    app.sync.run_round()
                finally:
                    app.close()
                print(f"  counter {code} synced ({took()})", flush=True)
        finally:
            central.dispose()
        bases = {c: Baseline.take(files[c]) for c in codes}
        money = CentralMoney.take(url)
        since = datetime.now(UTC)
        workers = {
            code: Worker(
                [
                    *("--db", f"sqlite:///{files[code]}", "--keys", str(keys)),
                    *("--central", url, "--counter", code, "--seconds", str(seconds)),
                    *("--seed", str(rng.randrange(1 << 30))),
                ],
                work / "worker-stderr.log",
            )
            for code in codes
        }
        _pump_all(list(workers.values()))
        print(f"  {len(codes)} counters took orders for {seconds:g} s ({took()})", flush=True)
        for code, w in workers.items():
            tally.told(w.told)
            if not w.told.ended or w.exit_code != 0:
                tally.problems.append(f"counter {code} ended with {w.exit_code} before its time")
        # each counter's file as its clerk left it, then everything to the central database
        for code, w in workers.items():
            found = check_database(files[code], bases[code], w.told.completed, counter=code)
            tally.checked(f"counter {code}", found)
        for code in codes:
            app = _open(files[code], url, code)
            try:
                app.sync.run_round()
            finally:
                app.close()
        print(f"  every counter pushed ({took()})", flush=True)
        tally.checked("central", central_doubles(url, since, money))
        tally.trials = len(codes)
        for path in (base_file, *files.values()):
            for leftover in path.parent.glob(path.name + "*"):
                leftover.unlink()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return tally


def _pump_all(workers: list[Worker]) -> None:
    """Read every worker's output until all have ended."""
    import select as sel

    live = {w.fd: w for w in workers}
    while live:
        ready, _, _ = sel.select(list(live), [], [], 5.0)
        for fd in ready:
            if not live[fd].pump(0):
                w = live.pop(fd)
                os.close(w.fd)
                _pid, status = os.waitpid(w.pid, 0)
                w.exit_code = os.waitstatus_to_exitcode(status)


@dataclass(frozen=True)
class CentralMoney:
    """The central bills' paid amounts and the numbers' balances before the run, and the
    settlements and movements that made them."""

    bills_paid: dict[str, int]
    balances: dict[str, int]
    settlements: frozenset[str]
    movements: frozenset[str]
    slots_booked: dict[str, int]
    slot_orders: dict[str, int]  # each slot's work orders
    equipment: frozenset[tuple[str, str]]  # (id, status)

    @classmethod
    def take(cls, url: str) -> CentralMoney:
        engine = _engine(url)
        try:
            with engine.connect() as conn:

                def pairs(sql: str) -> dict[str, int]:
                    return {str(k): int(v) for k, v in conn.execute(text(sql)).all()}

                def ids(table: str) -> frozenset[str]:
                    return frozenset(
                        str(r[0]) for r in conn.execute(text(f"SELECT id FROM {table}"))
                    )

                return cls(
                    pairs("SELECT id, paid_fen FROM bills"),
                    pairs("SELECT id, balance_fen + bonus_fen FROM subscriptions"),
                    ids("bill_settlements"),
                    ids("balance_movements"),
                    pairs("SELECT id, booked FROM install_slots"),
                    pairs(SLOT_ORDERS),
                    frozenset(
                        (str(r[0]), str(r[1]))
                        for r in conn.execute(text("SELECT id, status FROM equipment"))
                    ),
                )
        finally:
            engine.dispose()


def _central_money(conn: Connection, money: CentralMoney, found: Findings) -> None:
    """Every bill paid and every balance raised during the run, by its orders' rows only."""
    settled: dict[str, int] = {}
    for row in conn.execute(text("SELECT id, bill_id, amount_fen FROM bill_settlements")):
        if str(row[0]) not in money.settlements:
            settled[str(row[1])] = settled.get(str(row[1]), 0) + int(row[2])
    for bill_id, paid in conn.execute(text("SELECT id, paid_fen FROM bills")):
        delta = int(paid) - money.bills_paid.get(str(bill_id), 0)
        if delta != (by_orders := settled.get(str(bill_id), 0)):
            found.add(f"central: bill {bill_id} paid {delta} more, settled {by_orders} by orders")
    moved: dict[str, int] = {}
    for row in conn.execute(
        text("SELECT id, subscription_id, balance_fen + bonus_fen FROM balance_movements")
    ):
        if str(row[0]) not in money.movements:
            moved[str(row[1])] = moved.get(str(row[1]), 0) + int(row[2])
    for sub_id, balance in conn.execute(
        text("SELECT id, balance_fen + bonus_fen FROM subscriptions")
    ):
        delta = int(balance) - money.balances.get(str(sub_id), 0)
        if delta != (by_orders := moved.get(str(sub_id), 0)):
            found.add(f"central: number {sub_id} balance {delta} more, moved {by_orders}")


SLOT_ORDERS = (
    "SELECT w.slot_id, count(*) FROM work_orders w JOIN orders o ON o.id = w.order_id "
    "WHERE o.state = 'completed' AND w.slot_id IS NOT NULL GROUP BY 1"
)


def _central_installs(conn: Connection, money: CentralMoney, found: Findings) -> None:
    """Every install slot's count rose by the work orders the counters booked in it, none
    over its capacity; no modem lent and no installment contract without a completed
    order."""
    now = {str(k): int(v) for k, v in conn.execute(text(SLOT_ORDERS))}
    for slot_id, count, capacity in conn.execute(
        text("SELECT id, booked, capacity FROM install_slots")
    ):
        if count > capacity:
            found.add(f"central: install slot {slot_id} {count} booked of {capacity}")
        delta = int(count) - money.slots_booked.get(str(slot_id), 0)
        by_orders = now.get(str(slot_id), 0) - money.slot_orders.get(str(slot_id), 0)
        if delta != by_orders:
            found.add(f"central: install slot {slot_id} {delta} more booked, {by_orders} by orders")
    for gear_id, status, state in conn.execute(
        text(
            "SELECT e.id, e.status, o.state FROM equipment e "
            "LEFT JOIN orders o ON o.id = e.order_id"
        )
    ):
        if (str(gear_id), str(status)) not in money.equipment and state != "completed":
            found.add(f"central: modem {gear_id} {status} without a completed order")
    for row in conn.execute(
        text(
            "SELECT c.id FROM installment_contracts c LEFT JOIN orders o ON o.id = c.order_id "
            "WHERE o.state IS DISTINCT FROM 'completed'"
        )
    ).fetchall()[:5]:
        found.add(f"central: installment contract {row[0]} without a completed order")


DOUBLES = (
    (
        "SELECT service_number, count(*) FROM subscriptions WHERE kind = 'mobile' "
        "AND status != 'cancelled' GROUP BY 1 HAVING count(*) > 1",
        "number on two live subscriptions",
    ),
    (
        "SELECT sim_id::text, count(*) FROM subscriptions WHERE sim_id IS NOT NULL "
        "AND status != 'cancelled' GROUP BY 1 HAVING count(*) > 1",
        "SIM on two live subscriptions",
    ),
    ("SELECT invoice_no, count(*) FROM invoices GROUP BY 1 HAVING count(*) > 1", "invoice twice"),
    ("SELECT order_no, count(*) FROM orders GROUP BY 1 HAVING count(*) > 1", "order no. twice"),
    (
        "SELECT substring(l.description from 'IMEI ([0-9]{15})'), count(DISTINCT o.id) "
        "FROM orders o JOIN order_lines l ON l.order_id = o.id "
        "WHERE o.order_type = 'handset_sale' AND o.created_at >= :since "
        "AND l.description LIKE '%IMEI %' GROUP BY 1 HAVING count(DISTINCT o.id) > 1",
        "handset sold twice",
    ),
    ("SELECT resource, count(*) FROM resource_clashes GROUP BY 1", "resource clash"),
)


def central_doubles(url: str, since: datetime, money: CentralMoney) -> Findings:
    """The central database after every counter pushed: nothing sold twice, no clash, no
    money moved without its order, every counter's audit chains whole as pushed (their
    no-window chains too: the counters were started from copies of 01's file)."""
    found = Findings()
    audit_chains(url.replace("postgresql://", "postgresql+psycopg://", 1), found)
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            _central_money(conn, money, found)
            _central_installs(conn, money, found)
            for sql, what in DOUBLES:
                for row in conn.execute(text(sql), {"since": since}).fetchall()[:5]:
                    found.add(f"central: {what}: {row[0]} ×{row[1]}")
            found.orders["central"] = conn.execute(
                text("SELECT count(*) FROM orders WHERE created_at >= :since"), {"since": since}
            ).scalar_one()
    finally:
        engine.dispose()
    return found
