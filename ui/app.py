"""Starting the GUI: Qt application, Chinese font check, database, login, main window."""

from __future__ import annotations

import gc
import logging
import sys
import time
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

from hall_app.config import Settings, default_data_dir
from hall_app.domain.errors import HallError
from hall_app.keyfile import DataKeyError
from hall_app.logs import RedactingFormatter, redact_handlers
from ui import messages
from ui.fonts import MISSING_FONT_MESSAGE, apply_chinese_font, pick_chinese_font
from ui.login.dialog import LoginDialog
from ui.ops import Changes, Operations
from ui.qt_locale import install_chinese_translations
from ui.style import apply_style

if TYPE_CHECKING:  # the database layer is imported off the GUI thread, after the window shows
    from hall_app.app import HallApp
    from hall_app.services.actor import Actor
    from ui.demo import ArrivalsTimer
    from ui.kiosk.window import KioskWindow
    from ui.lock.controller import SessionLock
    from ui.main_window.window import MainWindow

log = logging.getLogger("hall.ui")


def prepare_application(app: QApplication) -> bool:
    """Qt's own texts in Chinese, the Chinese font, the style sheet and the window icon.
    False (after saying so) when no Chinese font is installed."""
    install_chinese_translations(app)
    if not ensure_chinese_font(app):
        return False
    apply_style(app)
    return True


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

    def __init__(self, hall: HallApp | None, ops: Operations, kiosk: bool = False) -> None:
        self.hall = hall  # None until the background start-up has opened the database
        self.ops = ops
        self.kiosk = kiosk  # after login, the self-service ticket screen instead
        self.kiosk_window: KioskWindow | None = None
        self.exit_code: int | None = None
        self.quit: Callable[[int], None] | None = None  # set by run_gui: ends the event loop
        self.window: MainWindow | None = None
        self.login: LoginDialog | None = None
        self.arrivals: ArrivalsTimer | None = None  # demo mode: customers taking tickets
        self.lock: SessionLock | None = None  # the idle lock of the signed-in clerk
        self.idle_clock: Callable[[], float] = time.monotonic  # what the idle lock measures by

    def subtitle(self) -> str:
        if self.hall is None:
            return "正在打开数据库…"
        return "单机模式（本地数据库）" if self.hall.is_local else "联网模式"

    def show_login(self) -> LoginDialog:
        if self.login is not None:  # the previous dialog, still holding its fields
            self.login.deleteLater()
        auth = self.hall.auth if self.hall is not None else None
        staff = self.hall.staff if self.hall is not None else None
        self.login = LoginDialog(auth, self.ops, self.subtitle(), staff=staff)
        self.login.accepted.connect(self._open_main)
        self.login.show()
        return self.login

    def _open_main(self) -> None:
        assert self.login is not None and self.login.actor is not None
        self.login.password.clear()
        self._start(self.login.actor)

    def _start(self, actor: Actor) -> None:
        from ui.main_window.window import MainWindow

        assert self.hall is not None
        if self.kiosk:
            from ui.kiosk.window import KioskWindow

            self.kiosk_window = KioskWindow(self.hall, actor, self.ops)
            self.kiosk_window.logout_requested.connect(self._logout)
            self.kiosk_window.showFullScreen()
            return
        self.window = MainWindow(self.hall, actor, self.ops)
        self.window.logout_requested.connect(self._logout)
        self.window.show()
        self.window.customers.focus_query()
        self._start_lock(actor)
        from ui.audit_alerts import warn_supervisor

        warn_supervisor(self.hall, actor, self.ops, self.window)
        # What start-up and login built (modules, mappers, the catalog, the window) lives as
        # long as the app: move it out of the collector's reach, so a full collection during
        # the day walks only what the day allocates (an 80 ms pause on the GUI thread before,
        # 15 ms after; bench S4). Freezing is cheap: no collection runs here.
        gc.freeze()
        if self.hall.settings.demo:
            from ui.demo import ArrivalsTimer

            self.arrivals = ArrivalsTimer(
                self.hall.queue, self.hall.clock, actor, self.ops, self.window
            )

    def _start_lock(self, actor: Actor) -> None:
        """The counter locks after the idle time (not the self-service kiosk: nobody's)."""
        from ui.lock.controller import SessionLock

        assert self.hall is not None
        minutes = self.hall.settings.rules.idle_lock_minutes
        lock = self.lock = SessionLock(
            self.hall.auth,
            self.ops,
            actor,
            minutes * 60,
            staff=self.hall.staff,
            clock=self.idle_clock,
            guard=self.window,
        )
        lock.switched.connect(self._switched)
        lock.start()

    def _switched(self, actor: Actor | None) -> None:
        """Another staff member took over at the lock screen: the first one's windows and
        unsaved work are discarded (their logout is already recorded)."""
        self._close_session(record_logout=False)
        if actor is None:  # they did not set the new password they must
            self.show_login()
            return
        self._start(actor)

    def _logout(self) -> None:
        self._close_session(record_logout=True)
        self.show_login()

    def _close_session(self, *, record_logout: bool) -> None:
        if self.lock is not None:
            self.lock.stop()
            self.lock.deleteLater()
            self.lock = None
        if self.arrivals is not None:
            self.arrivals.stop()
            self.arrivals = None
        if self.kiosk_window is not None:
            self.kiosk_window.stop()
            self.kiosk_window.close()
            self.kiosk_window.deleteLater()
            self.kiosk_window = None
        if self.window is not None:
            actor = self.window.actor
            assert self.hall is not None
            auth = self.hall.auth
            if record_logout:
                self.ops.mutate(lambda: auth.log_out(actor), changes=Changes.SESSION)
            self.window.leave_confirmed = True  # asked by request_logout, if there was a visit
            self.window.close()
            self.window.deleteLater()
            self.window = None


