"""End-to-end probes through the real widgets: from the key press to the screen painted.

python -m bench.probes typed-login --db URL [--pace S]  S2b: type the credentials at a human
                                                         pace, time Enter → main window ready
python -m bench.probes screens --db URL -n N            E1–E4 on a scratch copy (they write):
                                                         search, open record, F2, 开户 wizard

A step is timed from just before the key event is sent until the changed widget has received
its first paint event showing the new state (an event filter on that widget checks the state
when the paint arrives). Meanwhile the event loop is pumped the way ``exec()`` runs it: waiting
for the next event, never sleeping. Each scenario also times, in the same process, the bare
service call the screen makes, so the screen's own share is visible as a ratio."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

PUMP = QEventLoop.ProcessEventsFlag.AllEvents | QEventLoop.ProcessEventsFlag.WaitForMoreEvents
TIMEOUT_S = 10.0


class PaintWatch(QObject):
    """Notes the first paint event a widget receives while ``shown()`` holds."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.widget = widget
        self.shown: Callable[[], bool] = lambda: False
        self.painted = False
        widget.installEventFilter(self)

    def arm(self, shown: Callable[[], bool]) -> None:
        self.shown = shown
        self.painted = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self.painted and self.shown():
            self.painted = True
        return False


def _keep_awake() -> QTimer:
    """A waiting pump must wake now and then to check its deadline."""
    timer = QTimer()
    timer.start(50)
    return timer


SHOWN: list[str] = []  # messages the app tried to show: a probe that meets one has gone wrong


def refuse_messages() -> None:
    """A message box would wait for a click forever: note it instead, and stop the probe."""
    from ui import messages

    def show(kind: Any, _parent: Any, title: str, text: str) -> bool:
        SHOWN.append(f"{kind} {title}: {text}")
        return True

    messages._show = show  # type: ignore[assignment]  # tests patch it the same way


