"""Engine creation and the unit of work every service runs in."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hall_app.db import text_limits
from hall_app.domain.errors import HallError, StorageError
from hall_app.lanes import WriteOnReadLane, on_read_lane

log = logging.getLogger("hall.db")
T = TypeVar("T")


def make_engine(
    url: str,
    *,
    connect_timeout_s: int = 10,
    statement_timeout_s: int = 120,
    tcp_timeout_s: int = 30,
) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 15}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    # hide_parameters: ID and phone numbers must never reach a log through an exception text.
    # Timeouts: a half-open link must fail a sync round, not hang it for minutes. The server's
    # statement timeout does not help when the server is gone: TCP keepalives notice a silent
    # peer, and tcp_user_timeout drops a link whose sent data is never acknowledged (a pulled
    # cable, a dropped NAT entry).
    return create_engine(
        url,
        pool_pre_ping=True,
        hide_parameters=True,
        connect_args={
            "connect_timeout": connect_timeout_s,
            "options": f"-c statement_timeout={statement_timeout_s * 1000}",
            "keepalives": 1,
            "keepalives_idle": max(1, tcp_timeout_s // 3),
            "keepalives_interval": max(1, tcp_timeout_s // 6),
            "keepalives_count": 2,
            "tcp_user_timeout": tcp_timeout_s * 1000,
        },
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})


def _no_writes_on_the_read_lane(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    first = statement.lstrip()[:8].split(None, 1)
    if first and first[0].upper() in _WRITES and on_read_lane():
        raise WriteOnReadLane(
            "work submitted as a read (Operations.query) tried to write; submit it with mutate"
        )


class _Checkpointer:
    """Moves the SQLite write-ahead log into the database every few seconds, on its own
    thread. With automatic checkpoints, one clerk's commit in every few dozen paid for writing
    back and syncing the pages (order completion p95 24 ms, worst 53 ms on the 1M database;
    without them 16 ms and 25 ms)."""

    def __init__(self, engine: Engine, interval_s: float) -> None:
        self._engine = engine
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.checkpoint()

    def checkpoint(self) -> None:
        try:
            with self._engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except SQLAlchemyError:
            log.warning("WAL checkpoint failed; will retry", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.checkpoint()  # leave a tidy database behind


def _no_auto_checkpoint(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA wal_autocheckpoint=0")
    cur.close()


# sqlite3 reports mistakes in SQL (no such table, syntax error) as OperationalError too; only
# these mean the database file can not be used right now.
_SQLITE_OUTAGES = (
    "database is locked",
    "database is busy",
    "unable to open database",
    "disk i/o error",
    "database or disk is full",
    "readonly database",
)


def is_outage(exc: OperationalError) -> bool:
    """The database can not be reached or used now (a dead link, a locked or missing file):
    an expected state, not a bug."""
    if exc.connection_invalidated:
        return True
    if isinstance(exc.orig, sqlite3.Error):
        message = str(exc.orig).lower()
        return any(outage in message for outage in _SQLITE_OUTAGES)
    return True  # psycopg reports SQL mistakes as ProgrammingError, not OperationalError


def _one_line(exc: OperationalError) -> str:
    """The driver's own message, first line only (never the statement or its parameters)."""
    text = str(exc.orig if exc.orig is not None else exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


class _Availability:
    """Logs a database going away and coming back once per change of state, not per call: a
    dead link is expected (a counter works offline), so its failures carry no traceback."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._down: str | None = None  # the reason, while the database is unavailable

    def failed(self, exc: OperationalError) -> None:
        if not is_outage(exc):
            # Not an outage: a bug in a statement, logged in full every time.
            log.error("database error (%s)", self._name, exc_info=exc)
            return
        reason = f"{type(exc.orig or exc).__name__}: {_one_line(exc)}"
        with self._lock:
            first = self._down is None
            self._down = reason
        if first:
            log.warning("database unavailable (%s): %s", self._name, reason)
        else:
            log.debug("database still unavailable (%s): %s", self._name, reason)

    def succeeded(self) -> None:
        if self._down is None:  # the usual case: no lock taken
            return
        with self._lock:
            was, self._down = self._down, None
        if was is not None:
            log.info("database available again (%s)", self._name)


class Database:
    """Owns the engine and hands out units of work. On SQLite it also runs the WAL
    checkpoints in the background."""

    CHECKPOINT_INTERVAL_S = 5.0

    def __init__(self, engine: Engine, name: str | None = None) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._availability = _Availability(name or engine.url.render_as_string(hide_password=True))
        text_limits.install(self._sessions)
        event.listen(engine, "before_cursor_execute", _no_writes_on_the_read_lane)
        self._checkpointer: _Checkpointer | None = None
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            event.listen(engine, "connect", _no_auto_checkpoint)
            engine.dispose()  # pooled connections were made before the listener
            self._checkpointer = _Checkpointer(engine, self.CHECKPOINT_INTERVAL_S)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: commits if the block returns, rolls back on any exception.

        Database failures become a clerk-facing ``StorageError``; domain errors pass through.
        """
        session = self._sessions()
        try:
            yield session
            session.commit()
            self._availability.succeeded()
        except HallError:
            session.rollback()
            raise
        except OperationalError as exc:
            session.rollback()
            self._availability.failed(exc)
            raise StorageError(
                "数据库无法访问或繁忙，本次操作未保存，请稍后重试", "数据库"
            ) from exc
        except SQLAlchemyError as exc:
            session.rollback()
            log.error("database refused an operation", exc_info=True)  # parameters are hidden
            raise StorageError(
                f"数据库拒绝了本次操作，未保存任何内容（{type(exc).__name__}）", "数据库"
            ) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def write_numbered(self, work: Callable[[Session], T], attempts: int = 5) -> T:
        """Run ``work`` in a unit of work, again if it lost a race for a unique number (two
        counters numbering a ticket or an order in the same instant): the unique constraint
        decides, the loser numbers again."""
        for attempt in range(attempts):
            try:
                with self.unit_of_work() as session:
                    return work(session)
            except StorageError as exc:
                if not isinstance(exc.__cause__, IntegrityError) or attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session (rolled back at the end)."""
        session = self._sessions()
        try:
            yield session
            self._availability.succeeded()
        except OperationalError as exc:
            self._availability.failed(exc)
            raise StorageError("数据库无法访问或繁忙，请稍后重试", "数据库") from exc
        finally:
            session.rollback()
            session.close()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A plain connection for hot read paths (searches): no ORM session."""
        try:
            with self.engine.connect() as conn:
                yield conn
            self._availability.succeeded()
        except OperationalError as exc:
            self._availability.failed(exc)
            raise StorageError("数据库无法访问或繁忙，请稍后重试", "数据库") from exc

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self.engine.dispose()
