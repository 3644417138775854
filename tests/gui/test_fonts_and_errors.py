"""Start-up checks and unexpected failures reach the clerk as readable messages."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.gui.conftest import ShownMessages
from ui import app as app_module
from ui import fonts, messages
from ui.ops import Operations


def test_missing_cjk_font_is_explained(
    qapp: QApplication, shown: ShownMessages, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "pick_chinese_font", lambda: None)
    assert app_module.ensure_chinese_font(qapp) is False
    ((kind, title, text),) = shown.items
    assert kind == "error"
    assert "No Chinese (CJK) font" in text and "fonts-wqy-microhei" in text
    assert "Missing Chinese font" in title


def test_a_cjk_font_is_installed_and_chosen(qapp: QApplication) -> None:
    family = fonts.pick_chinese_font()
    assert family is not None, "install fonts-wqy-microhei (make test does)"
    assert fonts.pick_chinese_font(["DejaVu Sans"]) == "DejaVu Sans"
    assert fonts.pick_chinese_font([]) is None
    assert fonts.pick_chinese_font(["Foo", "WenQuanYi Micro Hei"]) == "WenQuanYi Micro Hei"


def test_unexpected_errors_become_a_crash_message(
    qtbot: QtBot, shown: ShownMessages, caplog: pytest.LogCaptureFixture
) -> None:
    ops = Operations()
    results: list[object] = []

    def boom() -> None:
        raise RuntimeError("disk on fire")

    ops.run(boom, results.append)
    qtbot.waitUntil(lambda: not ops.busy, timeout=5_000)
    ops.wait_idle()
    assert results == []
    ((kind, title, text),) = shown.items
    assert kind == "error"
    assert title == "程序错误" and "RuntimeError: disk on fire" in text
    assert "disk on fire" in caplog.text


def test_work_runs_off_the_gui_thread(qtbot: QtBot) -> None:
    import threading

    ops = Operations()
    seen: list[bool] = []
    ops.run(lambda: threading.current_thread() is threading.main_thread(), seen.append)
    qtbot.waitUntil(lambda: bool(seen), timeout=5_000)
    ops.wait_idle()
    assert seen == [False]
    assert messages.Kind.ERROR == "error"
