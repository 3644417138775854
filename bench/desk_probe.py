"""The supervisor's desk in the real GUI (bench S17, S18): a supervisor logs in, opens the desk
(F12) at 排队日报 and builds a month's review, tables and charts, N times, while a 5 ms QTimer
heartbeat records the longest gap the GUI thread left (S17); the peak RSS with the desk open
after the day's and the month's reviews (S18)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from bench.probes import _close, _drive_in_event_loop, _log_in, _stall_probe, _start, _stats


def last_business_day(db: str) -> date:
    """The bench database's latest day with tickets (the demo's "today")."""
    conn = sqlite3.connect(db.removeprefix("sqlite:///"))
    try:
        (day,) = conn.execute("SELECT max(business_date) FROM queue_tickets").fetchone()
    finally:
        conn.close()
    return date.fromisoformat(str(day)[:10])


def _review_page(window: Any) -> Any:
    window.open_desk()
    return window.desk.go_to_key("queue_review")


def _choose(page: Any, mode: str, day: date) -> None:
    from PySide6.QtCore import QDate

    page.mode.setCurrentIndex(page.mode.findData(mode))
    page.date.setDate(QDate(day.year, day.month, day.day))


def _charted(page: Any) -> bool:
    return page.reviewed is not None and all(
        v.image is not None or page.reviewed.report.empty for v in page.charts.values()
    )


def _build_steps(
    page: Any, mode: str, day: date, n: int, took: list[float]
) -> list[Callable[[], None]]:
    """Each step asks for the review; the next runs once its report and charts are done (the
    driver waits for the reader threads), and the time to the charts is recorded."""
    started: list[float] = []
    steps: list[Callable[[], None]] = [lambda: _choose(page, mode, day)]

    def ask() -> None:
        if started:  # the previous build is complete: the driver waited for idle
            assert _charted(page), "the charts were not drawn"
            took.append((time.perf_counter() - started[-1]) * 1000)
        started.append(time.perf_counter())
        page.refresh()

    steps += [ask] * n

    def last() -> None:
        assert _charted(page), "the charts were not drawn"
        took.append((time.perf_counter() - started[-1]) * 1000)

    steps.append(last)
    return steps


def probe_desk_stall(db: str, n: int) -> dict[str, Any]:
    app, session = _start(db)
    window = _log_in(app, session, "super1")
    day = last_business_day(db)
    opening, gaps_open = _stall_probe()
    page: list[Any] = []
    _drive_in_event_loop(app, window, session.ops, [lambda: page.append(_review_page(window))])
    opening.stop()
    took: list[float] = []
    timer, gaps = _stall_probe()
    _drive_in_event_loop(app, window, session.ops, _build_steps(page[0], "month", day, n, took))
    timer.stop()
    gaps = gaps[1:]
    report = page[0].reviewed.report
    out = {
        "max_stall_ms": round(max(gaps), 2),
        "p95_gap_ms": _stats(gaps)["p95_ms"],
        "open_max_stall_ms": round(max(gaps_open[1:] or [0.0]), 2),
        "months": n,
        "month": f"{day.year}-{day.month:02d}",
        "tickets": len(report.tickets),
        "month_to_charts_median_ms": round(_stats(took)["median_ms"], 1),
    }
    session.ops.wait_idle()
    _close(session)
    return out


def probe_desk_memory(db: str, n: int) -> dict[str, Any]:
    app, session = _start(db)
    window = _log_in(app, session, "super1")
    day = last_business_day(db)
    page: list[Any] = []
    _drive_in_event_loop(app, window, session.ops, [lambda: page.append(_review_page(window))])
    took: list[float] = []
    steps = _build_steps(page[0], "day", day, n, took)
    steps += _build_steps(page[0], "month", day, n, took)
    _drive_in_event_loop(app, window, session.ops, steps)
    out = {"reviews": 2 * n, "tickets_month": len(page[0].reviewed.report.tickets)}
    session.ops.wait_idle()
    _close(session)
    return out
