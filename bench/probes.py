"""Child-process probes. Each prints one JSON line on stdout and exits.

python -m bench.probes bare                 a bare PySide6 process showing one QMainWindow
python -m bench.probes login   --db URL     the app up to its login window
python -m bench.probes main    --db URL     start, log in, main window ready
python -m bench.probes search  --db URL -n N  search p95 per kind, and raw sqlite3 baseline
python -m bench.probes stall   --db URL -n N  longest event-loop stall during searches
python -m bench.probes memory  --db URL -n N  peak RSS after login and N searches
python -m bench.probes typed-login --db URL --pace S  S2b (bench/e2e.py)
python -m bench.probes screens --db URL -n N  E1–E4 through the real widgets (bench/e2e.py)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(**values: Any) -> None:
    values.setdefault("peak_rss_mb", round(peak_rss_mb(), 1))
    print(json.dumps(values), flush=True)


def _pump_until(predicate: Callable[[], bool], timeout_s: float = 60) -> None:
    from PySide6.QtCore import QCoreApplication, QEventLoop

    deadline = time.monotonic() + timeout_s
    while not predicate():
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.001)
        if time.monotonic() > deadline:
            raise TimeoutError("probe timed out")


def probe_bare() -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("bare")
    window.show()
    QTimer.singleShot(0, lambda: (emit(shown_at=time.time()), app.quit()))
    app.exec()


def _close(session: Any) -> None:
    session.ops.wait_idle()
    if session.hall is not None:
        session.hall.close()


def _start(db: str) -> tuple[Any, Any]:
    from hall_app.config import Settings
    from ui.app import start_gui

    started = start_gui([], Settings.load(db_url=db))
    if isinstance(started, int):
        raise SystemExit(f"start-up failed with code {started}")
    return started


def _log_in(app: Any, session: Any, user: str = "clerk1") -> Any:
    login = session.login
    login.username.setText(user)
    login.password.setText("hall1234")
    login.login_button.click()
    _pump_until(lambda: session.window is not None and session.window.isVisible())
    return session.window


def probe_login(db: str) -> None:
    from PySide6.QtCore import QTimer

    app, session = _start(db)
    QTimer.singleShot(0, lambda: (emit(shown_at=time.time()), app.quit()))
    app.exec()
    _close(session)


def probe_main(db: str) -> None:
    app, session = _start(db)
    _log_in(app, session)
    app.processEvents()
    emit(shown_at=time.time())
    session.ops.wait_idle()
    _close(session)


def sample_queries(db_path: str, n: int) -> dict[str, list[str]]:
    """Queries a clerk would type, spread over the whole table (deterministic)."""
    conn = sqlite3.connect(db_path)
    total = conn.execute("SELECT max(rowid) FROM customers").fetchone()[0]
    step = max(1, total // n)
    rows = conn.execute(
        "SELECT id_number, name, name_initials FROM customers "
        "WHERE rowid % ? = 0 AND kind = 'individual' LIMIT ?",
        (step, n),
    ).fetchall()
    phones = [
        r[0]
        for r in conn.execute(
            "SELECT service_number FROM subscriptions WHERE kind = 'mobile' AND rowid % ? = 0 "
            "LIMIT ?",
            (step, n),
        )
    ]
    conn.close()
    return {
        "phone": phones,
        "id": [r[0] for r in rows],
        "name": [r[1][:2] for r in rows],
        "pinyin": [r[2][:3] for r in rows],
    }


RAW_SQL = {
    "phone": (
        "SELECT * FROM customers WHERE contact_phone = ?1 OR alt_phone = ?1 OR id IN "
        "(SELECT customer_id FROM subscriptions WHERE service_number = ?1) ORDER BY name LIMIT 51"
    ),
    "id": "SELECT * FROM customers WHERE id_number = ?1 OR uscc = ?1 ORDER BY name LIMIT 51",
    "name": "SELECT * FROM customers WHERE name >= ?1 AND name < ?2 ORDER BY name LIMIT 51",
    "pinyin": (
        "SELECT * FROM customers WHERE name_initials >= ?1 AND name_initials < ?2 "
        "ORDER BY name_initials LIMIT 51"
    ),
}


def _stats(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return {"median_ms": round(ordered[len(ordered) // 2], 3), "p95_ms": round(p95, 3)}


def probe_search(db: str, n: int) -> None:
    from hall_app.app import build_app
    from hall_app.config import Settings

    path = db.removeprefix("sqlite:///")
    queries = sample_queries(path, n)
    hall = build_app(Settings.load(db_url=db))
    actor = hall.auth.log_in("clerk1", "hall1234")
    raw = sqlite3.connect(path)
    out: dict[str, Any] = {}
    for kind, qs in queries.items():
        app_ms: list[float] = []
        raw_ms: list[float] = []
        for q in qs:  # warm both paths once per kind
            hall.customers.search_customers(actor, q)
            break
        for q in qs:
            t = time.perf_counter()
            result = hall.customers.search_customers(actor, q)
            app_ms.append((time.perf_counter() - t) * 1000)
            if not result.rows:
                raise SystemExit(f"no result for {kind} {q!r}")
            args = (q,) if kind in ("phone", "id") else (q, q[:-1] + chr(ord(q[-1]) + 1))
            if kind == "pinyin":
                args = (q.lower(), q.lower()[:-1] + chr(ord(q.lower()[-1]) + 1))
            t = time.perf_counter()
            raw.execute(RAW_SQL[kind], args).fetchall()
            raw_ms.append((time.perf_counter() - t) * 1000)
        out[kind] = {"app": _stats(app_ms), "raw": _stats(raw_ms), "n": len(qs)}
    raw.close()
    hall.close()
    emit(kinds=out)


def _stall_probe() -> tuple[Any, list[float]]:
    from PySide6.QtCore import QTimer

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    return timer, gaps


def _drive_in_event_loop(app: Any, window: Any, ops: Any, steps: list[Callable[[], None]]) -> None:
    """Run each step once the previous one's work is done, inside the real event loop."""
    from PySide6.QtCore import QTimer

    pending = list(steps)

    def next_step() -> None:
        if ops.busy:
            QTimer.singleShot(1, next_step)
            return
        if not pending:
            app.quit()
            return
        pending.pop(0)()
        QTimer.singleShot(1, next_step)

    QTimer.singleShot(0, next_step)
    app.exec()


