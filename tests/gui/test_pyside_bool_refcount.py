"""PySide6 6.12.0 drops a reference to True/False each time a Python bool goes through a Python
signal; the process aborts once the count reaches zero ("bool_dealloc"). pyproject.toml excludes
that release; this test fails on any PySide6 with the bug."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from ui.ops import Operations


class _Emitter(QObject):
    flag = Signal(bool)
    anything = Signal(object)


def test_bool_signals_keep_their_references(qtbot: QtBot) -> None:
    emitter = _Emitter()
    emitter.flag.connect(lambda value: None)
    emitter.anything.connect(lambda value: None)
    before = sys.getrefcount(True)
    for _ in range(200):
        emitter.flag.emit(True)
        emitter.anything.emit(True)
    assert sys.getrefcount(True) >= before - 5


def test_operations_deliver_bool_results_safely(qtbot: QtBot) -> None:
    ops = Operations()
    seen: list[bool] = []
    before = sys.getrefcount(False)
    for _ in range(50):
        ops.query(lambda: False, seen.append)
    qtbot.waitUntil(lambda: len(seen) == 50, timeout=10_000)
    ops.wait_idle()
    assert seen == [False] * 50
    assert sys.getrefcount(False) >= before - 5
