"""Starting the GUI: Qt application, Chinese font check, database, login, main window."""

from __future__ import annotations

import logging
import sys

from PySide6.QtWidgets import QApplication

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.domain.errors import HallError
from ui import messages
from ui.fonts import MISSING_FONT_MESSAGE, apply_chinese_font, pick_chinese_font
from ui.login.dialog import LoginDialog
from ui.main_window.window import MainWindow
from ui.ops import Operations

log = logging.getLogger("hall.ui")


def ensure_chinese_font(app: QApplication) -> bool:
    """Use the best Chinese font; without one, say so (readably) and return False."""
    family = pick_chinese_font()
    if family is None:
        messages.error(None, MISSING_FONT_MESSAGE, title="Missing Chinese font / 缺少中文字体")
        return False
    app.setFont(apply_chinese_font(family))
    return True


class Session:
    """One clerk's sign-in cycle: login dialog, then the main window until logout."""

    def __init__(self, hall: HallApp, ops: Operations) -> None:
        self.hall = hall
        self.ops = ops
        self.window: MainWindow | None = None
        self.login: LoginDialog | None = None

    def subtitle(self) -> str:
        return (
            "单机模式（本地数据库）"
            if self.hall.db.engine.url.get_backend_name() == "sqlite"
            else ""
        )

    def show_login(self) -> LoginDialog:
        self.login = LoginDialog(self.hall.auth, self.ops, self.subtitle())
        self.login.accepted.connect(self._open_main)
        self.login.show()
        return self.login

    def _open_main(self) -> None:
        assert self.login is not None and self.login.actor is not None
        self.window = MainWindow(self.hall, self.login.actor, self.ops)
        self.window.logout_requested.connect(self._logout)
        self.window.show()
        self.window.customers.focus_query()

    def _logout(self) -> None:
        if self.window is not None:
            self.window.close()
            self.window.deleteLater()
            self.window = None
        self.show_login()


def start_gui(
    argv: list[str], settings: Settings | None = None
) -> tuple[QApplication, Session] | int:
    """Everything up to the login window on screen; an exit code when start-up cannot go on."""
    qt_app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    assert isinstance(qt_app, QApplication)
    qt_app.setApplicationName("营业厅前台受理系统")
    if not ensure_chinese_font(qt_app):
        return 3
    try:
        hall = build_app(settings or Settings.load())
    except HallError as exc:
        messages.error(None, exc.text, title="无法打开数据库")
        return 2
    session = Session(hall, Operations())
    session.show_login()
    return qt_app, session


def run_gui(argv: list[str]) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    started = start_gui(argv)
    if isinstance(started, int):
        return started
    qt_app, session = started
    code = qt_app.exec()  # closing the login window without logging in quits
    session.ops.wait_idle()
    session.hall.close()
    return code
