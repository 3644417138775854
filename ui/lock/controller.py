"""The idle lock of a signed-in session: after the idle time every window of the session (the
main window, open wizards and dialogs, the customer's screen, the supervisor's desk) is hidden
and the lock screen shows; the password brings everything back as it was (a wizard on its
page, typed fields kept, the active window and the focused field).

Windows are hidden, not covered: a cover can be looked behind (or is blocked by a modal
dialog), a hidden window shows nothing. A message box waiting in its own event loop cannot be
hidden and kept: it closes (a question answers 否, the safe answer everywhere), and a message
that arrives while locked is shown again after unlocking."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from ui import messages
from ui.lock.idle import IdleWatcher
from ui.lock.screen import LockScreen
from ui.ops import Changes, Operations

if TYPE_CHECKING:
    from hall_app.services.actor import Actor
    from hall_app.services.auth import AuthService
    from hall_app.services.staff import StaffService

log = logging.getLogger("hall.ui.lock")
_TRANSIENT = (Qt.WindowType.Popup, Qt.WindowType.ToolTip)


@dataclass(frozen=True)
class _Notice:
    """A message box that popped up while locked, to show after unlocking."""

    icon: QMessageBox.Icon
    title: str
    text: str


def _alive(widget: QWidget | None) -> bool:
    return widget is not None and shiboken6.isValid(widget)


class SessionLock(QObject):
    """Owns the idle watcher and the lock screen of one signed-in staff member.

    ``switched(actor)``: another staff member took over at the lock screen (``None``: nobody
    is signed in now); the session then discards the first one's windows."""

    switched = Signal(object)
    locked_changed = Signal(int)  # 1 locked, 0 unlocked

    def __init__(
        self,
        auth: AuthService,
        ops: Operations,
        actor: Actor,
        idle_seconds: float,
        staff: StaffService | None = None,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
        guard: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._auth, self._ops, self._staff = auth, ops, staff
        self._guard = guard  # the session's main window: closed, the session is over
        self.actor = actor
        self.watcher = IdleWatcher(idle_seconds, self, clock)
        self.watcher.idle.connect(self.lock)
        self.screen: LockScreen | None = None  # built at start, shown while locked
        self._locked = False
        self.hidden: list[QWidget] = []  # the session's windows, in the order they come back
        self._active: QWidget | None = None
        self._focus: QWidget | None = None
        self._notices: list[_Notice] = []

    @property
    def locked(self) -> bool:
        return self._locked

    def start(self) -> None:
        """Watch for idleness; the lock screen is built now, so locking only hides and shows."""
        if self.watcher.enabled:
            self._screen()
        self.watcher.start()

    def _screen(self) -> LockScreen:
        if self.screen is None:
            screen = self.screen = LockScreen(self._auth, self._ops, self.actor, self._staff)
            screen.unlocked.connect(self._unlocked)
            screen.switched.connect(self._switched)
            screen.ensurePolished()  # styled and laid out now, so locking is only a show
            screen.resize(screen.sizeHint())
        return self.screen

    def stop(self) -> None:
        """The session ends (logout, quit): no more locking; the lock screen goes away."""
        self.watcher.stop()
        self._end_lock()
        screen, self.screen = self.screen, None
        if screen is not None:
            screen.deleteLater()

    # -- locking ---------------------------------------------------------------------------
    def lock(self) -> None:
        if self.locked:
            return
        if self._guard is not None and not (_alive(self._guard) and self._guard.isVisible()):
            self.stop()  # its window was closed (quit, a test's end): nothing to lock
            return
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        screen = self._screen()
        self.watcher.pause()
        self._locked = True
        self._active = app.activeWindow()
        self._focus = app.focusWidget()
        screen.reset()
        # parents before their dialogs, so each comes back above its parent
        windows = [w for w in app.topLevelWidgets() if w.isVisible() and not self._ours(w)]
        windows.sort(key=_depth)
        for window in windows:
            self._hide(window)
        app.installEventFilter(self)
        screen.showFullScreen()
        screen.activateWindow()
        screen.password.setFocus()
        self.locked_changed.emit(1)
        QTimer.singleShot(0, self._record_lock)  # the screen first: the writer takes the GIL

    def _record_lock(self) -> None:
        auth, actor = self._auth, self.actor
        self._ops.mutate(
            lambda: auth.lock_session(actor),
            on_error=lambda exc: log.warning("lock not recorded: %s", exc.text),
            changes=Changes.SESSION,
        )

    def _ours(self, widget: QWidget) -> bool:
        """The lock screen and its own dialogs (the confirmation, a new password)."""
        screen = self.screen
        if screen is None:
            return False
        w: QWidget | None = widget
        while w is not None:
            if w is screen:
                return True
            w = w.parentWidget()
        return False

    def _hide(self, window: QWidget) -> None:
        if window.windowType() in _TRANSIENT:  # an open menu or tooltip: just gone
            window.hide()
            return
        if isinstance(window, QMessageBox):  # its own event loop ends: shown again later
            self._notices.append(_Notice(window.icon(), window.windowTitle(), window.text()))
        elif window not in self.hidden:
            self.hidden.append(window)
        window.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Show and isinstance(watched, QWidget) and watched.isWindow():
            if self.locked and not self._ours(watched):  # something opened while locked
                QTimer.singleShot(0, lambda w=watched: self._hide_late(w))
        elif kind == QEvent.Type.Close and watched in self.hidden:
            # closed by its own code meanwhile: it stays closed
            self.hidden.remove(watched)
        return False

    def _hide_late(self, window: QWidget) -> None:
        if self.locked and _alive(window) and window.isVisible():
            self._hide(window)

    # -- unlocking -------------------------------------------------------------------------
    def _unlocked(self, actor: Actor) -> None:
        windows, active, focus = self.hidden, self._active, self._focus
        self._end_lock()
        for window in windows:
            if _alive(window):
                window.show()
        if _alive(active) and active is not None and active.isVisible():
            active.raise_()
            active.activateWindow()
        if _alive(focus) and focus is not None and focus.isVisible():
            focus.setFocus()
        notices, self._notices = self._notices, []
        for notice in notices:
            self._tell(notice)
        self.watcher.resume()
        log.info("counter unlocked by %s", actor.username)

    def _tell(self, notice: _Notice) -> None:
        parent = self._active if _alive(self._active) else None
        if notice.icon is QMessageBox.Icon.Critical:
            messages.error(parent, notice.text, title=notice.title)
        elif notice.icon is QMessageBox.Icon.Warning:
            messages.warning(parent, notice.text, title=notice.title)
        elif notice.icon is QMessageBox.Icon.Information:
            messages.info(parent, notice.text, title=notice.title)
        else:  # a question asked while locked was answered 否: say it was not done
            messages.info(
                parent, f"锁定期间未作答，已按“否”处理：{notice.text}", title=notice.title
            )

    def _switched(self, actor: Actor | None) -> None:
        """Another staff member took over: the first one's windows are not shown again."""
        self.stop()
        self._notices = []
        self.switched.emit(actor)

    def _end_lock(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.hidden = []
        if self._locked:
            self._locked = False
            if self.screen is not None:
                self.screen.hide()
            self.locked_changed.emit(0)


def _depth(widget: QWidget) -> int:
    depth = 0
    parent = widget.parentWidget()
    while parent is not None:
        depth += 1
        parent = parent.parentWidget()
    return depth
