"""On the read lane the database takes reads only; elsewhere, and after the block, it writes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from hall_app.db.engine import Database, make_engine
from hall_app.lanes import WriteOnReadLane, on_read_lane, reads_only


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(make_engine(f"sqlite:///{tmp_path / 'lanes.sqlite3'}"))
    with database.unit_of_work() as s:
        s.execute(text("CREATE TABLE t (x INTEGER)"))
    yield database
    database.dispose()


def _count(db: Database) -> int:
    with db.read() as s:
        return int(s.execute(text("SELECT count(*) FROM t")).scalar_one())


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO t VALUES (1)",
        "  update t SET x = 2",
        "\nDELETE FROM t",
        "REPLACE INTO t VALUES (3)",
    ],
)
def test_a_write_on_the_read_lane_is_refused_and_nothing_changes(
    db: Database, statement: str
) -> None:
    with reads_only():
        assert on_read_lane()
        assert _count(db) == 0  # reads run
        with pytest.raises(WriteOnReadLane), db.unit_of_work() as s:
            s.execute(text(statement))
    assert not on_read_lane() and _count(db) == 0


def test_writes_run_off_the_read_lane_and_on_other_threads(db: Database) -> None:
    with reads_only():
        other = threading.Thread(target=lambda: _insert(db))  # another thread, another lane
        other.start()
        other.join()
    _insert(db)
    assert _count(db) == 2


def _insert(db: Database) -> None:
    with db.unit_of_work() as s:
        s.execute(text("INSERT INTO t VALUES (1)"))
