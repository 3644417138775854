"""The queue review's four charts, drawn with matplotlib into a given ``Axes``: the desk draws
them on its Qt canvas, the PDF daily report into PNGs with Agg (``figure_png``). No Qt here.

matplotlib rather than pyqtgraph: one maintained library draws both the screen and the
printed report (Agg needs no display), and it renders Chinese with the font the PDFs embed.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from functools import cache

from matplotlib import font_manager, rcParams
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from hall_app.clock import local
from hall_app.documents.fonts import cjk_font_path
from hall_app.domain.queue_report import WAIT_BUCKET_LABELS, QueueReport

Draw = Callable[[QueueReport, Axes], None]
BLUE = "#2f6db5"
ORANGE = "#e07b28"
GREEN = "#3a9a5b"
GREY = "#8a8f98"


@cache
def setup_cjk_font() -> str:
    """Make matplotlib draw Chinese (once): the PDFs' font first in the sans-serif list."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(path)
    family = str(font_manager.FontProperties(fname=path).get_name())
    rcParams["font.family"] = "sans-serif"
    rcParams["font.sans-serif"] = [family, *rcParams["font.sans-serif"]]
    rcParams["axes.unicode_minus"] = False  # the font has no U+2212
    return family


def _empty(report: QueueReport, ax: Axes, title: str) -> bool:
    ax.set_title(title, fontsize=11)
    if report.empty:
        ax.text(0.5, 0.5, report.empty_text, ha="center", va="center", color=GREY, fontsize=12)
        ax.set_xticks([])
        ax.set_yticks([])
        return True
    return False


def _style(ax: Axes) -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=8)


def arrivals_backlog(report: QueueReport, ax: Axes) -> None:
    """Arrivals per period (bars) and the backlog waiting at each period's end (line)."""
    setup_cjk_font()
    if _empty(
        report, ax, "到达与积压（每30分钟）" if report.single_day else "到达与积压（每日，日期）"
    ):
        return
    fmt = "%H:%M" if report.single_day else "%d"  # a month: the day of the month
    labels = [local(p.start).strftime(fmt) for p in report.periods]
    xs = list(range(len(labels)))
    ax.bar(xs, [p.arrivals for p in report.periods], color=BLUE, label="到达")
    so_far = [i for i, p in enumerate(report.periods) if not report.to_come(p)]
    ax.plot(  # the line stops at now on a day under way
        so_far,
        [report.periods[i].waiting_end for i in so_far],
        color=ORANGE,
        marker="o",
        markersize=3,
        linewidth=1.6,
        label="时段末等候",
    )
    step = max(1, len(xs) // 10)
    ax.set_xticks(xs[::step], labels[::step])
    figure = ax.get_figure()
    if figure is not None:  # the labels the axes' width has room for (PDF and screen alike)
        thin_x_labels(ax, ax.get_position().width * figure.bbox.width, figure.dpi)
    ax.set_ylabel("张", fontsize=9)
    top = max(max(p.arrivals, p.waiting_end) for p in report.periods)
    ax.set_ylim(0, top * 1.3 or 1)
    ax.legend(fontsize=8, frameon=False, ncol=2, loc="upper left")
    _style(ax)


def thin_x_labels(axes: Axes, room_px: float, dpi: float = 96.0) -> None:
    """Every k-th label of the x axis only, so the labels (e.g. the half hours of the day)
    never run into each other on ``room_px`` pixels at ``dpi``; the ticks stay. Each call
    decides afresh (a wider view shows them all again)."""
    labels = [t for t in axes.get_xticklabels() if t.get_text()]
    if len(labels) < 2:
        return
    size = labels[0].get_fontsize()
    points = float(size) if isinstance(size, int | float) else 8.0
    widest = max(len(t.get_text()) for t in labels) * points * 0.62 * dpi / 72 + 8 * dpi / 96
    step = max(1, math.ceil(len(labels) * widest / max(room_px, 1.0)))
    for i, text in enumerate(labels):
        text.set_visible(i % step == 0)


def wait_distribution(report: QueueReport, ax: Axes) -> None:
    """How long the called tickets waited: 0–5, 5–20, 20–60 and 60+ minutes."""
    setup_cjk_font()
    if _empty(report, ax, "等候时长分布"):
        return
    counts = report.total.wait_buckets
    bars = ax.bar(list(WAIT_BUCKET_LABELS), counts, color=[GREEN, BLUE, ORANGE, "#c0392b"])
    ax.bar_label(bars, labels=[str(c) for c in counts], fontsize=8)
    ax.set_ylabel("张", fontsize=9)
    _style(ax)


def within_target(report: QueueReport, ax: Axes) -> None:
    """Served within the type's target, % of served, per service type."""
    setup_cjk_font()
    if _empty(report, ax, "达标率%（按业务类型）"):
        return
    groups = report.by_service
    targets = {t.service_code: t.target_minutes for t in report.tickets}
    labels = [f"{f.label}\n≤{targets.get(f.key, 0)}分钟" for f in groups]
    values = [f.within_target_pct or 0.0 for f in groups]
    bars = ax.barh(labels, values, color=GREEN)
    ax.bar_label(
        bars,
        labels=[
            "—" if f.within_target_pct is None else f"{f.within_target_pct:.0f}%" for f in groups
        ],
        fontsize=8,
        padding=2,
    )
    ax.set_xlim(0, 115)
    ax.invert_yaxis()
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=8)


