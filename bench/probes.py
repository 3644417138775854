"""Child-process probes. Each prints one JSON line on stdout and exits.

python -m bench.probes bare                 a bare PySide6 process showing one QMainWindow
python -m bench.probes login   --db URL     the app up to its login window
python -m bench.probes main    --db URL     start, log in, main window ready
python -m bench.probes search  --db URL -n N  search p95 per kind, and raw sqlite3 baseline
python -m bench.probes stall   --db URL -n N  longest event-loop stall during searches
python -m bench.probes memory  --db URL -n N  peak RSS after login and N searches
python -m bench.probes order   --db URL -n N  open N mobile numbers, and the raw sqlite3 baseline
python -m bench.probes fixed   --db URL -n N  N broadband installs, and the raw sqlite3 baseline
python -m bench.probes slots   --db URL -n N  N free-slot searches, and the same SQL raw
python -m bench.probes documents --db URL -n N  render each document of one order N times
                                              (and a 24-instalment installment contract)
python -m bench.probes push    --db URL -n N  push N customer records to a scratch PostgreSQL
python -m bench.probes typed-login --db URL --pace S  S2b (bench/e2e.py)
python -m bench.probes screens --db URL -n N  E1–E4 through the real widgets (bench/e2e.py)
python -m bench.probes import  --db URL -n N  check and import an N-row IMEI file (S13)
python -m bench.probes desk-stall --db URL -n N  longest stall while the desk builds a month
                                              N times (S17, bench/desk_probe.py)
python -m bench.probes desk-memory --db URL -n N  peak RSS with the desk open after N day and
                                              N month reviews (S18)
python -m bench.probes reports --db URL -n N  N day reviews, months, PDFs (S14–S16)
python -m bench.probes top-up  --db URL -n N  N top-ups in cash, and the raw sqlite3 baseline (S21)
python -m bench.probes unpaid-bills --db URL -n N  S19; pay-bills: S20 (bench/bill_probe.py)
python -m bench.probes sealed --db URL -n N  S22: blind-index lookups, name / pinyin search, and
                                              opening a record, decryption included
                                              (bench/sealed_probe.py)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any


def _signature() -> bytes:
    """An order with terms is signed: a real PNG, as the customer screen gives it (the handset
    sale refuses bytes that are no image)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 90), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 60), (60, 20), (110, 70), (160, 20), (220, 65)], "black", 3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


SIGNATURE = _signature()

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
    """Queries a clerk would type, spread over the whole table (deterministic); read opened,
    the customers' personal data being sealed (bench/sealed_probe.py)."""
    from bench.sealed_probe import install_keys, sealed_queries

    install_keys()
    found = sealed_queries(f"sqlite:///{db_path}", n)
    return {kind: found[kind] for kind in ("phone", "id", "name", "pinyin")}


# The same lookups as the service, through the blind indexes (?1) (bench/sealed_probe.py).
RAW_SQL = {
    "phone": (
        "SELECT * FROM customers WHERE contact_phone_bidx = ?1 OR alt_phone_bidx = ?1 OR id IN "
        "(SELECT customer_id FROM subscriptions WHERE service_number = ?2) LIMIT 51"
    ),
    "id": "SELECT * FROM customers WHERE id_number_bidx = ?1 OR uscc = ?2 LIMIT 51",
    "name": "SELECT * FROM customers WHERE name_p2 = ?1 AND ?2 IS NOT NULL LIMIT 51",
    "pinyin": "SELECT * FROM customers WHERE initials_p3 = ?1 AND ?2 IS NOT NULL LIMIT 51",
}


def _raw_args(kind: str, q: str) -> tuple[str | None, str]:
    from hall_app.db import blind

    if kind == "phone":
        return blind.phone_index(q), q
    if kind == "id":
        return blind.id_index(q), q
    return blind.prefix_lookup("name" if kind == "name" else "initials", q.lower())[1], q


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
            args = _raw_args(kind, q)
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


# ---------------------------------------------------------------------------------------------
# The raw sqlite3 baseline of an order: the rows one real order wrote, written again


class DmlLog:
    """Counts the rows each writing statement names (verb and table) on an engine while
    ``on``: what an order really writes, reported beside its figures."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.on = False
        self.counts: dict[str, int] = {}
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(
        self, _conn: Any, _cur: Any, statement: str, params: Any, _ctx: Any, many: bool
    ) -> None:
        if self.on:
            key = _dml_key(statement)
            if key:
                sets = len(params) if many and isinstance(params[0], tuple | list | dict) else 1
                if key.startswith("INSERT"):  # one statement may insert many rows
                    sets *= statement.upper().split(" VALUES ", 1)[1].count("(")
                self.counts[key] = self.counts.get(key, 0) + sets


def _dml_key(statement: str) -> str | None:
    words = statement.split(None, 3)
    verb = words[0].upper()
    if verb in ("INSERT", "DELETE"):
        return f"{verb} {words[2].strip(chr(34))}"
    if verb == "UPDATE":
        return f"UPDATE {words[1].strip(chr(34))}"
    return None


class SqlCapture:
    """The statements an engine runs, with their DB-API parameters, inside ``with``: what a
    raw sqlite3 baseline runs again (``with capture as got:`` … ``got`` holds them)."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self._on = False
        self._got: list[tuple[str, Any]] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(
        self, _conn: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool
    ) -> None:
        if self._on:
            self._got.append((statement, params))

    def __enter__(self) -> list[tuple[str, Any]]:
        self._got = []
        self._on = True
        return self._got

    def __exit__(self, *_exc: object) -> None:
        self._on = False


