"""Noticing that nobody is at the counter: no key press, mouse click, move or wheel anywhere
in the application for the idle time. An application event filter stamps the last input (a
monotonic clock, injectable for tests) and a coarse timer compares; nothing runs per event but
a type check and a clock read."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.HoverMove,
        QEvent.Type.Wheel,
        QEvent.Type.TabletPress,
        QEvent.Type.TabletMove,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.InputMethod,
    }
)
MAX_CHECK_MS = 1_000  # how late a lock may come at most


class IdleWatcher(QObject):
    """Emits ``idle`` once when no input has arrived for ``idle_seconds`` (0: never); after
    ``resume()`` it watches again from now."""

    idle = Signal()

    def __init__(
        self,
        idle_seconds: float,
        parent: QObject | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self.idle_seconds = max(0.0, idle_seconds)
        self._clock = clock
        self._last = clock()
        self._watching = False
        self._timer = QTimer(self)
        interval = min(MAX_CHECK_MS, max(20, int(self.idle_seconds * 1000 / 4)))
        self._timer.setInterval(interval)
        self._timer.timeout.connect(self.check)
        self._app: QApplication | None = None

    @property
    def enabled(self) -> bool:
        return self.idle_seconds > 0

    @property
    def watching(self) -> bool:
        return self._watching

    def start(self) -> None:
        """Watch from now (the login was input). Without an idle time, nothing is watched."""
        if not self.enabled:
            return
        app = QApplication.instance()
        if isinstance(app, QApplication) and self._app is None:
            app.installEventFilter(self)
            self._app = app
        self.resume()

    def resume(self) -> None:
        if not self.enabled:
            return
        self._last = self._clock()
        self._watching = True
        self._timer.start()

    def pause(self) -> None:
        """While locked: the lock screen's typing is no activity of the session."""
        self._watching = False
        self._timer.stop()

    def stop(self) -> None:
        self.pause()
        if self._app is not None:
            self._app.removeEventFilter(self)
            self._app = None

    def idle_for(self) -> float:
        return self._clock() - self._last

    def check(self) -> None:
        if self._watching and self.idle_for() >= self.idle_seconds:
            self.pause()
            self.idle.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in INPUT_EVENTS:
            self._last = self._clock()
        return False
