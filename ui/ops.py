"""Running work off the GUI thread (the QueryOp/CollectionOp pattern).

Database, document and network work runs in worker threads: reads in a small pool, writes in a
single serial worker. Callbacks come back on the GUI thread. A busy dialog appears only when the
work outlasts half a second.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from ui import messages

log = logging.getLogger("hall.ui.ops")
BUSY_DIALOG_DELAY_MS = 500


def _alive(widget: QWidget | None) -> bool:
    return widget is not None and shiboken6.isValid(widget)


class _Bridge(QObject):
    """Lives on the GUI thread; worker threads emit, Qt queues the call to the GUI thread."""

    finished = Signal(int, int, object)  # token, ok (0/1: no Python bools through signals), payload


@dataclass(frozen=True)
class _Boxed:
    """Results travel boxed, so a bare bool never crosses a signal."""

    value: Any


class _Job(QRunnable):
    def __init__(self, token: int, fn: Callable[[], Any], bridge: _Bridge) -> None:
        super().__init__()
        self._token = token
        self._fn = fn
        self._bridge = bridge
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # delivered to the failure callback on the GUI thread
            self._bridge.finished.emit(self._token, 0, exc)
            return
        self._bridge.finished.emit(self._token, 1, _Boxed(result))


@dataclass
class _Pending:
    on_success: Callable[[Any], None]
    on_failure: Callable[[BaseException], None] | None
    parent: QWidget | None
    busy: QProgressDialog | None = None
    timer: QTimer | None = None


class Operations(QObject):
    """Submit work with ``run``; ``busy_changed`` tells screens when something is under way."""

    busy_changed = Signal(int)  # 1 busy, 0 idle

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = _Bridge()
        self._bridge.finished.connect(self._on_finished)
        self._reads = QThreadPool(self)
        self._reads.setMaxThreadCount(2)
        self._writes = QThreadPool(self)
        self._writes.setMaxThreadCount(1)
        self._tokens = itertools.count(1)
        self._pending: dict[int, _Pending] = {}

    def run(
        self,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None],
        on_failure: Callable[[BaseException], None] | None = None,
        *,
        parent: QWidget | None = None,
        write: bool = False,
        label: str | None = None,
    ) -> int:
        token = next(self._tokens)
        pending = _Pending(on_success, on_failure, parent)
        if label is not None:
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.timeout.connect(lambda t=token, text=label: self._show_busy(t, text))
            timer.start(BUSY_DIALOG_DELAY_MS)
            pending.timer = timer
        was_idle = not self._pending
        self._pending[token] = pending
        if was_idle:
            self.busy_changed.emit(1)
        (self._writes if write else self._reads).start(_Job(token, fn, self._bridge))
        return token

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def wait_idle(self, msecs: int = 10_000) -> None:
        """Block until worker threads are done (for shutdown and tests)."""
        self._reads.waitForDone(msecs)
        self._writes.waitForDone(msecs)

    def _show_busy(self, token: int, text: str) -> None:
        pending = self._pending.get(token)
        if pending is None:
            return
        parent = pending.parent if _alive(pending.parent) else None
        dialog = QProgressDialog(text, "", 0, 0, parent)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setWindowTitle("请稍候")
        dialog.setCancelButton(None)
        dialog.setMinimumDuration(0)
        dialog.show()
        pending.busy = dialog

    @Slot(int, int, object)
    def _on_finished(self, token: int, ok: int, payload: object) -> None:
        pending = self._pending.pop(token, None)
        if pending is None:
            return
        if pending.timer is not None:
            pending.timer.stop()
            pending.timer.deleteLater()
        if pending.busy is not None:
            pending.busy.close()
            pending.busy.deleteLater()
        if not self._pending:
            self.busy_changed.emit(0)
        if pending.parent is not None and not _alive(pending.parent):
            log.info("operation finished after its screen was closed; result dropped")
            return
        if ok:
            assert isinstance(payload, _Boxed)
            pending.on_success(payload.value)
            return
        assert isinstance(payload, BaseException)
        if pending.on_failure is not None:
            pending.on_failure(payload)
        else:
            messages.failure(pending.parent, payload)