def timed_ms(call: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """What ``call(*args)`` returns, and how long it took in milliseconds."""
    t = time.perf_counter()
    got = call(*args)
    return got, (time.perf_counter() - t) * 1000


def replay_ms(raw: sqlite3.Connection, statements: list[tuple[str, Any]]) -> float:
    """Captured statements (``SqlCapture``) run again by raw sqlite3, every row fetched;
    milliseconds."""
    t = time.perf_counter()
    for statement, params in statements:
        raw.execute(statement, params).fetchall()
    return (time.perf_counter() - t) * 1000


def raw_connect(path: str) -> sqlite3.Connection:
    """A plain sqlite3 connection set up as the app sets up its own (hall_app.db.engine)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=15)
    for pragma in (
        "foreign_keys=ON",
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "cache_size=-65536",
        "wal_autocheckpoint=0",  # the app checkpoints on a thread of its own, still running
    ):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def high_water(conn: sqlite3.Connection) -> dict[str, int]:
    """Each table's largest rowid: the rows inserted after this are past it."""
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {
        t: conn.execute(f'SELECT coalesce(max(rowid), 0) FROM "{t}"').fetchone()[0] for t in tables
    }


class RawOrders:
    """The same rows as one order of the app, written again by the stdlib ``sqlite3`` in one
    transaction per order. The template is a real order: every row it inserted (read back
    after it committed: the rows past each table's high-water mark), inserted again under
    fresh ids, its unique numbers changed, and the updates of the resources it took (set by
    the scenario, ``updates``, with the template's values). ``statements`` maps the
    template's values to fresh ones (ids, and the scenario's own: the next SIM, slot …) in
    both. The outbox rows come from the same triggers the app's writes fire, so they are
    not copied. Statements are prepared before the clock starts: the figure is the database
    work alone."""

    def __init__(self, path: str, before: dict[str, int], tag: str) -> None:
        """``tag``: a letter of the scenario's own, in its unique numbers (scenarios share
        the copy)."""
        from hall_app.db.models import Base

        self.tag = tag

        self.conn = raw_connect(path)
        self.conn.row_factory = sqlite3.Row
        rank = {t.name: i for i, t in enumerate(Base.metadata.sorted_tables)}
        self.rows: list[tuple[str, list[str], tuple[Any, ...]]] = []
        for table, mark in before.items():
            if table == "sync_outbox":
                continue
            for row in self.conn.execute(
                f'SELECT * FROM "{table}" WHERE rowid > ? ORDER BY rowid', (mark,)
            ):
                self.rows.append((table, list(row.keys()), tuple(row)))
        self.rows.sort(key=lambda r: rank.get(r[0], len(rank)))  # parents before children
        tables = {t for t, _c, _v in self.rows}
        self.unique = {t: self._unique_columns(t) for t in tables}
        self.ids = [dict(zip(c, v, strict=True))["id"] for _t, c, v in self.rows]
        self.updates: list[tuple[str, tuple[Any, ...]]] = []
        self.serial = 0

    def template(self, table: str) -> dict[str, Any]:
        """The template's row of ``table`` (its first), or a row it took (updated)."""
        for t, cols, vals in self.rows:
            if t == table:
                return dict(zip(cols, vals, strict=True))
        raise KeyError(table)

    def row(self, table: str, row_id: str) -> dict[str, Any]:
        got = self.conn.execute(f'SELECT * FROM "{table}" WHERE id = ?', (row_id,)).fetchone()
        return dict(got)

    def _unique_columns(self, table: str) -> set[str]:
        out: set[str] = set()
        for index in self.conn.execute(f'PRAGMA index_list("{table}")'):
            if index["unique"] and index["origin"] == "u":
                out |= {
                    r["name"] for r in self.conn.execute(f"PRAGMA index_info('{index['name']}')")
                }
        return out

    def statements(self, remap: dict[Any, Any]) -> list[tuple[str, tuple[Any, ...]]]:
        """One more order: fresh ids, ``remap``'s values in place of the template's, unique
        numbers changed in their last five characters (same length: they still fit, and
        no counter's own numbering can reach them)."""
        self.serial += 1
        fresh: dict[Any, Any] = {i: uuid.uuid4().hex for i in self.ids}
        fresh.update(remap)
        out = []
        for table, cols, vals in self.rows:
            values = []
            for col, v in zip(cols, vals, strict=True):
                if v in fresh:
                    v = fresh[v]
                elif col in self.unique[table] and isinstance(v, str):
                    v = f"{v[:-5]}{self.tag}{self.serial:04d}"
                values.append(v)
            names = ", ".join(f'"{c}"' for c in cols)
            out.append(
                (
                    f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(cols))})',
                    tuple(values),
                )
            )
        for sql, params in self.updates:  # after the inserts: they may point at the new rows
            out.append((sql, tuple(fresh.get(v, v) for v in params)))
        return out

    def run(self, statements: list[tuple[str, tuple[Any, ...]]]) -> float:
        """One order's statements in one transaction; milliseconds, commit included."""
        conn = self.conn
        t = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for sql, params in statements:
            if conn.execute(sql, params).rowcount != 1:
                conn.execute("ROLLBACK")
                raise SystemExit(f"baseline statement changed no row: {sql[:100]}")
        conn.execute("COMMIT")
        return (time.perf_counter() - t) * 1000

    def writes(self) -> dict[str, int]:
        """What one baseline order writes (as ``DmlLog`` counts the app's)."""
        counts: dict[str, int] = {}
        for sql, _p in self.statements({}):
            key = _dml_key(sql)
            assert key is not None
            counts[key] = counts.get(key, 0) + 1
        self.serial -= 1
        return counts

    def close(self) -> None:
        self.conn.close()


