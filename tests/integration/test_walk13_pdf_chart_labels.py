"""Walk-through of issue 13: the printed daily report's chart 到达与积压.

The PDF of 2026-01-05 (导出 PDF, Ctrl+P) printed all 19 half-hour labels under the chart,
08:30 … 17:30, run together into one unreadable line ("08:3009:3010:30…"); the desk's own
chart leaves every other label out so they never overlap."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from hall_app.app import HallApp
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.documents.charts import LEFT_MARGIN, arrivals_backlog
from hall_app.documents.queue_daily import CHART_DPI, CHART_PX
from hall_app.services.actor import Actor
from tests.conftest import FakeClock

DAY = date(2026, 11, 24)  # the demo's today: no tickets yet
OPEN = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)  # 08:30 in the hall


def test_the_pdf_charts_period_labels_do_not_overlap(
    hall: HallApp, clock: FakeClock, supervisor: Actor
) -> None:
    clerk = hall.auth.log_in("clerk1", DEMO_PASSWORD)
    clock.now = OPEN + timedelta(minutes=5)
    hall.queue.issue_ticket(clerk, "general")
    clock.now = OPEN + timedelta(hours=9, minutes=25)  # 17:55, a whole day of periods
    report = hall.reports.day(supervisor, DAY)
    assert len(report.periods) == 19

    # the chart as figure_png draws it into the PDF (its size, dpi and margins)
    fig = Figure(figsize=(CHART_PX[0] / CHART_DPI, CHART_PX[1] / CHART_DPI), dpi=CHART_DPI)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    arrivals_backlog(report, ax)
    fig.subplots_adjust(
        left=LEFT_MARGIN.get(arrivals_backlog, 0.13), right=0.97, top=0.88, bottom=0.15
    )
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = sorted(
        (e.x0, e.x1, t.get_text())
        for t in ax.get_xticklabels()
        if t.get_visible() and t.get_text()
        for e in [t.get_window_extent(renderer)]
    )
    overlapping = [(a[2], b[2]) for a, b in pairwise(boxes) if b[0] < a[1] + 2]
    assert overlapping == []
