"""The command line, and what a clerk sees when the database is dead."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import main as entry
from hall_app.app import build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.models import Customer
from hall_app.domain.errors import StorageError


def test_demo_command_builds_then_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    args = ["--db", url, "demo", "--customers", "300", "--days", "1", "--seed", "2", "--quiet"]
    assert entry.main(args) == 0
    assert "客户 300" in capsys.readouterr().out
    engine = make_engine(url)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 300
    engine.dispose()
    assert entry.main(args) == 1
    assert "已有数据" in capsys.readouterr().err


def test_migrate_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    assert entry.main(["--db", url, "migrate"]) == 0
    assert "已升级" in capsys.readouterr().out
    assert entry.main(["--db", url, "migrate"]) == 0
    assert "已是最新" in capsys.readouterr().out


def test_unreachable_database_gives_a_clear_message() -> None:
    settings = Settings.load(env={}, db_url="postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(StorageError) as err:
        build_app(settings)
    assert err.value.field == "数据库"
    assert "无法打开或升级数据库" in err.value.text
    assert "HALL_DB_URL" in err.value.text


def test_database_dying_mid_session(tmp_path: Path, demo_url: str) -> None:
    hall = build_app(Settings.load(env={}, db_url=demo_url))
    actor = hall.auth.log_in("clerk1", "hall1234")
    hall.db.engine.dispose()
    Path(demo_url.removeprefix("sqlite:///")).unlink()
    (tmp_path / "hall.sqlite3").mkdir()  # the file is gone; a directory stands in its place
    with pytest.raises(StorageError, match="数据库无法访问"):
        hall.customers.search_customers(actor, "张")
    hall.close()


def test_wal_is_checkpointed_in_the_background_not_by_commits(demo_url: str) -> None:
    import sqlite3

    from hall_app.db.engine import Database

    hall = build_app(Settings.load(env={}, db_url=demo_url))
    with hall.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    actor = hall.auth.log_in("clerk1", "hall1234")  # a write
    wal = Path(demo_url.removeprefix("sqlite:///") + "-wal")
    assert wal.exists() and wal.stat().st_size > 0
    assert isinstance(hall.db, Database) and hall.db._checkpointer is not None
    hall.db._checkpointer.checkpoint()
    raw = sqlite3.connect(demo_url.removeprefix("sqlite:///"))
    busy, log_frames, checkpointed = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    raw.close()
    assert busy == 0 and log_frames == checkpointed  # everything was moved into the database
    hall.close()
    assert actor.username == "clerk1"