def _search_steps(window: Any, queries: list[str], open_first: bool) -> list[Callable[[], None]]:
    page = window.customers
    steps: list[Callable[[], None]] = []
    for q in queries:
        steps.append(lambda q=q: (page.query.setText(q), page.search()))
        if open_first:
            steps.append(
                lambda: (
                    page.open_customer(page.results.payload(0)) if page.results.rowCount() else None
                )
            )
    return steps


def probe_stall(db: str, n: int) -> None:
    app, session = _start(db)
    window = _log_in(app, session)
    queries = sample_queries(db.removeprefix("sqlite:///"), n)
    mixed = [q for kind in ("phone", "id", "name", "pinyin") for q in queries[kind][:n]]
    timer, gaps = _stall_probe()
    _drive_in_event_loop(app, window, session.ops, _search_steps(window, mixed, open_first=True))
    timer.stop()
    gaps = gaps[1:]
    emit(max_stall_ms=round(max(gaps), 2), p95_gap_ms=_stats(gaps)["p95_ms"], searches=len(mixed))
    session.ops.wait_idle()
    _close(session)


def probe_memory(db: str, n: int) -> None:
    app, session = _start(db)
    window = _log_in(app, session)
    queries = sample_queries(db.removeprefix("sqlite:///"), n)
    mixed = [q for kind in ("phone", "id", "name", "pinyin") for q in queries[kind]][:n]
    _drive_in_event_loop(app, window, session.ops, _search_steps(window, mixed, open_first=False))
    session.ops.wait_idle()
    emit(searches=len(mixed))
    _close(session)


