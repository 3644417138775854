"""The customer page's third row: a button for each account business with a key of its own
(缴费 Ctrl+J, 充值 Ctrl+U) and the 号码业务 menu (Ctrl+E) of the changes to a number, each
item with its digit. Built from ``ui.account.actions.ACTIONS``."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QMenu, QPushButton, QWidget

from ui.account.actions import ACTIONS, AccountAction
from ui.keys import shortcut

MENU_KEY = "Ctrl+E"


class AccountBar(QWidget):
    requested = Signal(str)  # the action's key

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountBar")
        self.buttons: dict[str, QPushButton] = {}
        self.menu_actions: dict[str, QAction] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addStretch(1)
        own = [a for a in ACTIONS if a.shortcut]
        listed = [a for a in ACTIONS if not a.shortcut]
        for a in own:
            button = QPushButton(f"{a.label} ({a.shortcut})")
            button.setObjectName(f"account_{a.key}")
            button.setAutoDefault(True)
            button.clicked.connect(lambda _c=False, key=a.key: self._request(key))
            shortcut(self, a.shortcut, self._for(a))
            layout.addWidget(button)
            self.buttons[a.key] = button
        self.menu = QMenu(self)
        self.menu.setObjectName("accountMenu")
        for n, a in enumerate(listed, start=1):
            text = f"&{n} {a.label}" if n < 10 else a.label
            item = self.menu.addAction(text)
            item.setObjectName(f"accountMenu_{a.key}")
            item.triggered.connect(lambda _c=False, key=a.key: self._request(key))
            self.menu_actions[a.key] = item
        self.menu_button = QPushButton(f"号码业务 ({MENU_KEY})")
        self.menu_button.setObjectName("accountMenuButton")
        self.menu_button.setAutoDefault(True)
        self.menu_button.setMenu(self.menu)
        self.menu_button.setVisible(bool(listed))
        if listed:
            shortcut(self, MENU_KEY, self.show_menu)
        layout.addWidget(self.menu_button)
        self.set_open(False)

    def _for(self, a: AccountAction) -> Callable[[], None]:
        return lambda: self._request(a.key)

    def _request(self, key: str) -> None:
        if self.isEnabled():
            self.requested.emit(key)

    def show_menu(self) -> None:
        if self.isEnabled() and self.menu_button.isVisible():
            self.menu_button.showMenu()

    def set_open(self, record_open: bool) -> None:
        """Enabled while a customer record is open."""
        self.setEnabled(record_open)
