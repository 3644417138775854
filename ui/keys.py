"""Keyboard shortcuts: one helper, so every screen binds keys the same (typed) way."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget


def shortcut(
    parent: QWidget,
    key: str,
    slot: Callable[[], object],
    context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut,
) -> QShortcut:
    """Bind ``key`` (a QKeySequence string such as ``"F2"`` or ``"Ctrl+N"``) to ``slot`` while
    ``parent``'s window is active (or within ``context``); returns the shortcut."""
    binding = QShortcut(QKeySequence(key), parent)
    binding.setContext(context)
    binding.activated.connect(slot)
    return binding