def _order_requests(hall: Any, clerk: Any, n: int) -> list[Any]:
    """n ready-to-complete orders: customers without a mobile, reserved numbers, free SIMs."""
    from sqlalchemy import select

    from hall_app.db.models import Customer, SimCard, Subscription
    from hall_app.domain.enums import (
        CustomerKind,
        FaceCheckMethod,
        PaymentMethod,
        SimStatus,
        SubscriptionKind,
    )
    from hall_app.domain.payments import PaymentInput
    from hall_app.services.numbers import NumberFilter
    from hall_app.services.orders import OpenMobileRequest

    with hall.db.read() as s:
        customers = s.scalars(
            select(Customer.id)
            .where(
                Customer.kind == CustomerKind.INDIVIDUAL,
                Customer.guardian_id.is_(None),
                Customer.birth_date < __import__("datetime").date(2000, 1, 1),
                ~Customer.id.in_(
                    select(Subscription.customer_id).where(
                        Subscription.kind == SubscriptionKind.MOBILE
                    )
                ),
            )
            .limit(n)
        ).all()
        sims = s.scalars(
            select(SimCard.iccid).where(SimCard.status == SimStatus.IN_STOCK).limit(n)
        ).all()
    numbers = [v.number for v in hall.numbers.find_numbers(clerk, NumberFilter(tier_code=""))][:n]
    requests = []
    # what the plan costs today, with its promotion (ordinary numbers all cost the same)
    due = hall.orders.quote(clerk, numbers[0], "5G129", ("VAS_RING",)).total_fen if numbers else 0
    for cid, iccid, number in zip(customers, sims, numbers, strict=False):
        hall.numbers.reserve_number(clerk, number)
        requests.append(
            OpenMobileRequest(
                customer_id=cid,
                number=number,
                plan_code="5G129",
                iccid=iccid,
                addon_codes=("VAS_RING",),
                payments=(PaymentInput(PaymentMethod.CASH, due, 20_000),),
                face_check=FaceCheckMethod.DEVICE,
                face_checked_by="HK-FR-200",
            )
        )
    return requests


def probe_order(db: str, n: int) -> None:
    """Order completion (open a mobile number) on a copy of the benchmark database."""
    from hall_app.app import build_app
    from hall_app.config import Settings

    hall = build_app(Settings.load(db_url=db))
    clerk = hall.auth.log_in("clerk1", "hall1234")
    requests = _order_requests(hall, clerk, n + 3)
    for req in requests[:3]:  # warm-up
        hall.orders.open_mobile_number(clerk, req)
    times = []
    for req in requests[3:]:
        t = time.perf_counter()
        hall.orders.open_mobile_number(clerk, req)
        times.append((time.perf_counter() - t) * 1000)
    hall.close()
    emit(**_stats(times), orders=len(times))


def probe_documents(db: str, n: int) -> None:
    """Render the three documents of one order n times each (no database work timed)."""
    from hall_app.app import build_app
    from hall_app.config import Settings
    from hall_app.documents import layouts
    from hall_app.services.documents import DocumentKind

    hall = build_app(Settings.load(db_url=db))
    clerk = hall.auth.log_in("clerk1", "hall1234")
    done = hall.orders.open_mobile_number(clerk, _order_requests(hall, clerk, 1)[0])
    out: dict[str, Any] = {}
    renders = {
        DocumentKind.RECEIPT: layouts.render_receipt,
        DocumentKind.ACCEPTANCE_FORM: layouts.render_acceptance,
        DocumentKind.INVOICE: layouts.render_invoice,
    }
    with hall.db.read() as session:
        for kind, render in renders.items():
            _, document = hall.documents._load(session, done.order_id, kind)
            render(document)  # font registration and imports are not part of the figure
            times = []
            for _ in range(n):
                t = time.perf_counter()
                render(document)
                times.append((time.perf_counter() - t) * 1000)
            out[kind.value] = _stats(times)
    hall.close()
    emit(kinds=out)