def _free_numbers(hall: Any, clerk: Any, n: int) -> list[str]:
    """n free ordinary numbers. One search lists at most ``SEARCH_LIMIT`` numbers, so the
    search runs by two-digit ending (disjoint sets) until n are found."""
    from hall_app.services.numbers import NumberFilter

    numbers: list[str] = []
    for tail in (f"{i:02d}" for i in range(100)):
        if len(numbers) >= n:
            break
        found = hall.numbers.find_numbers(clerk, NumberFilter(ends_with=tail, tier_code=""))
        numbers += [v.number for v in found]
    return numbers[:n]


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
    numbers = _free_numbers(hall, clerk, n)
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


def _interleaved(
    complete: Callable[[Any], Any],
    requests: list[Any],
    base: RawOrders,
    remaps: list[dict[Any, Any]],
) -> tuple[list[float], list[float]]:
    """Each order through the app, then the same rows by raw sqlite3, in turn, so machine
    noise hits both alike. The baseline's first order warms its connection, untimed."""
    prepared = [base.statements(r) for r in remaps]
    if prepared:
        base.run(prepared.pop(0))
    app_ms: list[float] = []
    raw_ms: list[float] = []
    for i, req in enumerate(requests):
        t = time.perf_counter()
        complete(req)
        app_ms.append((time.perf_counter() - t) * 1000)
        if i < len(prepared):
            raw_ms.append(base.run(prepared[i]))
    return app_ms, raw_ms


def _template(
    hall: Any, db: str, complete: Callable[[Any], Any], req: Any, tag: str
) -> tuple[RawOrders, dict[str, int]]:
    """One real order (warm-up), recorded: what it wrote, and the baseline made of it."""
    path = db.removeprefix("sqlite:///")
    conn = raw_connect(path)
    before = high_water(conn)
    conn.close()
    log = DmlLog(hall.db.engine)
    log.on = True
    complete(req)
    log.on = False
    return RawOrders(path, before, tag), log.counts


def _invoice_update(base: RawOrders) -> None:
    if any(t == "invoices" for t, _c, _v in base.rows):
        seg = base.row("invoice_segments", base.template("invoices")["segment_id"])
        base.updates.append(
            (
                "UPDATE invoice_segments SET next_seq = next_seq + 1, updated_at = ? "
                "WHERE id = ? AND next_seq <= last_seq",
                (seg["updated_at"], seg["id"]),
            )
        )


def _order_figures(
    app_ms: list[float], raw_ms: list[float], writes: dict[str, int], base: RawOrders
) -> dict[str, Any]:
    return {
        **_stats(app_ms),
        "orders": len(app_ms),
        "baseline": {**_stats(raw_ms), "orders": len(raw_ms)} if raw_ms else None,
        "writes": writes,
        "baseline_writes": base.writes(),
    }


def probe_order(db: str, n: int) -> None:
    """Order completion (open a mobile number) on a copy of the benchmark database, and the
    same rows written by raw sqlite3 (``RawOrders``) in turn with each order."""
    from hall_app.app import build_app
    from hall_app.config import Settings

    hall = build_app(Settings.load(db_url=db))
    clerk = hall.auth.log_in("clerk1", "hall1234")
    requests = _order_requests(hall, clerk, n + 3)
    if len(requests) < n + 3:  # a figure over fewer orders than asked is not the figure
        raise RuntimeError(f"only {len(requests)} of {n + 3} orders could be prepared")

    def complete(req: Any) -> Any:
        return hall.orders.open_mobile_number(clerk, req)

    for req in requests[:2]:  # warm-up
        complete(req)
    base, writes = _template(hall, db, complete, requests[2], "M")  # warm-up too
    sub = base.template("subscriptions")
    sim = base.row("sim_cards", sub["sim_id"])
    number = dict(
        base.conn.execute(
            "SELECT * FROM number_pool WHERE number = ?", (sub["service_number"],)
        ).fetchone()
    )
    base.updates = [
        (
            "UPDATE number_pool SET status = ?, reserved_until = NULL, updated_at = ? "
            "WHERE id = ? AND status = 'available'",
            (number["status"], number["updated_at"], number["id"]),
        ),
        (
            "UPDATE sim_cards SET status = ?, taken_by_counter_id = ?, updated_at = ? "
            "WHERE id = ? AND status = 'in_stock'",
            (sim["status"], sim["taken_by_counter_id"], sim["updated_at"], sim["id"]),
        ),
    ]
    _invoice_update(base)
    used_numbers = [r.number for r in requests]
    used_sims = [r.iccid for r in requests]
    count = len(requests) - 2  # the baseline's own warm-up and one per timed order
    numbers = base.conn.execute(
        f"SELECT id, number FROM number_pool WHERE status = 'available' AND pretty_tier_id IS NULL "
        f"AND number NOT IN ({','.join('?' * len(used_numbers))}) LIMIT ?",
        (*used_numbers, count),
    ).fetchall()
    sims = base.conn.execute(
        f"SELECT id FROM sim_cards WHERE status = 'in_stock' "
        f"AND iccid NOT IN ({','.join('?' * len(used_sims))}) LIMIT ?",
        (*used_sims, count),
    ).fetchall()
    remaps = [
        {number["id"]: nr["id"], number["number"]: nr["number"], sim["id"]: sr["id"]}
        for nr, sr in zip(numbers, sims, strict=False)
    ]
    app_ms, raw_ms = _interleaved(complete, requests[3:], base, remaps)
    base.close()
    hall.close()
    emit(**_order_figures(app_ms, raw_ms, writes, base))


