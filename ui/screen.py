"""Window sizes relative to the screen: every window and dialog opens inside the screen's
available area (a 1366×768 counter monitor less its taskbar leaves about 1366×728), leaving
room for the window manager's title bar and borders, and grows on larger screens."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

# What a window manager adds around the client area: a title bar of about 30 px and thin
# borders (Windows 10/11: 31 px title, 8 px invisible resize borders; openbox: 4 + 20 px).
FRAME = QSize(16, 40)


def available_area(widget: QWidget | None = None) -> QRect:
    """The available geometry (without taskbars) of the widget's screen, or the primary one."""
    screen = widget.screen() if widget is not None else None
    if screen is None:
        screen = QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fitted_size(
    preferred: QSize,
    area: QRect,
    minimum: QSize | None = None,
    share: tuple[float, float] | None = None,
) -> QSize:
    """The client size for a window that would like ``preferred``: at least ``share`` (width,
    height fractions) of the area on large screens, never more than the area less the frame,
    and not below ``minimum`` unless the area itself is smaller."""
    room = QSize(max(1, area.width() - FRAME.width()), max(1, area.height() - FRAME.height()))
    want = QSize(preferred)
    if share is not None:
        want = want.expandedTo(QSize(int(room.width() * share[0]), int(room.height() * share[1])))
    if minimum is not None:
        want = want.expandedTo(minimum)
    return want.boundedTo(room)


def fit_to_screen(
    widget: QWidget,
    preferred: QSize,
    share: tuple[float, float] | None = None,
    area: QRect | None = None,
) -> QSize:
    """Resize ``widget`` to ``fitted_size`` on its screen and centre it there (over its parent
    window when it has one, kept inside the area)."""
    area = area if area is not None else available_area(widget.parentWidget() or widget)
    size = fitted_size(preferred, area, widget.minimumSizeHint(), share)
    widget.resize(size)
    parent = widget.parentWidget()
    centre = parent.window().frameGeometry().center() if parent is not None else area.center()
    outer = QSize(size.width() + FRAME.width(), size.height() + FRAME.height())
    x = min(max(area.left(), centre.x() - outer.width() // 2), area.right() + 1 - outer.width())
    y = min(max(area.top(), centre.y() - outer.height() // 2), area.bottom() + 1 - outer.height())
    widget.move(max(area.left(), x), max(area.top(), y))
    return size
