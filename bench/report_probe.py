"""S14–S16: the supervisor's queue review (排队日报) on the benchmark database.

S14 reviews the history's days in turn (QueueReportService.day, p95); S15 the busiest month
(QueueReportService.month); S16 renders the PDF daily report with its four charts. The
baselines run in the same process: S14/S15 the same SQL statements (captured from the app's
own call, with its parameters) through raw sqlite3, so the ratio is what the report code adds
over fetching its rows; S16 the same PDF without the charts (reportlab only)."""

from __future__ import annotations

import statistics
import time
from datetime import date
from typing import Any

from sqlalchemy import event, func, select


def _stats(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return {"median_ms": round(statistics.median(ordered), 3), "p95_ms": round(p95, 3)}


def probe_reports(db: str, days_n: int, months_n: int, renders_n: int) -> dict[str, Any]:
    from bench.probes import raw_connect
    from hall_app.app import build_app
    from hall_app.config import Settings
    from hall_app.db.models import QueueTicket
    from hall_app.documents.queue_daily import render_daily_pdf

    hall = build_app(Settings.load(db_url=db))
    supervisor = hall.auth.log_in("super1", "hall1234")
    with hall.db.read() as s:
        per_day = s.execute(
            select(QueueTicket.business_date, func.count())
            .where(QueueTicket.hall_id == supervisor.hall_id)
            .group_by(QueueTicket.business_date)
            .order_by(QueueTicket.business_date)
        ).all()
    days: list[date] = [d for d, _n in per_day]
    per_month: dict[tuple[int, int], int] = {}
    for d, n in per_day:
        per_month[(d.year, d.month)] = per_month.get((d.year, d.month), 0) + n
    year, month = max(per_month, key=lambda k: per_month[k])

    captured: list[tuple[str, Any]] = []
    capture = [False]

    def seen(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if capture[0]:
            captured.append((statement, params))

    event.listen(hall.db.engine, "before_cursor_execute", seen)

    def captured_sql(call: Any) -> list[tuple[str, Any]]:
        captured.clear()
        capture[0] = True
        call()
        capture[0] = False
        return list(captured)

    raw = raw_connect(db.removeprefix("sqlite:///"))

    def run_raw(sql: list[tuple[str, Any]]) -> float:
        t = time.perf_counter()
        for statement, params in sql:
            raw.execute(statement, params).fetchall()
        return (time.perf_counter() - t) * 1000

    # S14: the days of the history in turn (each once untimed: what it runs)
    day_sql = {d: captured_sql(lambda d=d: hall.reports.day(supervisor, d)) for d in days}
    day_ms: list[float] = []
    day_raw: list[float] = []
    tickets: list[int] = []
    for i in range(days_n):
        d = days[i % len(days)]
        t = time.perf_counter()
        report = hall.reports.day(supervisor, d)
        day_ms.append((time.perf_counter() - t) * 1000)
        tickets.append(report.total.arrivals)
        day_raw.append(run_raw(day_sql[d]))

    # S15: the busiest month
    month_sql = captured_sql(lambda: hall.reports.month(supervisor, year, month))
    month_ms: list[float] = []
    month_raw: list[float] = []
    for _ in range(months_n):
        t = time.perf_counter()
        month_report = hall.reports.month(supervisor, year, month)
        month_ms.append((time.perf_counter() - t) * 1000)
        month_raw.append(run_raw(month_sql))
    raw.close()

    # S16: the busiest day's PDF (the charts' font and imports warmed up first)
    busiest = max(per_day, key=lambda r: r[1])[0]
    report = hall.reports.day(supervisor, busiest)
    render_daily_pdf(report, hall_name=supervisor.hall_name)
    pdf_ms: list[float] = []
    bare_ms: list[float] = []
    size = 0
    for _ in range(renders_n):
        t = time.perf_counter()
        size = len(render_daily_pdf(report, hall_name=supervisor.hall_name))
        pdf_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        render_daily_pdf(report, hall_name=supervisor.hall_name, charts=False)
        bare_ms.append((time.perf_counter() - t) * 1000)
    hall.close()
    return {
        "day": {
            **_stats(day_ms),
            "baseline": _stats(day_raw),
            "reviews": days_n,
            "days": len(days),
            "tickets_median": sorted(tickets)[len(tickets) // 2],
            "statements": max(len(v) for v in day_sql.values()),
        },
        "month": {
            **_stats(month_ms),
            "baseline": _stats(month_raw),
            "runs": months_n,
            "month": f"{year}-{month:02d}",
            "tickets": month_report.total.arrivals,
            "statements": len(month_sql),
        },
        "pdf": {
            **_stats(pdf_ms),
            "baseline": _stats(bare_ms),
            "renders": renders_n,
            "day": busiest.isoformat(),
            "tickets": report.total.arrivals,
            "pdf_kb": round(size / 1024, 1),
        },
    }