def probe_push(db: str, n: int) -> None:
    """Push n waiting customer records to a fresh central PostgreSQL database, then insert the
    same rows with a raw psycopg ``executemany`` into an emptied table, in the same run."""
    import uuid as uuid_mod
    from enum import Enum

    import psycopg
    from sqlalchemy import create_engine, delete, select, text

    from hall_app.clock import system_clock
    from hall_app.db.engine import Database, make_engine
    from hall_app.db.migrate import upgrade_to_head
    from hall_app.db.models import Base, Customer, SyncOutbox
    from hall_app.db.outbox import PENDING
    from hall_app.sync.push import Pusher

    server = os.environ.get("HALL_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"hall_bench_{uuid_mod.uuid4().hex[:8]}"
    admin = create_engine(
        server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    central_url = f"{server.rsplit('/', 1)[0]}/{name}"
    central = make_engine(central_url)
    local = Database(make_engine(db))
    try:
        upgrade_to_head(central)
        upgrade_to_head(local.engine)
        pusher = Pusher(local, central, system_clock)
        reference = ("halls", "counters", "staff")
        with local.unit_of_work() as s:  # the parents the customers need, not timed
            s.execute(delete(SyncOutbox))
            for table in reference:
                t = Base.metadata.tables[table]
                for row_id in s.scalars(select(t.c.id)):
                    s.add(SyncOutbox(table_name=table, row_id=row_id, status=PENDING))
        pusher.push()
        with local.unit_of_work() as s:
            ids = s.scalars(
                select(Customer.id).where(Customer.guardian_id.is_(None)).limit(n)
            ).all()
            s.add_all(
                SyncOutbox(table_name="customers", row_id=i, status=PENDING, attempts=0)
                for i in ids
            )
        t0 = time.perf_counter()
        report = pusher.push()
        push_s = time.perf_counter() - t0
        table = Customer.__table__
        with local.read() as s:
            rows = [dict(r._mapping) for r in s.execute(select(table).where(table.c.id.in_(ids)))]
        cols = [c.name for c in table.columns]
        values = [
            tuple(v.value if isinstance(v, Enum) else v for v in (r[c] for c in cols)) for r in rows
        ]
        with central.begin() as conn:
            conn.execute(text("TRUNCATE customers CASCADE"))
        raw_url = central_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(raw_url) as raw:
            t0 = time.perf_counter()
            with raw.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO customers ({', '.join(cols)}) "
                    f"VALUES ({', '.join(['%s'] * len(cols))})",
                    values,
                )
            raw.commit()
            raw_s = time.perf_counter() - t0
        emit(
            records=report.sent,
            quarantined=report.quarantined,
            push_ms=round(push_s * 1000, 1),
            raw_ms=round(raw_s * 1000, 1),
        )
    finally:
        local.dispose()
        central.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "probe",
        choices=[
            "bare",
            "login",
            "main",
            "search",
            "stall",
            "memory",
            "order",
            "documents",
            "push",
            "typed-login",
            "screens",
        ],
    )
    parser.add_argument("--db")
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--pace", type=float, default=2.0, help="seconds to type the login")
    args = parser.parse_args()
    if args.probe in ("typed-login", "screens"):
        from bench import e2e

        if args.probe == "typed-login":
            emit(**e2e.probe_typed_login(args.db, args.pace))
        else:
            emit(**e2e.probe_screens(args.db, args.n))
    elif args.probe == "bare":
        probe_bare()
    elif args.probe == "login":
        probe_login(args.db)
    elif args.probe == "main":
        probe_main(args.db)
    elif args.probe == "search":
        probe_search(args.db, args.n)
    elif args.probe == "stall":
        probe_stall(args.db, args.n)
    elif args.probe == "order":
        probe_order(args.db, args.n)
    elif args.probe == "documents":
        probe_documents(args.db, args.n)
    elif args.probe == "push":
        probe_push(args.db, args.n)
    else:
        probe_memory(args.db, args.n)


if __name__ == "__main__":
    main()