def clerk_service(report: QueueReport, ax: Axes) -> None:
    """Average and longest service time per clerk, in minutes."""
    setup_cjk_font()
    if _empty(report, ax, "营业员办理时长（分钟）"):
        return
    clerks = [f for f in report.by_clerk if f.service_avg_s is not None]
    if not clerks:
        ax.text(0.5, 0.5, "无已完成的办理", ha="center", va="center", color=GREY, fontsize=12)
        return
    xs = list(range(len(clerks)))
    avg = [(f.service_avg_s or 0) / 60 for f in clerks]
    longest = [(f.service_max_s or 0) / 60 for f in clerks]
    width = 0.38
    bars = ax.bar([x - width / 2 for x in xs], avg, width, color=BLUE, label="平均")
    ax.bar([x + width / 2 for x in xs], longest, width, color="#9bb7de", label="最长")
    ax.bar_label(bars, labels=[f"{a:.1f}" for a in avg], fontsize=7)
    ax.set_xticks(xs, [f.label for f in clerks])
    ax.set_ylim(0, max(longest) * 1.3 or 1)
    ax.legend(fontsize=8, frameon=False, ncol=2, loc="upper left")
    _style(ax)


LEFT_MARGIN: dict[Draw, float] = {within_target: 0.25}  # room for the type labels
CHARTS: tuple[tuple[str, Draw], ...] = (
    ("arrivals_backlog", arrivals_backlog),
    ("wait_distribution", wait_distribution),
    ("within_target", within_target),
    ("clerk_service", clerk_service),
)


def figure_png(draw: Draw, report: QueueReport, size: tuple[int, int], dpi: int = 100) -> bytes:
    """One chart as a PNG of ``size`` pixels (width, height), drawn with Agg (no display, safe
    off the GUI thread: no pyplot state)."""
    fig = Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    draw(report, ax)
    # Fixed margins, not tight_layout: that draws the figure twice (half the PDF's time).
    fig.subplots_adjust(left=LEFT_MARGIN.get(draw, 0.13), right=0.97, top=0.88, bottom=0.15)
    raw = io.BytesIO()
    fig.savefig(raw, format="rgba", dpi=dpi)
    # RGB, no alpha: the PDF then embeds one image per chart, with no soft mask to blend
    width, height = round(fig.bbox.width), round(fig.bbox.height)
    rgb = Image.frombytes("RGBA", (width, height), raw.getvalue()).convert("RGB")
    out = io.BytesIO()
    rgb.save(out, format="PNG", compress_level=3)
    return out.getvalue()
