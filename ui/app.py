"""Starting the GUI: Qt application, Chinese font check, database, login, main window."""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QApplication

from hall_app.app import HallApp, build_app
from hall_app.config import Settings, default_data_dir
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
        if self.login is not None:  # the previous dialog, still holding its fields
            self.login.deleteLater()
        self.login = LoginDialog(self.hall.auth, self.ops, self.subtitle())
        self.login.accepted.connect(self._open_main)
        self.login.show()
        return self.login

    def _open_main(self) -> None:
        assert self.login is not None and self.login.actor is not None
        self.login.password.clear()
        self.window = MainWindow(self.hall, self.login.actor, self.ops)
        self.window.logout_requested.connect(self._logout)
        self.window.show()
        self.window.customers.focus_query()

    def _logout(self) -> None:
        if self.window is not None:
            actor = self.window.actor
            auth = self.hall.auth
            self.ops.run(lambda: auth.log_out(actor), lambda _: None, write=True)
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
        settings = settings or Settings.load()
    except (OSError, ValueError) as exc:  # tomllib.TOMLDecodeError is a ValueError
        messages.error(None, f"配置文件有误，无法启动：{exc}", title="配置错误")
        return 2
    try:
        hall = build_app(settings)
    except HallError as exc:
        messages.error(None, exc.text, title="无法打开数据库")
        return 2
    session = Session(hall, Operations())
    session.show_login()
    return qt_app, session


def setup_logging() -> Path | None:
    """Log to stderr and to a rotating file in the user data folder."""
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=logging.INFO, format=fmt)
    try:
        folder = default_data_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            folder / "hall.log", maxBytes=5_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        log.warning("no log file: the data folder is not writable")
        return None
    handler.setFormatter(logging.Formatter(fmt))
    logging.getLogger().addHandler(handler)
    return folder / "hall.log"


def install_excepthook() -> None:
    """Exceptions escaping a slot are bugs: log them and show the crash dialog."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        messages.failure(None, exc.with_traceback(tb))

    sys.excepthook = hook


def run_gui(argv: list[str]) -> int:
    setup_logging()
    install_excepthook()
    started = start_gui(argv)
    if isinstance(started, int):
        return started
    qt_app, session = started
    code = qt_app.exec()  # closing the login window without logging in quits
    session.ops.wait_idle()
    session.hall.close()
    return code
