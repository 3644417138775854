"""A signature pad: the customer signs with the mouse or a pen; the strokes become a PNG for
the acceptance form."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QTabletEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

# A signature smaller than this (in pixels, either way) is a dot or a slip, not a signature.
MIN_EXTENT = 40


class SignaturePad(QWidget):
    changed = Signal(int)  # the number of strokes

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signaturePad")
        self.setMinimumSize(520, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self._strokes: list[list[QPointF]] = []
        self._drawing = False

    # -- input: mouse and pen -------------------------------------------------------------------
    def _begin(self, at: QPointF) -> None:
        self._drawing = True
        self._strokes.append([at])
        self.update()

    def _extend(self, at: QPointF) -> None:
        if self._drawing and self._strokes:
            self._strokes[-1].append(at)
            self.update()

    def _end(self) -> None:
        if self._drawing:
            self._drawing = False
            self.changed.emit(len(self._strokes))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._extend(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._extend(event.position())
            self._end()

    def tabletEvent(self, event: QTabletEvent) -> None:
        kind = event.type()
        if kind == QTabletEvent.Type.TabletPress:
            self._begin(event.position())
        elif kind == QTabletEvent.Type.TabletMove:
            self._extend(event.position())
        elif kind == QTabletEvent.Type.TabletRelease:
            self._end()
        event.accept()  # no synthesized mouse events on top

    # -- state ---------------------------------------------------------------------------------
    def clear(self) -> None:
        self._strokes.clear()
        self._drawing = False
        self.update()
        self.changed.emit(0)

    def _bounds(self) -> QRectF:
        points = [p for stroke in self._strokes for p in stroke]
        if not points:
            return QRectF()
        xs, ys = [p.x() for p in points], [p.y() for p in points]
        return QRectF(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))

    def is_signed(self) -> bool:
        box = self._bounds()
        return max(box.width(), box.height()) >= MIN_EXTENT

    def to_png(self) -> bytes:
        """The signature cropped to its strokes, black on white."""
        box = self._bounds().adjusted(-8, -8, 8, 8)
        image = QImage(
            max(1, int(box.width())), max(1, int(box.height())), QImage.Format.Format_RGB32
        )
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.translate(-box.topLeft())
        self._draw(painter, QColor("black"))
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; it takes str
        buffer.close()
        return bytes(data.data())

    # -- painting ------------------------------------------------------------------------------
    def _draw(self, painter: QPainter, colour: QColor) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(colour, 3)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        for stroke in self._strokes:
            path = QPainterPath(stroke[0])
            for p in stroke[1:]:
                path.lineTo(p)
            if len(stroke) == 1:
                painter.drawPoint(stroke[0])
            else:
                painter.drawPath(path)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        painter.setPen(QPen(QColor("#b0b8c4"), 1, Qt.PenStyle.DashLine))
        base = self.height() - 40
        painter.drawLine(24, base, self.width() - 24, base)
        if not self._strokes:
            painter.setPen(QColor("#8a94a3"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "请在此处签名")
        self._draw(painter, QColor("#0b2a5b"))
        painter.setPen(QPen(QColor("#1f4e8c"), 1))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()