def start_gui(
    argv: list[str], settings: Settings | None = None
) -> tuple[QApplication, Session] | int:
    """Everything up to the login window on screen; an exit code when start-up cannot go on."""
    qt_app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    assert isinstance(qt_app, QApplication)
    qt_app.setApplicationName("营业厅前台受理系统")
    if not prepare_application(qt_app):
        return 3
    try:
        settings = settings or Settings.load()
    except (OSError, ValueError) as exc:  # tomllib.TOMLDecodeError is a ValueError
        messages.error(None, f"配置文件有误，无法启动：{exc}", title="配置错误")
        return 2
    session = Session(None, Operations(), kiosk="--kiosk" in argv)
    login = session.show_login()

    def ready(hall: HallApp) -> None:
        session.hall = hall
        login.set_auth(hall.auth, session.subtitle(), hall.staff)

    def failed(exc: HallError) -> None:
        # A missing or wrong data key is told as such (which file, what to do), never garbage.
        title = "数据密钥错误" if isinstance(exc, DataKeyError) else "无法打开数据库"
        messages.error(login, exc.text, title=title)

    def after() -> None:  # a typed refusal or a bug (already in the crash dialog): stop here
        if session.hall is None:
            session.exit_code = 2
            if session.quit is not None:
                session.quit(2)

    # Opening the database (imports, migration check) runs while the clerk types; it is the
    # first write (the schema is brought up to date).
    session.ops.mutate(
        lambda: _open_database(settings), ready, failed, changes=Changes.NONE, always=after
    )
    return qt_app, session


def _open_database(settings: Settings) -> HallApp:
    from hall_app.app import build_app

    hall = build_app(settings)
    hall.audit_chain.check_at_start()  # a break waits for the next supervisor to log in
    if hall.backups is not None:  # today's backup unless made already, and one after each 日结
        hall.backups.start()
    if settings.demo:  # a demo database built on an earlier day gets today's queue
        from hall_app.demo.today import top_up_slots, top_up_todays_queue

        top_up_todays_queue(hall.db, hall.clock())
        top_up_slots(hall.db, hall.clock(), settings.rules)
    # Import (only import: no widgets off the GUI thread) the screens the main window needs,
    # so opening it after the login does not wait for them.
    import ui.main_window.window  # noqa: F401

    return hall


def setup_logging() -> Path | None:
    """Log to stderr and to a rotating file in the user data folder."""
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=logging.INFO, format=fmt)
    root = logging.getLogger()
    redact_handlers(root, fmt)  # ID and mobile numbers masked in whatever is logged
    try:
        folder = default_data_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            folder / "hall.log", maxBytes=5_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        log.warning("no log file: the data folder is not writable")
        return None
    handler.setFormatter(RedactingFormatter(fmt))
    root.addHandler(handler)
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
    session.quit = qt_app.exit
    code = qt_app.exec()  # closing the login window without logging in quits
    session.ops.wait_idle()
    if session.hall is not None:
        session.hall.close()
    return code
