"""The supervisor's desk (主管工作台): a window of its own beside the main window, one tab per
page the staff member may open, Alt+1 … Alt+5 to go to one, each page built the first time it
is shown (a page that is never opened costs nothing, and opening the desk never waits for a
page's first query).

A window of its own, not a page of the main window: the pages' keys (刷新 F5, X 报表 F6 …)
would otherwise clash with the queue bar's F2–F8 (an ambiguous key does nothing), and the
review's tables and charts get the whole screen. A supervisor serving at a counter keeps the
main window and its queue bar and switches with F12."""

from __future__ import annotations

import functools
import logging
import sys

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from ui.desk.pages import DeskContext, DeskPage, desk_pages
from ui.keys import shortcut
from ui.screen import fit_to_screen

log = logging.getLogger("hall.ui.desk")
# The desk's reader threads run seconds of Python (a month's review, its charts drawn with
# Agg); with the default 5 ms switch interval the GUI thread waited up to 65 ms for the GIL
# behind them, 13 ms at p95 with 1 ms (bench S17), and the month came 25 % sooner.
GIL_SWITCH_INTERVAL_S = 0.001


class SupervisorDesk(QWidget):
    """The desk's pages in a tab widget; ``page(key)`` gives a page, building it if needed."""

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)  # its own window, over its parent
        self.setObjectName("supervisorDesk")
        self.setWindowTitle(f"主管工作台 — {ctx.actor.hall_name}")
        self._ctx = ctx
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL_S))
        self.pages: list[DeskPage] = desk_pages(ctx.actor)
        self._slots: list[QVBoxLayout] = []
        self._built: dict[str, QWidget] = {}
        self.tabs = QTabWidget()
        self.tabs.setObjectName("deskTabs")
        self.tabs.setUsesScrollButtons(True)  # never wider than the window
        self.tabs.setDocumentMode(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        for index, page in enumerate(self.pages):
            holder = QWidget()
            holder.setObjectName(f"desk_{page.key}")
            slot = QVBoxLayout(holder)
            slot.setContentsMargins(0, 0, 0, 0)
            self._slots.append(slot)
            self.tabs.addTab(holder, f"{page.title} ({page.shortcut})")
            self.tabs.setTabToolTip(index, f"{page.title}：{page.shortcut}")
            shortcut(self, page.shortcut, functools.partial(self.go_to, index))
        if self.pages:
            layout.addWidget(self.tabs, 1)
        else:  # rights that open the desk, but no page for them yet
            self.empty = QLabel("当前没有可用的主管功能")
            self.empty.setObjectName("deskEmpty")
            layout.addWidget(self.empty, 1)
        self.tabs.currentChanged.connect(self._ensure_built)
        shortcut(self, "F12", self.back_to_main)  # F12 again: back to the counter's window
        fit_to_screen(self, QSize(1350, 760), share=(0.9, 0.92))

    def open(self) -> None:
        """Shown (or raised) and active, the focus in its current page."""
        self.show()
        self.raise_()
        self.activateWindow()
        self.focus_current()

    def back_to_main(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            parent.window().raise_()
            parent.window().activateWindow()

    def page(self, key: str) -> QWidget:
        """The page ``key`` (e.g. "queue_review"), built now if it was not yet."""
        for index, page in enumerate(self.pages):
            if page.key == key:
                return self._ensure_built(index)
        raise KeyError(key)

    def built(self, key: str) -> QWidget | None:
        return self._built.get(key)

    def go_to(self, index: int) -> None:
        """Alt+N: that page shown, and the focus into it."""
        if 0 <= index < self.tabs.count():
            self.tabs.setCurrentIndex(index)
            widget = self._ensure_built(index)
            widget.setFocus()

    def go_to_key(self, key: str) -> QWidget:
        for index, page in enumerate(self.pages):
            if page.key == key:
                self.go_to(index)
                return self._ensure_built(index)
        raise KeyError(key)

    def focus_current(self) -> None:
        if self.pages:
            self._ensure_built(self.tabs.currentIndex()).setFocus()

    def _ensure_built(self, index: int) -> QWidget:
        page = self.pages[index]
        widget = self._built.get(page.key)
        if widget is None:
            holder = self.tabs.widget(index)
            assert holder is not None
            widget = page.build(self._ctx, holder)
            widget.setObjectName(widget.objectName() or f"{page.key}Page")
            self._slots[index].addWidget(widget)
            widget.show()  # into a shown tab: shown now, not on the next event
            self._built[page.key] = widget
            log.info("desk page %s opened by %s", page.key, self._ctx.actor.username)
        return widget

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.pages:
            self._ensure_built(self.tabs.currentIndex())

    def stop(self) -> None:
        """The window closes: each built page that runs timers stops them."""
        for widget in self._built.values():
            stop = getattr(widget, "stop", None)
            if callable(stop):
                stop()
