"""A database that can not be reached is an expected state (a counter works offline): it is
logged once when it goes away, in one line with the reason and no traceback, and once when it
comes back; not on every call. A mistake in a statement is still logged in full each time."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from hall_app.db.central import CentralLink, Offline
from hall_app.db.engine import Database
from hall_app.domain.errors import StorageError


class Switch:
    """The file's connections fail while ``down`` (a missing or unreadable database file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.down = False

    def connect(self) -> sqlite3.Connection:
        if self.down:
            raise sqlite3.OperationalError("unable to open database file")
        return sqlite3.connect(self.path, check_same_thread=False)


@pytest.fixture
def switched(tmp_path: Path) -> tuple[Database, Switch]:
    switch = Switch(tmp_path / "x.sqlite3")
    engine = create_engine("sqlite://", creator=switch.connect, poolclass=NullPool)
    return Database(engine, name="counter x.sqlite3"), switch


def _calls(db: Database, n: int) -> int:
    """``n`` calls, through each entry point in turn; the number that failed."""
    failed = 0
    for i in range(n):
        try:
            if i % 3 == 0:
                with db.unit_of_work() as s:
                    s.execute(text("SELECT 1"))
            elif i % 3 == 1:
                with db.read() as s:
                    s.execute(text("SELECT 1"))
            else:
                with db.connect() as conn:
                    conn.execute(text("SELECT 1"))
        except StorageError as exc:
            assert exc.field == "数据库"
            failed += 1
    return failed


def _db_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "hall.db" and r.levelno >= logging.INFO]


def test_an_outage_is_logged_once_and_the_recovery_once(
    switched: tuple[Database, Switch], caplog: pytest.LogCaptureFixture
) -> None:
    db, switch = switched
    caplog.set_level(logging.DEBUG, logger="hall.db")
    assert _calls(db, 3) == 0
    assert _db_records(caplog) == []  # all well: nothing said

    switch.down = True
    assert _calls(db, 6) == 6
    [down] = _db_records(caplog)
    assert down.levelno == logging.WARNING and down.exc_info is None
    message = down.getMessage()
    assert "\n" not in message and "counter x.sqlite3" in message
    assert "unable to open database file" in message

    caplog.clear()
    switch.down = False
    assert _calls(db, 4) == 0
    [up] = _db_records(caplog)
    assert up.levelno == logging.INFO and "available again" in up.getMessage()

    caplog.clear()
    switch.down = True  # a second outage is news again
    assert _calls(db, 2) == 2
    assert [r.levelno for r in _db_records(caplog)] == [logging.WARNING]
    db.dispose()


def test_a_mistake_in_a_statement_keeps_its_traceback(
    switched: tuple[Database, Switch], caplog: pytest.LogCaptureFixture
) -> None:
    db, _switch = switched
    for _ in range(2):  # sqlite3 calls this an OperationalError too, but it is a bug
        with pytest.raises(StorageError), db.read() as s:
            s.execute(text("SELECT * FROM no_such_table"))
    records = _db_records(caplog)
    assert [r.levelno for r in records] == [logging.ERROR, logging.ERROR]
    assert all(r.exc_info is not None for r in records)
    db.dispose()


def test_a_dead_central_link_logs_one_line(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    link = CentralLink("postgresql://x@127.0.0.1:1/none", monotonic=lambda: now[0])
    caplog.set_level(logging.DEBUG)
    try:
        for _ in range(4):
            with pytest.raises(Offline):
                link.run(lambda s: s.execute(text("SELECT 1")))
            now[0] += CentralLink.RETRY_S  # the next call tries the link again
        loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(loud) == 1, [r.getMessage() for r in loud]
        [warning] = loud
        assert warning.exc_info is None and "\n" not in warning.getMessage()
        assert "central postgresql" in warning.getMessage()
        assert "x@127.0.0.1:1/none" in warning.getMessage()
        assert "OperationalError" in warning.getMessage()
    finally:
        link.close()