def pump_until(done: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        QCoreApplication.processEvents(PUMP)
        if SHOWN:
            raise SystemExit(f"the app showed a message: {SHOWN[0]}")
        if time.monotonic() > deadline:
            raise TimeoutError("the screen did not reach the expected state")


def timed(
    target: QWidget,
    key: Qt.Key,
    shown: Callable[[], bool],
    watch: PaintWatch,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> float:
    """Milliseconds from pressing ``key`` in ``target`` until ``watch``'s widget painted
    ``shown``. Untimed before it: the clerk's window has the keyboard (activation is queued)."""
    pump_until(lambda: QApplication.activeWindow() is target.window())
    QCoreApplication.processEvents()
    watch.arm(shown)
    t0 = time.perf_counter()
    QTest.keyClick(target, key, modifier)
    pump_until(lambda: watch.painted)
    return (time.perf_counter() - t0) * 1000


def settle(ops: Any) -> None:
    """Untimed: let follow-up work (an automatic record open, a refresh) finish."""
    pump_until(lambda: not ops.busy)
    QCoreApplication.processEvents()


def stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return {
        "median_ms": round(ordered[len(ordered) // 2], 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(ordered[-1], 2),
        "n": len(ordered),
    }


def bare(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """A service call timed alone: (milliseconds, what it returned)."""
    t0 = time.perf_counter()
    result = fn(*args)
    return (time.perf_counter() - t0) * 1000, result


# -- S2b: a login typed at a human pace ---------------------------------------------------------
def idle(seconds: float) -> None:
    """The event loop waits as in ``exec()`` (start-up work and timers run meanwhile)."""
    over: list[bool] = []
    QTimer.singleShot(round(seconds * 1000), lambda: over.append(True))
    pump_until(lambda: bool(over))


def type_slowly(widget: QWidget, text: str, gap_s: float) -> None:
    for ch in text:
        QTest.keyClicks(widget, ch)
        idle(gap_s)


def probe_typed_login(db: str, pace_s: float) -> dict[str, Any]:
    from bench.probes import _start

    refuse_messages()
    _app, session = _start(db)
    awake = _keep_awake()  # once the QApplication exists
    login = session.login
    assert login is not None
    pump_until(login.isVisible)
    user, password = "clerk1", "hall1234"
    gap = pace_s / (len(user) + len(password) + 1)
    login.username.setFocus()
    type_slowly(login.username, user, gap)
    QTest.keyClick(login.username, Qt.Key.Key_Return)  # on to the password field
    type_slowly(login.password, password, gap)
    started_before_enter = session.hall is not None
    watches: list[PaintWatch] = []

    def ready() -> bool:
        w = session.window
        return w is not None and w.isVisible() and w.focusWidget() is w.customers.query

    def watch_new_window() -> None:  # runs right after the session built the main window
        if session.window is not None:
            watches.append(PaintWatch(session.window.customers.query))
            watches[-1].arm(ready)

    login.accepted.connect(watch_new_window)
    t0 = time.perf_counter()
    QTest.keyClick(login.password, Qt.Key.Key_Return)
    pump_until(lambda: bool(watches) and watches[0].painted)
    enter_ms = (time.perf_counter() - t0) * 1000
    hall = session.hall
    assert hall is not None
    session.ops.wait_idle()
    base = [bare(hall.auth.log_in, user, password)[0] for _ in range(3)]
    awake.stop()
    assert session.window is not None
    session.window.close()
    _close_session(session)
    return {
        "enter_ms": round(enter_ms, 1),
        "login_call_ms": round(sorted(base)[1], 1),
        "typing_s": pace_s,
        "started_before_enter": started_before_enter,
    }


def _close_session(session: Any) -> None:
    session.ops.wait_idle()
    if session.hall is not None:
        session.hall.close()


# -- E1–E4: the clerk's screens on the big database ---------------------------------------------
def _wizard_candidates(hall: Any, n: int) -> list[tuple[Any, str]]:
    """Adults without a mobile number and without a guardian: (customer id, ID number)."""
    from datetime import date

    from sqlalchemy import select

    from hall_app.db.models import Customer, Subscription
    from hall_app.domain.enums import CustomerKind, SubscriptionKind

    with hall.db.read() as s:
        rows = s.scalars(  # whole rows: their ID numbers opened (a Core read gives ciphertext)
            select(Customer)
            .where(
                Customer.kind == CustomerKind.INDIVIDUAL,
                Customer.guardian_id.is_(None),
                Customer.id_number.is_not(None),
                Customer.birth_date < date(2000, 1, 1),
                ~Customer.id.in_(
                    select(Subscription.customer_id).where(
                        Subscription.kind == SubscriptionKind.MOBILE
                    )
                ),
            )
            .limit(n)
        ).all()
        return [(r.id, str(r.id_number)) for r in rows]


def _free_sims(hall: Any, n: int) -> list[str]:
    from sqlalchemy import select

    from hall_app.db.models import SimCard
    from hall_app.domain.enums import SimStatus

    with hall.db.read() as s:
        return list(
            s.scalars(select(SimCard.iccid).where(SimCard.status == SimStatus.IN_STOCK).limit(n))
        )


def sign(pad: QWidget) -> None:
    """A pen stroke on the signature pad: press, moves with the button held, release."""
    points = [(60.0, 120.0), (120.0, 60.0), (180.0, 140.0), (260.0, 70.0), (330.0, 130.0)]

    def send(kind: QEvent.Type, x: float, y: float, buttons: Qt.MouseButton) -> None:
        at = QPointF(x, y)
        event = QMouseEvent(
            kind,
            at,
            pad.mapToGlobal(at),
            Qt.MouseButton.LeftButton,
            buttons,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(pad, event)

    held = Qt.MouseButton.LeftButton
    send(QEvent.Type.MouseButtonPress, *points[0], held)
    for x, y in points[1:]:
        send(QEvent.Type.MouseMove, x, y, held)
    send(QEvent.Type.MouseButtonRelease, *points[-1], Qt.MouseButton.NoButton)


NEXT, CTRL = Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier  # 下一步 (Ctrl+Enter)


def _is_open(page: Any, customer_id: Any) -> bool:
    return page.current is not None and bool(page.current.id == customer_id)


def _search_and_record(
    window: Any, hall: Any, actor: Any, queries: dict[str, list[str]], ops: Any
) -> dict[str, Any]:
    """E1: Enter in the search field until the results are painted; E2: Enter on a result
    until the record is painted. Bare calls: search_customers, get_customer_record."""
    page = window.customers
    results = PaintWatch(page.table.viewport())
    title = PaintWatch(page.record.title)
    search_ui: dict[str, list[float]] = {}
    search_raw: list[float] = []
    open_ui: list[float] = []
    open_raw: list[float] = []
    for kind, qs in queries.items():
        search_ui[kind] = []
        for i, q in enumerate(qs):
            page.query.setText(q)
            page.focus_query()
            ms = timed(
                page.query,
                Qt.Key.Key_Return,
                lambda: page.hint.text().startswith("按") and page.results.rowCount() > 0,
                results,
            )
            search_ui[kind].append(ms)
            settle(ops)
            search_raw.append(bare(hall.customers.search_customers, actor, q)[0])
            rows = page.results.rowCount()
            if kind not in ("name", "pinyin") or rows < 2:
                continue  # a single result opens by itself: there is no result to press Enter on
            for _ in range(i % min(rows, 10)):  # a different row each time, by keyboard
                QTest.keyClick(page.table, Qt.Key.Key_Down)
            chosen = page.results.payload(page.table.currentIndex().row())
            ms = timed(
                page.table,
                Qt.Key.Key_Return,
                partial(_is_open, page, chosen),
                title,
            )
            open_ui.append(ms)
            settle(ops)
            open_raw.append(bare(hall.customers.get_customer_record, actor, chosen)[0])
    all_search = [ms for values in search_ui.values() for ms in values]
    return {
        "search": {
            "ui": stats(all_search),
            "raw": stats(search_raw),
            "kinds": {k: stats(v) for k, v in search_ui.items()},
        },
        "record": {"ui": stats(open_ui), "raw": stats(open_raw)},
    }


def _call_tickets(window: Any, hall: Any, actor: Any, n: int, ops: Any) -> dict[str, Any]:
    """E3: F2 until the called ticket is painted in the queue bar, on tickets issued now through
    QueueService; each called ticket is finished (F8, untimed). Bare: call_next."""
    for _ in range(2 * n):
        hall.queue.issue_ticket(actor, "general")
    queue = window.queue
    label = PaintWatch(queue.ticket_label)
    ui: list[float] = []
    raw: list[float] = []
    for _ in range(n):
        before = queue.current.id if queue.current is not None else None

        def called(before: Any = before) -> bool:
            t = queue.current
            return (
                t is not None
                and t.id != before
                and queue.ticket_label.text().startswith(t.ticket_no)
            )

        ui.append(timed(window, Qt.Key.Key_F2, called, label))
        settle(ops)
        QTest.keyClick(window, Qt.Key.Key_F8)
        settle(ops)
        ms, got = bare(hall.queue.call_next, actor)
        raw.append(ms)
        if got is not None:
            hall.queue.finish(actor, got.id)
    return {"ui": stats(ui), "raw": stats(raw)}


STEPS = (
    "open",  # Ctrl+N on the record → 1 资格核验 shown with its verdict
    "number",  # 1 → 2 选择号码, the pool listed
    "plan",  # 2 → 3 选择套餐, plans listed
    "sim",  # 3 → 4 绑定 SIM 卡 (the order is priced first)
    "confirm",  # 4 → 5 客户确认, the customer's screen up
    "payment",  # 5 → 6 收费
    "done",  # 6 → 7 办结 (the order completes in one transaction)
)


def _one_wizard(
    window: Any, hall: Any, actor: Any, ops: Any, customer: tuple[Any, str], iccid: str
) -> dict[str, float] | None:
    """One 开户 from the customer's record to 办结; None when the customer may not open one."""
    page = window.customers
    page.query.setText(customer[1])
    page.focus_query()
    QTest.keyClick(page.query, Qt.Key.Key_Return)  # one result: the record opens by itself
    pump_until(lambda: page.current is not None and page.open_mobile_button.isEnabled())
    settle(ops)
    times: dict[str, float] = {}
    pump_until(lambda: QApplication.activeWindow() is window)
    QCoreApplication.processEvents()
    t0 = time.perf_counter()
    QTest.keyClick(page, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    # the key press built and opened the wizard; its verdict comes from prepare_open
    wizard = window.wizard
    assert wizard is not None and wizard.isVisible()
    verdict = PaintWatch(wizard.eligibility.verdict)
    verdict.arm(lambda: bool(wizard.eligibility.verdict.text()))
    pump_until(lambda: verdict.painted)
    times["open"] = (time.perf_counter() - t0) * 1000
    settle(ops)
    elig = wizard.eligibility
    if not elig.verdict.text().startswith("可以办理"):
        wizard.reject()
        return None
    elig.face_passed.setChecked(True)

    numbers = wizard.number
    times["number"] = timed(
        wizard,
        NEXT,
        lambda: wizard.current is numbers and numbers.hint.text().startswith("找到"),
        PaintWatch(numbers.table.viewport()),
        CTRL,
    )
    settle(ops)
    QTest.keyClick(numbers.table, Qt.Key.Key_Return)  # reserve the first number listed
    pump_until(lambda: wizard.draft.reservation is not None and wizard.next_button.isEnabled())
    settle(ops)

    plans = wizard.plan
    times["plan"] = timed(
        wizard,
        NEXT,
        lambda: wizard.current is plans and plans.plan_list.count() > 0,
        PaintWatch(plans.plan_list.viewport()),
        CTRL,
    )
    settle(ops)
    QTest.keyClick(plans.plan_list, Qt.Key.Key_Space)  # compare (and so choose) the first plan
    pump_until(wizard.next_button.isEnabled)

    sim = wizard.sim
    times["sim"] = timed(wizard, NEXT, lambda: wizard.current is sim, PaintWatch(sim.result), CTRL)
    settle(ops)
    QTest.keyClicks(sim.iccid, iccid)  # the scanner types, then Enter
    QTest.keyClick(sim.iccid, Qt.Key.Key_Return)
    pump_until(lambda: wizard.draft.sim is not None and wizard.next_button.isEnabled())

    confirm = wizard.confirm

    def customer_screen_up() -> bool:
        d = confirm.customer_dialog
        return wizard.current is confirm and d is not None and d.isVisible()

    t0 = time.perf_counter()
    times["confirm"] = timed(wizard, NEXT, customer_screen_up, PaintWatch(confirm.summary), CTRL)
    dialog = confirm.customer_dialog
    assert dialog is not None
    t1 = time.perf_counter()
    dialog.repaint()  # the customer's screen is new: its paint counts too
    times["confirm"] += (time.perf_counter() - t1) * 1000
    settle(ops)
    sign(dialog.pad)
    QTest.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    pump_until(lambda: wizard.draft.signature_png is not None and wizard.next_button.isEnabled())

    pay = wizard.payment
    times["payment"] = timed(wizard, NEXT, lambda: wizard.current is pay, PaintWatch(pay.due), CTRL)
    quote = wizard.draft.quote
    assert quote is not None
    QTest.keyClicks(pay.tendered, str(quote.total_fen // 10_000 * 100 + 100))  # next hundred
    pump_until(wizard.next_button.isEnabled)

    done = wizard.done_page
    times["done"] = timed(
        wizard,
        NEXT,
        lambda: wizard.current is done and done.result.text().startswith("<b>开户成功"),
        PaintWatch(done.result),
        CTRL,
    )
    settle(ops)
    QTest.keyClick(wizard, NEXT, CTRL)  # 完成: the wizard closes and the record reopens
    settle(ops)
    return times


def _bare_wizard(hall: Any, actor: Any, customer_id: Any, iccid: str) -> dict[str, float]:
    """The service calls each wizard step makes, bare, on another customer."""
    from hall_app.domain.enums import FaceCheckMethod, PaymentMethod
    from hall_app.domain.payments import PaymentInput
    from hall_app.services.numbers import NumberFilter
    from hall_app.services.orders import OpenMobileRequest

    out: dict[str, float] = {}
    out["open"], _ = bare(hall.orders.prepare_open, actor, customer_id)
    tiers_ms, _ = bare(hall.numbers.list_tiers, actor)
    find_ms, found = bare(hall.numbers.find_numbers, actor, NumberFilter())
    out["number"] = tiers_ms + find_ms
    number = found[0].number
    hall.numbers.reserve_number(actor, number)
    plans_ms, plans = bare(hall.catalog.list_plans, actor)
    addons_ms, _ = bare(hall.catalog.list_addons, actor)
    out["plan"] = plans_ms + addons_ms
    out["sim"], quote = bare(hall.orders.quote, actor, number, plans[0].code, ())
    hall.orders.check_sim(actor, iccid)
    total = quote.total_fen
    req = OpenMobileRequest(
        customer_id=customer_id,
        number=number,
        plan_code=plans[0].code,
        iccid=iccid,
        payments=(PaymentInput(PaymentMethod.CASH, total, total // 10_000 * 10_000 + 10_000),),
        face_check=FaceCheckMethod.DEVICE,
        face_checked_by="HK-FR-200",
        terms_text=quote.terms,
    )
    out["done"], _ = bare(hall.orders.open_mobile_number, actor, req)
    return out


def _wizards(window: Any, hall: Any, actor: Any, n: int, ops: Any) -> dict[str, Any]:
    customers = _wizard_candidates(hall, 4 * n + 8)
    sims = _free_sims(hall, 2 * n + 4)
    ui: dict[str, list[float]] = {s: [] for s in STEPS}
    raw: dict[str, list[float]] = {s: [] for s in STEPS}
    skipped = 0
    while len(ui["done"]) < n and len(customers) >= 2 and len(sims) >= 2:
        times = _one_wizard(window, hall, actor, ops, customers.pop(0), sims[0])
        if times is None:
            skipped += 1
            continue
        sims.pop(0)
        for step, ms in times.items():
            ui[step].append(ms)
        other, _ = customers.pop(0)
        for step, ms in _bare_wizard(hall, actor, other, sims.pop(0)).items():
            raw[step].append(ms)
    if len(ui["done"]) < n:
        raise SystemExit(f"only {len(ui['done'])} of {n} wizards could run ({skipped} refused)")
    return {
        step: {"ui": stats(ui[step]), "raw": stats(raw[step]) if raw[step] else None}
        for step in STEPS
    }


def probe_screens(db: str, n: int) -> dict[str, Any]:
    """Logged in as clerk1 on the real main window; n of each (and n/4 wizards, at least 2)."""
    from bench.probes import _log_in, _start, sample_queries

    refuse_messages()
    app, session = _start(db)
    awake = _keep_awake()  # once the QApplication exists
    window = _log_in(app, session)
    hall, actor, ops = session.hall, window.actor, session.ops
    settle(ops)
    per_kind = max(2, n // 4)
    queries = {
        kind: qs[:per_kind]
        for kind, qs in sample_queries(db.removeprefix("sqlite:///"), per_kind).items()
    }
    out = _search_and_record(window, hall, actor, queries, ops)
    out["call"] = _call_tickets(window, hall, actor, max(2, n // 2), ops)
    out["wizard"] = _wizards(window, hall, actor, max(2, n // 4), ops)
    awake.stop()
    window.close()
    _close_session(session)
    return out
