"""GUI fixtures: the real login and main window on a demo database, with messages captured."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from pytestqt.qtbot import QtBot

from hall_app.app import HallApp
from ui import messages
from ui.app import Session
from ui.ops import Operations


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