def fixed_setup(hall: Any, clerk: Any) -> list[tuple[str, int]]:
    """The install slots of the search horizon (as ``hall-app slots make`` makes them; the
    demo made only the slots its own work orders hold), untimed and idempotent; returns the
    covered communities an installer team serves, with their top speed."""
    from sqlalchemy import select

    from hall_app.clock import business_date
    from hall_app.db.models import CoverageArea, TeamArea
    from hall_app.services.installs import ensure_slots

    rules = hall.settings.rules
    now = hall.clock()
    with hall.db.unit_of_work() as s:
        ensure_slots(
            s,
            clerk.hall_id,
            business_date(now),
            rules.install_search_working_days,
            rules,
            None,
            now,
        )
        rows = s.execute(
            select(CoverageArea.community, CoverageArea.max_down_mbps)
            .where(
                CoverageArea.hall_id == clerk.hall_id,
                CoverageArea.active,
                CoverageArea.community.in_(select(TeamArea.community)),
            )
            .order_by(CoverageArea.community)
        ).all()
    return [(r.community, r.max_down_mbps) for r in rows]


def _modems(hall: Any, clerk: Any, count: int) -> list[str]:
    """``count`` optical modems in stock; stock is received for the bench (untimed) if the
    demo's is short."""
    from sqlalchemy import select

    from hall_app.db.models import Equipment, Product
    from hall_app.domain.enums import EquipmentStatus, ProductKind

    with hall.db.unit_of_work() as s:
        modems = [
            p
            for p in s.scalars(select(Product).where(Product.kind == ProductKind.EQUIPMENT))
            if "光猫" in p.name
        ]
        serials = list(
            s.scalars(
                select(Equipment.serial)
                .where(
                    Equipment.product_id.in_([p.id for p in modems]),
                    Equipment.status == EquipmentStatus.IN_STOCK,
                )
                .order_by(Equipment.serial)
                .limit(count)
            )
        )
        for i in range(count - len(serials)):
            serial = f"BENCH{uuid.uuid4().hex[:12].upper()}"
            s.add(
                Equipment(
                    product_id=modems[i % len(modems)].id,
                    serial=serial,
                    status=EquipmentStatus.IN_STOCK,
                    hall_id=clerk.hall_id,
                )
            )
            serials.append(serial)
    return serials


class SlotPlaces:
    """Free places of the communities' slots, handed out earliest first without booking
    them: the requests are prepared before any order is placed."""

    def __init__(self, hall: Any, clerk: Any) -> None:
        self._hall, self._clerk = hall, clerk
        self._free: dict[str, list[list[Any]]] = {}

    def take(self, community: str) -> Any:
        if community not in self._free:
            self._free[community] = [
                [v.slot_id, v.free] for v in self._hall.slots.free_slots(self._clerk, community)
            ]
        for place in self._free[community]:
            if place[1] > 0:
                place[1] -= 1
                return place[0]
        return None


