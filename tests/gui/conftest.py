"""GUI fixtures: the real login and main window on a demo database, with messages captured."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from hall_app.app import HallApp
from ui import messages
from ui.app import Session, prepare_application
from ui.ops import Operations

# The offscreen screen is a 1366×768 counter monitor less a 40 px taskbar (what its available
# geometry is), instead of the plugin's 800×800: the window-size tests measure against it.
SCREEN_CONFIG = Path(__file__).with_name("screen_1366x768.json")
if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={SCREEN_CONFIG}"


@pytest.fixture(scope="session", autouse=True)
def as_started(qapp: QApplication) -> None:
    """Every GUI test runs with what start_gui sets up: Qt's Chinese texts, the Chinese font,
    the style sheet and the icon (so no test depends on whether start_gui ran before it)."""
    assert prepare_application(qapp)


@dataclass
class ShownMessages:
    items: list[tuple[str, str, str]] = field(default_factory=list)

    def texts(self) -> list[str]:
        return [text for _, _, text in self.items]


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> ShownMessages:
    """Message boxes are captured instead of shown (the services stay real)."""
    captured = ShownMessages()

    def fake_show(kind: messages.Kind, parent: object, title: str, text: str) -> bool:
        captured.items.append((str(kind), title, text))
        return True

    monkeypatch.setattr(messages, "_show", fake_show)
    return captured


@pytest.fixture
def ops(qtbot: QtBot) -> Iterator[Operations]:
    operations = Operations()
    yield operations
    operations.wait_idle()


@pytest.fixture
def session(hall: HallApp, ops: Operations, qtbot: QtBot) -> Iterator[Session]:
    s = Session(hall, ops)
    yield s
    ops.wait_idle()
    if s.window is not None:
        s.window.leave_confirmed = True  # the test is over: no question about a visit
        s.window.close()
    if s.login is not None:
        s.login.close()
