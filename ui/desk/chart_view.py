"""The queue review's charts on screen. matplotlib draws them with Agg in a reader thread
(``render_chart``, through ``ops.query``), and ``ChartView`` only paints the finished image:
drawing one chart on the GUI thread (FigureCanvasQTAgg) took 80–180 ms, longer than the
50 ms the GUI thread may be held. A resized view shows the last image scaled until its
redraw, asked for once the size settles, arrives."""

from __future__ import annotations

import gc
import io
import threading
from dataclasses import dataclass

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from hall_app.domain.queue_report import QueueReport

RESIZE_SETTLE_MS = 250
# The charts of hall_app/documents/charts.py (its CHARTS), in the desk's order.
CHART_KEYS = ("arrivals_backlog", "wait_distribution", "within_target", "clerk_service")
# matplotlib's state (its font cache, rcParams) is shared: one chart drawn at a time.
_DRAWING = threading.Lock()


def warm_up() -> None:
    """For a reader thread when the desk opens: import matplotlib and the charts, register
    the Chinese font and draw once, so the GUI thread never imports them (1.2 s) and the
    first review's charts do not pay for it."""
    from hall_app.documents.charts import CHARTS, setup_cjk_font

    assert tuple(key for key, _ in CHARTS) == CHART_KEYS, "charts.CHARTS changed"
    setup_cjk_font()
    with _DRAWING:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        figure = Figure(figsize=(1, 1), dpi=50)
        FigureCanvasAgg(figure)
        figure.add_subplot().set_title("到达与积压 0123456789")
        figure.savefig(io.BytesIO(), format="rgba")


def freeze_loaded() -> None:
    """On the GUI thread once ``warm_up`` is done: what the desk loaded (matplotlib, numpy,
    the fonts) lives as long as the app, so it leaves the collector's reach, as the login's
    modules do (ui/app.py). Without this, each full collection in a reader thread walked
    it for 100–350 ms holding the GIL, stalling the GUI thread as long (bench S17)."""
    gc.freeze()


@dataclass(frozen=True)
class RenderedChart:
    """A chart drawn off the GUI thread: RGBA pixels, and the logical size they are for."""

    key: str
    width: int
    height: int
    ratio: float
    rgba: bytes


def render_chart(key: str, report: QueueReport, size: QSize, ratio: float) -> RenderedChart:
    """Draw one chart with Agg at ``size`` logical pixels (× ``ratio`` device pixels); for a
    reader thread."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from hall_app.documents.charts import CHARTS, setup_cjk_font, thin_x_labels

    draw = dict(CHARTS)[key]
    dpi = 96.0
    width, height = max(size.width(), 120), max(size.height(), 90)
    setup_cjk_font()
    with _DRAWING:
        figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi * ratio)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        draw(report, axes)
        thin_x_labels(axes, width * 0.85)  # the view's own width (charts.py thins the PDF's)
        figure.tight_layout(pad=0.6)
        out = io.BytesIO()
        figure.savefig(out, format="rgba", dpi=dpi * ratio)
        w, h = figure.canvas.get_width_height(physical=True)
    pixels = out.getvalue()
    if len(pixels) != w * h * 4:  # never seen: Agg's raw buffer is the figure's pixels
        raise RuntimeError(f"chart {key}: {len(pixels)} bytes for {w}×{h} pixels")
    return RenderedChart(key, w, h, ratio, pixels)


class ChartView(QWidget):
    """Paints one rendered chart; ``wants_render`` once a new size has settled."""

    wants_render = Signal(str)  # the chart's key

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName(f"chart_{key}")
        self.setMinimumSize(220, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.image: QImage | None = None
        self.text = "正在统计…"
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(RESIZE_SETTLE_MS)
        self._settle.timeout.connect(lambda: self.wants_render.emit(self.key))

    def sizeHint(self) -> QSize:
        return QSize(480, 300)

    def render_size(self) -> tuple[QSize, float]:
        return self.size(), self.devicePixelRatioF()

    def show_chart(self, chart: RenderedChart) -> None:
        image = QImage(chart.rgba, chart.width, chart.height, QImage.Format.Format_RGBA8888)
        image = image.copy()  # own the pixels (the bytes object goes away)
        image.setDevicePixelRatio(chart.ratio)
        self.image = image
        self.text = ""
        self.update()

    def show_text(self, text: str) -> None:
        """No chart (no report yet, or a refusal): the text instead."""
        self.image = None
        self.text = text
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.image is not None:
            self._settle.start()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        if self.image is not None:
            logical = self.image.deviceIndependentSize().toSize()
            if logical == self.size():
                painter.drawImage(0, 0, self.image)
            else:  # resized: the last image scaled, until the redraw comes
                target = logical.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
                x = (self.width() - target.width()) // 2
                y = (self.height() - target.height()) // 2
                painter.drawImage(QRect(x, y, target.width(), target.height()), self.image)
        else:
            painter.setPen(Qt.GlobalColor.darkGray)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.text)
        painter.end()