def _fixed_requests(hall: Any, clerk: Any, db: str, n: int) -> tuple[list[Any], list[Any]]:
    """n ready broadband installs over the covered communities, in turn: a plan the address
    supports, an optical modem lent on deposit, a free slot, priced and its terms signed,
    paid in cash; and as many more (slot, modem) pairs for the baseline."""
    from dataclasses import replace

    from hall_app.domain.enums import EquipmentMode, PaymentMethod, SubscriptionKind
    from hall_app.domain.payments import PaymentInput
    from hall_app.services.fixed_line import EquipmentChoice, FixedInstallRequest

    communities = fixed_setup(hall, clerk)
    serials = _modems(hall, clerk, 2 * n)
    places = SlotPlaces(hall, clerk)
    conn = sqlite3.connect(db.removeprefix("sqlite:///"))
    total = conn.execute("SELECT max(rowid) FROM customers").fetchone()[0]
    customers = [
        uuid.UUID(r[0])
        for r in conn.execute(
            "SELECT id FROM customers WHERE kind = 'individual' AND guardian_id IS NULL "
            "AND rowid % ? = 0 LIMIT ?",
            (max(1, total // (2 * n)), n),
        )
    ]
    conn.close()
    plans: dict[int, list[Any]] = {}
    requests = []
    for i, customer_id in enumerate(customers):
        community, top = communities[i % len(communities)]
        if top not in plans:
            plans[top] = hall.fixed_line.plans(clerk, SubscriptionKind.BROADBAND, top)
        slot_id = places.take(community)
        if slot_id is None:
            continue
        req = FixedInstallRequest(
            customer_id=customer_id,
            address=f"福州市鼓楼区{community}{i % 12 + 1}号楼{i % 6 + 1}0{i % 4 + 1}",
            slot_id=slot_id,
            contact_name="王先生",
            contact_phone=f"139{i:08d}",
            payments=(),
            broadband_plan_code=plans[top][i % len(plans[top])].code,
            equipment=(EquipmentChoice(serials[len(requests)], EquipmentMode.DEPOSIT),),
        )
        quote = hall.fixed_line.quote(clerk, req)
        cash = PaymentInput(PaymentMethod.CASH, quote.total_fen, tendered_fen=quote.total_fen)
        requests.append(
            replace(req, payments=(cash,), terms_text=quote.terms, signature_png=SIGNATURE)
        )
    spare = []
    for i, serial in enumerate(serials[len(requests) :]):
        slot_id = places.take(communities[i % len(communities)][0])
        if slot_id is not None:
            spare.append((slot_id, serial))
    return requests, spare


def probe_fixed(db: str, n: int) -> None:
    """Broadband install completion on a copy of the benchmark database (one transaction:
    a plan, a modem lent on deposit, a slot booked, the work order), and the same rows by
    raw sqlite3 in turn with each order."""
    from hall_app.app import build_app
    from hall_app.config import Settings

    hall = build_app(Settings.load(db_url=db))
    clerk = hall.auth.log_in("clerk1", "hall1234")
    requests, spare = _fixed_requests(hall, clerk, db, n + 3)

    def complete(req: Any) -> Any:
        return hall.fixed_line.install(clerk, req)

    for req in requests[:2]:  # warm-up
        complete(req)
    base, writes = _template(hall, db, complete, requests[2], "F")  # warm-up too
    work_order = base.template("work_orders")
    slot = base.row("install_slots", work_order["slot_id"])
    gear = dict(
        base.conn.execute(
            "SELECT * FROM equipment WHERE serial = ?", (requests[2].equipment[0].serial,)
        ).fetchone()
    )
    base.updates = [
        (
            "UPDATE equipment SET status = ?, taken_by_counter_id = ?, order_id = ?, "
            "subscription_id = ?, mode = ?, deposit_fen = ?, updated_at = ? "
            "WHERE id = ? AND status = 'in_stock'",
            tuple(
                gear[c]
                for c in (
                    "status",
                    "taken_by_counter_id",
                    "order_id",
                    "subscription_id",
                    "mode",
                    "deposit_fen",
                    "updated_at",
                    "id",
                )
            ),
        ),
        (
            "UPDATE install_slots SET booked = booked + 1, updated_at = ? "
            "WHERE id = ? AND booked < capacity",
            (slot["updated_at"], slot["id"]),
        ),
    ]
    _invoice_update(base)
    ids = dict(
        base.conn.execute(
            f"SELECT serial, id FROM equipment WHERE serial IN ({','.join('?' * len(spare))})",
            [serial for _slot, serial in spare],
        ).fetchall()
    )
    remaps = [{slot["id"]: slot_id.hex, gear["id"]: ids[serial]} for slot_id, serial in spare]
    app_ms, raw_ms = _interleaved(complete, requests[3:], base, remaps)
    base.close()
    hall.close()
    emit(**_order_figures(app_ms, raw_ms, writes, base))


HANDSET_OFFER = "BENCH-I12"  # the installment offer the bench sells on (made if missing)


def _handset_stock(hall: Any, clerk: Any, count: int) -> tuple[Any, Any, list[str]]:
    """The handset model the bench sells, an installment offer of it (12 months, a stated
    fee) and ``count`` of its units in stock; offer and stock are made for the bench
    (untimed) where the demo's are short."""
    from datetime import date

    from sqlalchemy import select

    from hall_app.db.models import Device, HandsetOffer, Product
    from hall_app.domain.enums import DeviceStatus, OfferKind, ProductKind
    from hall_app.domain.telecom import luhn_check_digit

    with hall.db.unit_of_work() as s:
        product = s.scalars(
            select(Product)
            .where(Product.kind == ProductKind.HANDSET, Product.active)
            .order_by(Product.price_fen.desc(), Product.code)
        ).first()
        assert product is not None, "the benchmark database has no handset"
        offer = s.scalars(select(HandsetOffer).where(HandsetOffer.code == HANDSET_OFFER)).first()
        if offer is None:
            offer = HandsetOffer(
                code=HANDSET_OFFER,
                product_id=product.id,
                kind=OfferKind.INSTALLMENT,
                name=f"{product.name} 分期 12 期",
                months=12,
                fee_fen=24_000,
                min_down_payment_pct=20,
                payoff_fee_fen=5_000,
                valid_from=date(2026, 1, 1),
                valid_to=None,
            )
            s.add(offer)
            s.flush()
        imeis = list(
            s.scalars(
                select(Device.imei)
                .where(
                    Device.product_id == product.id,
                    Device.status.in_([DeviceStatus.IN_STOCK, DeviceStatus.RETURNED]),
                    Device.lease_counter_id.is_(None),
                )
                .order_by(Device.imei)
                .limit(count)
            )
        )
        tac = "35999" + f"{uuid.uuid4().int % 1000:03d}"
        for i in range(count - len(imeis)):
            body = f"{tac}{i:06d}"
            imei = body + luhn_check_digit(body)
            s.add(
                Device(
                    product_id=product.id,
                    imei=imei,
                    status=DeviceStatus.IN_STOCK,
                    hall_id=clerk.hall_id,
                    location="营业厅库房",
                )
            )
            imeis.append(imei)
        return product.id, offer.id, imeis


def _handset_requests(
    hall: Any, clerk: Any, db: str, n: int
) -> tuple[list[Any], list[tuple[str, str]]]:
    """n ready installment sales to adults whose credit assessment is approved (made, untimed,
    as the wizard makes it before the sale), priced and signed, the down payment in cash; and
    as many (unit, assessment) pairs for the baseline."""
    from dataclasses import replace

    from hall_app.domain.enums import CreditOutcome, PaymentMethod, SaleMode
    from hall_app.domain.payments import PaymentInput
    from hall_app.services.handsets import HandsetSaleRequest

    product_id, offer_id, imeis = _handset_stock(hall, clerk, 2 * n)
    with hall.db.read() as s:
        from hall_app.db.models import Product

        price = s.get_one(Product, product_id).price_fen
    down = -(-price * 30 // 10_000) * 100  # 30 %, whole yuan
    conn = sqlite3.connect(db.removeprefix("sqlite:///"))
    total = conn.execute("SELECT max(rowid) FROM customers").fetchone()[0]
    customers = [
        uuid.UUID(r[0])
        for r in conn.execute(
            "SELECT id FROM customers WHERE kind = 'individual' AND guardian_id IS NULL "
            "AND birth_date < '2000-01-01' AND rowid % ? = 0 "
            "AND id NOT IN (SELECT customer_id FROM installment_contracts) LIMIT ?",
            (max(1, total // (8 * n)), 8 * n),
        )
    ]
    conn.close()
    cleared = []
    for customer_id in customers:
        if len(cleared) >= 2 * n:
            break
        credit = hall.handsets.assess_credit(clerk, customer_id, product_id, offer_id, down)
        if credit.outcome is CreditOutcome.APPROVED:
            cleared.append((customer_id, credit.assessment_id))
    requests = []
    for (customer_id, assessment_id), imei in zip(cleared[:n], imeis, strict=False):
        req = HandsetSaleRequest(
            customer_id=customer_id,
            product_id=product_id,
            imei=imei,
            mode=SaleMode.INSTALLMENT,
            payments=(),
            offer_id=offer_id,
            down_payment_fen=down,
            credit_assessment_id=assessment_id,
        )
        quote = hall.handsets.quote(clerk, req)
        cash = PaymentInput(PaymentMethod.CASH, quote.total_fen, tendered_fen=quote.total_fen)
        requests.append(
            replace(req, payments=(cash,), terms_text=quote.terms, signature_png=SIGNATURE)
        )
    spare = [
        (imei, assessment_id.hex)
        for (_c, assessment_id), imei in zip(
            cleared[len(requests) :], imeis[len(requests) :], strict=False
        )
    ]
    return requests, spare


def probe_handset(db: str, n: int) -> None:
    """Installment sale completion on a copy of the benchmark database (one transaction: the
    unit taken, the credit assessment re-checked and used, the down payment, the invoice, the
    installment contract and its 12 instalments), and the same rows by raw sqlite3 in turn
    with each order."""
    from hall_app.app import build_app
    from hall_app.config import Settings

    hall = build_app(Settings.load(db_url=db))
    clerk = hall.auth.log_in("clerk1", "hall1234")
    requests, spare = _handset_requests(hall, clerk, db, n + 3)

    def complete(req: Any) -> Any:
        return hall.handsets.sell(clerk, req)

    for req in requests[:2]:  # warm-up
        complete(req)
    base, writes = _template(hall, db, complete, requests[2], "H")  # warm-up too
    contract = base.template("installment_contracts")
    unit = base.row("devices", contract["device_id"])
    assessment = base.row("credit_assessments", contract["credit_assessment_id"])
    base.updates = [
        (
            "UPDATE devices SET status = ?, taken_by_counter_id = ?, order_id = ?, "
            "customer_id = ?, sold_at = ?, warranty_from = ?, location = ?, updated_at = ? "
            "WHERE id = ? AND status IN ('in_stock', 'returned')",
            tuple(
                unit[c]
                for c in (
                    "status",
                    "taken_by_counter_id",
                    "order_id",
                    "customer_id",
                    "sold_at",
                    "warranty_from",
                    "location",
                    "updated_at",
                    "id",
                )
            ),
        ),
        (
            "UPDATE credit_assessments SET order_id = ?, updated_at = ? "
            "WHERE id = ? AND order_id IS NULL",
            (assessment["order_id"], assessment["updated_at"], assessment["id"]),
        ),
    ]
    _invoice_update(base)
    ids = dict(
        base.conn.execute(
            f"SELECT imei, id FROM devices WHERE imei IN ({','.join('?' * len(spare))})",
            [imei for imei, _a in spare],
        ).fetchall()
    )
    remaps = [{unit["id"]: ids[imei], assessment["id"]: a} for imei, a in spare]
    app_ms, raw_ms = _interleaved(complete, requests[3:], base, remaps)
    base.close()
    hall.close()
    emit(**_order_figures(app_ms, raw_ms, writes, base))


def probe_slots(db: str, n: int) -> None:
    """Free-slot search (the next working days of the search horizon) for n communities in
    turn, over every covered community a team serves; the baseline runs the same statements
    (captured from the app's own call, with its parameters) through raw sqlite3."""
    from hall_app.app import build_app
    from hall_app.config import Settings

    hall = build_app(Settings.load(db_url=db))
    clerk = hall.auth.log_in("clerk1", "hall1234")
    communities = [c for c, _top in fixed_setup(hall, clerk)]
    capture = SqlCapture(hall.db.engine)
    sql: dict[str, list[tuple[str, Any]]] = {}
    for community in communities:  # warm-up, and what each search runs
        with capture as captured:
            hall.slots.free_slots(clerk, community)
        sql[community] = captured
    raw = raw_connect(db.removeprefix("sqlite:///"))
    app_ms: list[float] = []
    raw_ms: list[float] = []
    found: list[int] = []
    for i in range(n):
        community = communities[i % len(communities)]
        got, ms = timed_ms(hall.slots.free_slots, clerk, community)
        app_ms.append(ms)
        found.append(len(got))
        raw_ms.append(replay_ms(raw, sql[community]))
    raw.close()
    hall.close()
    ordered = sorted(found)
    emit(
        **_stats(app_ms),
        searches=n,
        working_days=hall.settings.rules.install_search_working_days,
        communities=len(communities),
        slots_median=ordered[len(ordered) // 2],
        none_found=sum(1 for f in found if f == 0),
        statements=max(len(v) for v in sql.values()),
        baseline=_stats(raw_ms),
    )


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
    from hall_app.documents.contract import render_installment_contract

    sale_id = _installment_sale(hall, clerk)
    renders = {
        DocumentKind.RECEIPT: (done.order_id, layouts.render_receipt),
        DocumentKind.ACCEPTANCE_FORM: (done.order_id, layouts.render_acceptance),
        DocumentKind.INVOICE: (done.order_id, layouts.render_invoice),
        DocumentKind.INSTALLMENT_CONTRACT: (sale_id, render_installment_contract),
    }
    with hall.db.read() as session:
        for kind, (order_id, render) in renders.items():
            _, document = hall.documents._load(session, order_id, kind)
            render(document)  # font registration and imports are not part of the figure
            times = []
            for _ in range(n):
                t = time.perf_counter()
                render(document)
                times.append((time.perf_counter() - t) * 1000)
            out[kind.value] = _stats(times)
    hall.close()
    emit(kinds=out)


def _signature_png() -> bytes:
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 90), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 60), (60, 20), (110, 70), (160, 20), (220, 65)], "black", 3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _installment_sale(hall: Any, clerk: Any) -> uuid.UUID:
    """A handset bought in 24 instalments, its rows as the sale leaves them (order, lines,
    unit, contract, schedule), with terms listing every instalment: what the contract PDF
    reads."""
    from datetime import date, datetime

    from sqlalchemy import select

    from hall_app.clock import business_date
    from hall_app.db.models import (
        Customer,
        Device,
        InstallmentContract,
        Instalment,
        Order,
        OrderLine,
        Product,
    )
    from hall_app.domain.enums import (
        ContractStatus,
        DeviceStatus,
        OrderState,
        OrderType,
        ProductKind,
    )
    from hall_app.domain.handsets import handset_line_text, schedule
    from hall_app.domain.money import format_yuan
    from hall_app.domain.telecom import luhn_check_digit

    now: datetime = hall.clock()
    day: date = business_date(now)
    price, down = 699_900, 100_000
    rows = schedule(price - down, 24, day, fee_fen=24_000)
    body = f"99{uuid.uuid4().int % 10**12:012d}"  # clear of the demo stock's TACs
    imei = body + luhn_check_digit(body)
    with hall.db.unit_of_work() as s:
        customer = s.scalars(select(Customer).where(Customer.id_number.is_not(None))).first()
        product = s.scalars(select(Product).where(Product.kind == ProductKind.HANDSET)).first()
        order = Order(
            order_no=f"SLBENCH{uuid.uuid4().hex[:12]}",
            order_type=OrderType.HANDSET_SALE,
            state=OrderState.COMPLETED,
            hall_id=clerk.hall_id,
            counter_id=clerk.counter_id,
            staff_id=clerk.staff_id,
            customer_id=customer.id,
            total_fen=down,
            terms_text="分期付款条款：\n"
            + "\n".join(
                f"第 {r.seq} 期 {r.due_date:%Y-%m-%d} 应还 {format_yuan(r.amount_fen)}"
                for r in rows
            ),
            signature_png=_signature_png(),
            submitted_at=now,
            completed_at=now,
        )
        s.add(order)
        s.flush()
        s.add(
            OrderLine(
                order_id=order.id,
                product_id=product.id,
                description=handset_line_text(product.name, imei),
                unit_price_fen=price,
                amount_fen=price,
            )
        )
        device = Device(
            product_id=product.id,
            imei=imei,
            status=DeviceStatus.SOLD,
            order_id=order.id,
            customer_id=customer.id,
            sold_at=now,
            warranty_from=day,
        )
        s.add(device)
        s.flush()
        contract = InstallmentContract(
            order_id=order.id,
            customer_id=customer.id,
            device_id=device.id,
            price_fen=price,
            down_payment_fen=down,
            financed_fen=price - down,
            fee_fen=24_000,
            months=24,
            credit_approved=True,
            status=ContractStatus.ACTIVE.value,
            payoff_fee_fen=5_000,
            signed_at=now,
        )
        s.add(contract)
        s.flush()
        s.add_all(
            Instalment(
                contract_id=contract.id,
                seq=r.seq,
                due_date=r.due_date,
                amount_fen=r.amount_fen,
                principal_fen=r.principal_fen,
                fee_fen=r.fee_fen,
            )
            for r in rows
        )
        order_id: uuid.UUID = order.id
    return order_id


def probe_push(db: str, n: int) -> None:
    """Push n waiting customer records to a fresh central PostgreSQL database, then insert the
    same rows with a raw psycopg ``executemany`` into an emptied table, in the same run."""
    import uuid as uuid_mod
    from enum import Enum

    import psycopg
    from sqlalchemy import create_engine, delete, select, text

    from bench.sealed_probe import install_keys
    from hall_app.clock import system_clock
    from hall_app.db.engine import Database, make_engine
    from hall_app.db.migrate import upgrade_to_head
    from hall_app.db.models import Base, Customer, SyncOutbox
    from hall_app.db.outbox import PENDING
    from hall_app.sync.push import Pusher

    install_keys()  # the customers' personal data is sealed with the hall's keys
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


def probe_top_up(db: str, n: int) -> None:
    """Top-up completion (预存话费, one transaction: the order, its receipt-only line, the cash
    payment, the number's balance and bonus raised, the audit entry) on a copy of the
    benchmark database, each to another number, and the same rows by raw sqlite3 in turn."""
    from sqlalchemy import select

    from hall_app.app import build_app
    from hall_app.config import Settings
    from hall_app.db.models import Subscription
    from hall_app.domain.enums import PaymentMethod, SubscriptionKind, SubscriptionStatus
    from hall_app.domain.payments import PaymentInput
    from hall_app.services.top_up import TopUpRequest

    hall = build_app(Settings.load(db_url=db))
    clerk = hall.auth.log_in("clerk1", "hall1234")
    with hall.db.read() as s:
        subs = s.execute(
            select(Subscription.id, Subscription.customer_id, Subscription.service_number)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
            )
            .limit(2 * n + 4)
        ).all()
    amount = 10_000
    pay = (PaymentInput(PaymentMethod.CASH, amount, tendered_fen=20_000),)
    requests = [TopUpRequest(number, amount, pay) for _i, _c, number in subs[: n + 3]]

    def complete(req: Any) -> Any:
        return hall.top_up.top_up(clerk, req)

    for req in requests[:2]:  # warm-up
        complete(req)
    bonus = hall.top_up.quote_top_up(clerk, requests[2].number, amount).bonus_fen
    base, writes = _template(hall, db, complete, requests[2], "U")  # warm-up too
    order = base.template("orders")
    sub = base.row("subscriptions", order["subscription_id"])
    base.updates = [
        (
            "UPDATE subscriptions SET balance_fen = balance_fen + ?, "
            "bonus_fen = bonus_fen + ?, updated_at = ? "
            "WHERE id = ? AND status IN ('active', 'suspended')",
            (amount, bonus, sub["updated_at"], sub["id"]),
        )
    ]
    # the baseline tops up numbers the app does not, so both find their row as it was
    remaps = [
        {sub["id"]: sid.hex, order["customer_id"]: cid.hex}
        for sid, cid, _number in subs[n + 3 : 2 * n + 4]
    ]
    app_ms, raw_ms = _interleaved(complete, requests[3:], base, remaps)
    base.close()
    hall.close()
    emit(**_order_figures(app_ms, raw_ms, writes, base))


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
            "fixed",
            "handset",
            "slots",
            "documents",
            "push",
            "typed-login",
            "screens",
            "import",
            "desk-stall",
            "desk-memory",
            "reports",
            "top-up",
            "unpaid-bills",
            "pay-bills",
            "sealed",
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
    elif args.probe in ("desk-stall", "desk-memory"):
        from bench.desk_probe import probe_desk_memory, probe_desk_stall

        if args.probe == "desk-stall":
            emit(**probe_desk_stall(args.db, args.n))
        else:
            emit(**probe_desk_memory(args.db, args.n))
    elif args.probe == "import":
        import tempfile
        from pathlib import Path

        from bench.stock_probe import probe_import

        with tempfile.TemporaryDirectory() as scratch:
            emit(**probe_import(args.db, args.n, Path(scratch)))
    elif args.probe == "reports":
        from bench.report_probe import probe_reports

        n = args.n
        emit(**probe_reports(args.db, n, max(2, n // 10), max(2, n // 5)))
    elif args.probe in ("unpaid-bills", "pay-bills"):
        from bench.bill_probe import probe_pay_bills, probe_unpaid_bills

        if args.probe == "unpaid-bills":
            emit(**probe_unpaid_bills(args.db, args.n))
        else:
            emit(**probe_pay_bills(args.db, args.n))
    elif args.probe == "sealed":
        from bench.sealed_probe import probe_sealed

        emit(**probe_sealed(args.db, args.n))
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
    elif args.probe == "fixed":
        probe_fixed(args.db, args.n)
    elif args.probe == "handset":
        probe_handset(args.db, args.n)
    elif args.probe == "slots":
        probe_slots(args.db, args.n)
    elif args.probe == "documents":
        probe_documents(args.db, args.n)
    elif args.probe == "push":
        probe_push(args.db, args.n)
    elif args.probe == "top-up":
        probe_top_up(args.db, args.n)
    else:
        probe_memory(args.db, args.n)


if __name__ == "__main__":
    main()
