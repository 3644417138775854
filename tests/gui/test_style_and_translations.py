"""At start the application gets its shipped style sheet and icon (resources/), and Qt's own
texts (standard buttons, the print dialog) in Chinese (defect 8)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QFileInfo, QLocale, QTranslator
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QFileDialog,
    QFileIconProvider,
    QLabel,
    QMessageBox,
)
from pytestqt.qtbot import QtBot

from hall_app.config import Settings
from hall_app.resources import read_text
from tests.gui.conftest import ShownMessages
from ui import app as app_module
from ui import qt_locale
from ui.login.dialog import LoginDialog
from ui.style import set_role

ERROR_RED, OK_GREEN = "#c0392b", "#1e7e34"


def _ours(app: QCoreApplication) -> list[QTranslator]:
    return [t for t in app.findChildren(QTranslator) if t.objectName().startswith("hall-")]


@pytest.fixture
def bare(qapp: QApplication) -> QApplication:
    """The application as Qt makes it, before start_gui: no style sheet, no translations."""
    for translator in _ours(qapp):
        qapp.removeTranslator(translator)
        translator.setParent(None)
    qapp.setStyleSheet("")
    QLocale.setDefault(QLocale.c())
    return qapp


def _start(tmp_path: Path, qtbot: QtBot) -> LoginDialog:
    db = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    started = app_module.start_gui([], Settings.load(env={}, db_url=db))
    assert not isinstance(started, int)
    _, session = started
    assert session.login is not None
    qtbot.waitUntil(lambda: session.hall is not None, timeout=20_000)
    session.ops.wait_idle()
    assert session.hall is not None
    session.hall.close()
    return session.login


def test_qt_dialogs_are_in_chinese_after_start(
    bare: QApplication, qtbot: QtBot, shown: ShownMessages, tmp_path: Path
) -> None:
    ok_cancel = QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    before = QDialogButtonBox(ok_cancel)
    assert sorted(b.text().replace("&", "") for b in before.buttons()) == ["Cancel", "OK"]
    login = _start(tmp_path, qtbot)
    after = QDialogButtonBox(ok_cancel)
    assert sorted(b.text() for b in after.buttons()) == sorted(["确定", "取消"])
    box = QMessageBox(QMessageBox.Icon.Question, "x", "y", QMessageBox.StandardButton.Yes)
    assert box.button(QMessageBox.StandardButton.Yes).text().replace("&", "").startswith("是")
    assert QCoreApplication.translate("QPrintDialog", "Print") == "打印"
    assert QLocale().name() == "zh_CN"
    login.close()
    assert shown.items == []


def test_the_style_sheet_and_icon_are_applied_at_start(
    bare: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    login = _start(tmp_path, qtbot)
    qtbot.addWidget(login)
    assert bare.styleSheet() == read_text("style", "hall.qss") != ""
    assert not bare.windowIcon().isNull() and not bare.windowIcon().pixmap(32).isNull()
    title = login.findChild(QLabel, "loginTitle")
    assert title is not None
    assert title.font().pointSize() == 20 and title.font().bold()
    assert title.palette().color(title.foregroundRole()).name() == "#1f4e8c"
    error = login.error_label
    assert error.palette().color(error.foregroundRole()).name() == ERROR_RED
    set_role(error, "ok")  # a state changed at run time restyles the widget
    assert error.palette().color(error.foregroundRole()).name() == OK_GREEN
    login.close()


def test_screens_call_no_inline_style_sheets() -> None:
    root = Path(__file__).resolve().parents[2] / "ui"
    inline = [
        f"{path.relative_to(root)}:{n}"
        for path in sorted(root.rglob("*.py"))
        if path.name != "style.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if ".setStyleSheet(" in line
    ]
    assert inline == []


def test_a_missing_translation_is_logged_once(
    bare: QApplication, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    qt_locale._warned.clear()
    caplog.set_level(logging.WARNING, logger="hall.ui")
    assert qt_locale.install_chinese_translations(bare, str(tmp_path)) == []
    assert qt_locale.install_chinese_translations(bare, str(tmp_path)) == []
    warned = [r.getMessage() for r in caplog.records if "Qt translation" in r.getMessage()]
    assert len(warned) == 2 and "qtbase_zh_CN.qm" in warned[0]
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    assert box.buttons()[0].text().replace("&", "") == "Cancel"  # English, but it goes on
    assert len(qt_locale.install_chinese_translations(bare)) == 3  # the real folder
    assert qt_locale.install_chinese_translations(bare) == []  # once per application


def test_the_save_dialog_is_in_chinese_after_start(
    bare: QApplication, qtbot: QtBot, shown: ShownMessages, tmp_path: Path
) -> None:
    """Qt 6's file dialog says "&Look in:" and "Files of &type:", which the shipped catalogs
    only have as "Look in:": seen in English in the 另存为 PDF dialog on the real app."""
    login = _start(tmp_path, qtbot)
    dialog = QFileDialog(None, "另存为 PDF")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    labels = [label.text() for label in dialog.findChildren(QLabel)]
    assert labels == ["查找范围(&L)：", "文件名称(&N)：", "文件类型(&T)："]
    assert QFileIconProvider().type(QFileInfo(str(tmp_path))) == "文件夹"
    assert QCoreApplication.translate("QFileDialog", "Detail View") == "详情视图"  # Qt's own
    dialog.deleteLater()
    login.close()
    assert shown.items == []
