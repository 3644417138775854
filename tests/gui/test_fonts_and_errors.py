"""Start-up checks and unexpected failures reach the clerk as readable messages."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
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

    ops.query(boom, results.append)
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
    ops.query(lambda: threading.current_thread() is threading.main_thread(), seen.append)
    qtbot.waitUntil(lambda: bool(seen), timeout=5_000)
    ops.wait_idle()
    assert seen == [False]


def test_an_unopenable_database_is_explained_at_start(
    qapp: QApplication, qtbot: QtBot, shown: ShownMessages, tmp_path
) -> None:
    from hall_app.config import Settings

    blocker = tmp_path / "file"
    blocker.write_text("x")
    started = app_module.start_gui([], Settings.load(env={}, db_url=f"sqlite:///{blocker}/db"))
    assert not isinstance(started, int)
    _, session = started
    assert session.login is not None and session.login.isVisible()  # shown at once
    qtbot.waitUntil(lambda: session.exit_code == 2, timeout=10_000)
    session.ops.wait_idle()
    session.login.close()
    ((kind, title, text),) = shown.items
    assert kind == "error" and title == "无法打开数据库"
    assert text.startswith("数据库：无法打开或升级数据库")


def test_a_bad_config_file_is_explained_at_start(
    qapp: QApplication, shown: ShownMessages, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "hall.toml"
    bad.write_text("[rules]\nmax_numbers = 3\n", encoding="utf-8")
    monkeypatch.setenv("HALL_CONFIG", str(bad))
    assert app_module.start_gui([]) == 2
    assert "配置文件有误" in shown.texts()[0]


def test_a_crash_report_masks_id_and_phone_numbers(
    shown: ShownMessages, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug's text may carry a customer's numbers: the dialog and the log show them masked."""
    try:
        raise ValueError("no customer 35010219880515123X / 13805910001")
    except ValueError as exc:
        messages.failure(None, exc)
    ((_kind, title, text),) = shown.items
    assert title == "程序错误" and "3501**********123X / 138****0001" in text
    assert "35010219880515123X" not in text + caplog.text
    assert "13805910001" not in text + caplog.text
    assert "Traceback" in caplog.text


def test_slot_exceptions_reach_the_crash_dialog(
    shown: ShownMessages, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.excepthook", sys.excepthook)
    app_module.install_excepthook()
    try:
        raise ValueError("bug in a slot")
    except ValueError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert shown.items[0][1] == "程序错误"
    assert "ValueError: bug in a slot" in shown.items[0][2]


def test_leaving_questions_default_to_no_so_a_stray_enter_keeps_the_visit(qtbot: QtBot) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from ui import messages

    seen: list[str] = []

    def answer_with_enter() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        default = box.defaultButton()
        seen.append(box.standardButton(default).name)
        qtbot.keyClick(box, Qt.Key.Key_Return)

    QTimer.singleShot(50, answer_with_enter)
    assert messages.confirm_default_no(None, "正在为 A001 办理业务，确定要退出系统吗？") is False
    QTimer.singleShot(50, answer_with_enter)
    assert messages.confirm(None, "确认按此日结？") is True
    assert seen == ["No", "Yes"]


def test_a_missing_data_key_is_explained_at_start(
    qtbot: QtBot, shown: ShownMessages, tmp_path: Path
) -> None:
    from hall_app.config import Settings
    from hall_app.db import crypto

    env = {
        "HALL_KEY_FILE": str(tmp_path / "hall-data.key"),
        "HALL_CENTRAL_URL": "postgresql://nobody@127.0.0.1:1/none",
        "HALL_COUNTER": "01",
    }
    settings = Settings.load(env=env, db_url=f"sqlite:///{tmp_path / 'hall.sqlite3'}")
    before = crypto.installed()
    crypto.install(None)  # a fresh process: the key comes from the file
    try:
        started = app_module.start_gui([], settings)
        assert not isinstance(started, int)
        _, session = started
        qtbot.waitUntil(lambda: session.exit_code == 2, timeout=20_000)
        session.ops.wait_idle()
        assert session.login is not None
        session.login.close()
    finally:
        crypto.install(before)
    ((kind, title, text),) = shown.items
    assert kind == "error" and title == "数据密钥错误"
    assert text.startswith("数据密钥：") and "hall-app keys import" in text
    assert "Traceback" not in text
