"""Running work off the GUI thread: reads and writes are distinct operations.

- ``Operations.query`` runs a read in a small pool of reader threads.
- ``Operations.mutate`` runs a write on the single writer thread and, when it succeeds,
  announces what changed (``changed``, a ``ChangeEvent``) so that every screen refreshes itself
  from the announcement instead of screens calling or polling each other.

A write cannot slip onto the read lane by a forgotten flag: there is no flag, and on the read
lane the database refuses any INSERT, UPDATE or DELETE (``hall_app.lanes``), so a write
submitted with ``query`` is a bug reported at once. Callbacks come
back on the GUI thread. A busy dialog appears only when the work outlasts half a second.

Failures: a typed ``HallError`` goes to the caller's ``on_error`` (or, without one, to a message
box). Anything else is a bug: it is always logged with its traceback and shown in the crash
dialog, whatever the caller passed and even when the screen that asked has closed. ``always``
runs after either outcome (to re-enable buttons), and cannot swallow the error.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Flag, auto
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from hall_app.domain.errors import HallError
from hall_app.lanes import reads_only
from ui import messages

log = logging.getLogger("hall.ui.ops")
BUSY_DIALOG_DELAY_MS = 500


class Changes(Flag):
    """What a successful write changed; screens refresh for the flags that concern them."""

    NONE = 0
    QUEUE = auto()  # tickets: called, served, issued, transferred
    CUSTOMER = auto()  # a customer registered or edited
    ORDERS = auto()  # orders, subscriptions, invoices, documents printed
    CASH = auto()  # payments and tills
    STOCK = auto()  # numbers, SIMs and other stock reserved, released or sold
    SYNC = auto()  # the outbox, quarantine and clashes
    SESSION = auto()  # sign-in and sign-out
    DOCUMENTS = auto()  # a copy printed or saved (its print record)
    APPROVALS = auto()  # an approval requested, decided, withdrawn or redeemed
    STAFF = auto()  # staff accounts: created, unlocked, reset, deactivated, roles
    EVALUATIONS = auto()  # a customer's evaluation of a visit
    BILLS = auto()  # bills paid, balances topped up, subscriptions changed by a payment


@dataclass(frozen=True)
class ChangeEvent:
    """One announcement: the flags, who started the write, and the customer it concerned."""

    changes: Changes
    initiator: object | None = None
    customer_id: object | None = None

    def touches(self, flags: Changes) -> bool:
        return bool(self.changes & flags)


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
    def __init__(
        self, token: int, fn: Callable[[], Any], bridge: _Bridge, *, read: bool = False
    ) -> None:
        super().__init__()
        self._token = token
        self._fn = fn
        self._bridge = bridge
        self._read = read
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            if self._read:  # the database refuses any write here (hall_app/lanes.py)
                with reads_only():
                    result = self._fn()
            else:
                result = self._fn()
        except BaseException as exc:  # delivered to the failure handling on the GUI thread
            self._bridge.finished.emit(self._token, 0, exc)
            return
        self._bridge.finished.emit(self._token, 1, _Boxed(result))


ChangesOf = Changes | Callable[[Any], Changes]
CustomerOf = Callable[[Any], object | None] | None


@dataclass
class _Pending:
    on_success: Callable[[Any], None] | None
    on_error: Callable[[HallError], None] | None
    always: Callable[[], None] | None
    parent: QWidget | None
    changes: ChangesOf | None = None  # None: a read
    customer_of: CustomerOf = None
    initiator: object | None = None
    busy: QProgressDialog | None = None
    timer: QTimer | None = None


class Operations(QObject):
    """Submit reads with ``query`` and writes with ``mutate``; ``changed`` announces writes;
    ``busy_changed`` tells screens when something is under way."""

    busy_changed = Signal(int)  # 1 busy, 0 idle
    changed = Signal(object)  # ChangeEvent, after every successful write

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = _Bridge()
        self._bridge.finished.connect(self._on_finished)
        self._reads = QThreadPool(self)
        self._reads.setMaxThreadCount(2)
        self._writes = QThreadPool(self)
        self._writes.setMaxThreadCount(1)
        self._background = QThreadPool(self)  # long writes (a sync round over a slow link)
        self._background.setMaxThreadCount(1)
        self._tokens = itertools.count(1)
        self._pending: dict[int, _Pending] = {}

    def query(
        self,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None] | None = None,
        on_error: Callable[[HallError], None] | None = None,
        *,
        parent: QWidget | None = None,
        label: str | None = None,
        always: Callable[[], None] | None = None,
    ) -> int:
        """A read: runs in the reader pool, announces nothing."""
        pending = _Pending(on_success, on_error, always, parent)
        return self._submit(self._reads, fn, pending, label)

    def mutate(
        self,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None] | None = None,
        on_error: Callable[[HallError], None] | None = None,
        *,
        changes: ChangesOf,
        parent: QWidget | None = None,
        label: str | None = None,
        always: Callable[[], None] | None = None,
        initiator: object | None = None,
        customer: CustomerOf = None,
        background: bool = False,
    ) -> int:
        """A write: runs on the single writer; on success ``changed`` carries ``changes`` (or
        ``changes(result)``) and the customer ``customer(result)`` concerned, if any.

        ``background`` writes (a sync round, which may wait on a slow link) run on a serial
        lane of their own so they never hold up the clerk's writes; the database's own locking
        still serialises the transactions."""
        pending = _Pending(on_success, on_error, always, parent, changes, customer, initiator)
        return self._submit(self._background if background else self._writes, fn, pending, label)

    def _submit(
        self, pool: QThreadPool, fn: Callable[[], Any], pending: _Pending, label: str | None
    ) -> int:
        token = next(self._tokens)
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
        pool.start(_Job(token, fn, self._bridge, read=pool is self._reads))
        return token

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    @property
    def writing(self) -> bool:
        """A write is queued or under way."""
        return any(p.changes is not None for p in self._pending.values())

    def wait_idle(self, msecs: int = 10_000) -> None:
        """Block until worker threads are done (for shutdown and tests)."""
        self._reads.waitForDone(msecs)
        self._writes.waitForDone(msecs)
        self._background.waitForDone(msecs)

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
        try:
            if ok:
                assert isinstance(payload, _Boxed)
                self._succeeded(pending, payload.value)
            else:
                assert isinstance(payload, BaseException)
                self._failed(pending, payload)
        finally:
            if pending.always is not None and (pending.parent is None or _alive(pending.parent)):
                pending.always()

    def _succeeded(self, pending: _Pending, value: Any) -> None:
        if pending.changes is not None:  # a write: announce it whether or not its screen lives
            flags = pending.changes(value) if callable(pending.changes) else pending.changes
            customer = pending.customer_of(value) if pending.customer_of is not None else None
            self.changed.emit(ChangeEvent(flags, pending.initiator, customer))
        if pending.parent is not None and not _alive(pending.parent):
            log.info("operation finished after its screen was closed; result not shown")
            return
        if pending.on_success is not None:
            pending.on_success(value)

    def _failed(self, pending: _Pending, exc: BaseException) -> None:
        if not isinstance(exc, HallError):  # a bug: the log and the crash dialog, always
            messages.failure(pending.parent if _alive(pending.parent) else None, exc)
            return
        if pending.parent is not None and not _alive(pending.parent):
            log.info("operation failed after its screen was closed: %s", exc.text)
            return
        if pending.on_error is not None:
            pending.on_error(exc)
        else:
            messages.failure(pending.parent, exc)
