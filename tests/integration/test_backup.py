"""Backups of a counter's database: made online and sealed, generations pruned, made daily
and at 日结 once started; a restore with the app closed brings back exactly what was backed
up, and a damaged, foreign or inconsistent backup is refused with nothing replaced."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import select

from hall_app.app import HallApp, build_app
from hall_app.cli import main as cli_main
from hall_app.config import Settings
from hall_app.db import crypto
from hall_app.db.backup_file import BackupError, open_file, seal_file
from hall_app.db.engine import Database, make_engine
from hall_app.db.migrate import HEAD_REVISION
from hall_app.db.models import AuditEntry
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.services.actor import Actor
from hall_app.services.backup import database_path, restore
from tests.conftest import TEST_KEYS, FakeClock


def _db_path(hall: HallApp) -> Path:
    return database_path(hall.settings.db_url)


def _digest(path: Path) -> dict[str, str]:
    """A digest of every table's rows, the audit entries of backups and restores aside."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        out = {}
        for table in sorted(tables):
            where = ""
            if table == "audit_log":
                where = " WHERE action NOT LIKE 'backup.%'"
            if table == "sync_outbox":  # the backup's own audit entries, queued for the hall
                where = (
                    " WHERE row_id NOT IN (SELECT id FROM audit_log WHERE action LIKE 'backup.%')"
                )
            rows = conn.execute(f'SELECT * FROM "{table}"{where}').fetchall()
            digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
            out[table] = digest
        return out
    finally:
        conn.close()


def _actions(hall_or_path: HallApp | Path) -> list[str]:
    if isinstance(hall_or_path, Path):
        db = Database(make_engine(f"sqlite:///{hall_or_path}"))
    else:
        db = hall_or_path.db
    try:
        with db.read() as s:
            return list(
                s.scalars(
                    select(AuditEntry.action)
                    .where(AuditEntry.entity == "backup")
                    .order_by(AuditEntry.at, AuditEntry.seq)
                )
            )
    finally:
        if isinstance(hall_or_path, Path):
            db.dispose()


def test_backup_then_restore_with_the_app_closed(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    assert hall.backups is not None
    path = _db_path(hall)
    made = hall.backups.make()
    assert made.path.parent == path.parent / "backups"
    assert made.path.name == f"hall-local-20261124-100000-{TEST_KEYS.current}.hallbak"
    assert made.database_bytes > 1_000_000 and made.file_bytes > made.database_bytes
    assert _actions(hall) == ["backup.made"]
    # Not a plain SQLite file, and no demo ID number in it.
    raw = made.path.read_bytes()
    assert b"SQLite format 3" not in raw and b"CREATE TABLE" not in raw
    conn = sqlite3.connect(path)
    query = "SELECT id_number FROM customers WHERE id_number IS NOT NULL LIMIT 1"
    plain = conn.execute(query).fetchone()[0]
    conn.close()
    assert plain.encode() not in raw
    before = _digest(path)  # what the backup holds (the audit entry of the backup aside)

    hall.cash.open_session(clerk, 20_000)  # work after the backup, lost by the restore
    assert _digest(path) != before
    hall.close()

    clock.now += timedelta(minutes=5)
    report = restore(made.path, path, clock)
    assert report.database == path and report.revision == HEAD_REVISION and not report.migrated
    assert report.audit_checked > 0
    assert not report.recovery_needed  # a lone counter: audited and working at once
    assert report.kept == path.with_name(f"{path.name}.replaced-20261124-100500")
    assert report.kept.exists()  # the replaced file, with the till opened after the backup
    assert _digest(path) == before
    assert _digest(report.kept) != before
    assert _actions(path) == ["backup.restored"]  # the backup's own entry came after it
    # The restored counter opens and works.
    again = build_app(Settings.load(env={}, db_url=f"sqlite:///{path}"), clock=clock)
    try:
        from hall_app.services.audit_chain import verify

        assert verify(again.db.engine).ok
        assert again.cash.current_session(again.auth.log_in("clerk1", DEMO_PASSWORD)) is None
    finally:
        again.close()


def test_restore_is_refused_while_the_app_has_the_database_open(hall: HallApp) -> None:
    assert hall.backups is not None
    made = hall.backups.make()
    path = _db_path(hall)
    before = path.read_bytes()
    with pytest.raises(BackupError) as caught:
        restore(made.path, path, hall.clock)
    assert "正被营业厅程序使用" in caught.value.text
    assert path.read_bytes() == before
    assert not list(path.parent.glob(f".{path.name}.restore-*"))


@pytest.fixture
def closed(hall: HallApp) -> tuple[Path, Path, FakeClock]:
    """A backup of the demo database (made with the app open), then the app closed."""
    assert hall.backups is not None
    made = hall.backups.make()
    hall.close()
    return made.path, _db_path(hall), cast(FakeClock, hall.clock)


def _refused(backup: Path, target: Path, clock: FakeClock, words: str) -> None:
    before = target.read_bytes()
    with pytest.raises(BackupError) as caught:
        restore(backup, target, clock)
    assert words in caught.value.text, caught.value.text
    assert target.read_bytes() == before  # nothing replaced
    assert not list(target.parent.glob("*.replaced-*"))
    assert not list(target.parent.glob(f".{target.name}.restore-*"))  # nothing left behind


def test_a_damaged_or_foreign_backup_is_refused(
    closed: tuple[Path, Path, FakeClock], tmp_path: Path
) -> None:
    backup, target, clock = closed
    good = backup.read_bytes()
    bad = tmp_path / "bad.hallbak"
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x40
    bad.write_bytes(bytes(flipped))
    _refused(bad, target, clock, "备份文件无法解密")
    bad.write_bytes(good[: len(good) // 3])
    _refused(bad, target, clock, "被截断")
    bad.write_bytes(b"not a backup at all")
    _refused(bad, target, clock, "不是本系统的备份文件")
    _refused(tmp_path / "missing.hallbak", target, clock, "找不到备份文件")
    crypto.install(crypto.DataKeys("k1", {"k1": bytes(32)}, bytes(32)))  # another hall's key
    try:
        _refused(backup, target, clock, "密钥不是备份时所用的那把")
    finally:
        crypto.install(TEST_KEYS)


def _resealed(backup: Path, tmp_path: Path, change: str, *, damage: bool = False) -> Path:
    """The backup opened, changed by SQL (or its pages damaged) and sealed again with the
    hall's key: a backup that decrypts but must still be refused."""
    inner = tmp_path / "inner.sqlite3"
    inner.unlink(missing_ok=True)
    open_file(backup, inner, TEST_KEYS)
    if change:
        with sqlite3.connect(inner) as conn:
            conn.executescript(change)
        conn.close()
    if damage:
        raw = bytearray(inner.read_bytes())
        page = 4096
        for at in range(page * 40, len(raw) - page, page * 7):
            raw[at + 100 : at + 300] = b"\xff" * 200
        inner.write_bytes(bytes(raw))
    out = tmp_path / "resealed.hallbak"
    out.unlink(missing_ok=True)
    seal_file(
        inner, out, TEST_KEYS, created="2026-11-24T02:00:00+00:00", counter=None, revision=None
    )
    return out


def test_a_backup_failing_its_checks_is_refused(
    closed: tuple[Path, Path, FakeClock], tmp_path: Path
) -> None:
    backup, target, clock = closed
    _refused(_resealed(backup, tmp_path, "", damage=True), target, clock, "备份中的数据库")
    _refused(
        _resealed(backup, tmp_path, "UPDATE alembic_version SET version_num='9999';"),
        target,
        clock,
        "版本 9999 比本程序新或来历不明",
    )
    tampered = _resealed(
        backup,
        tmp_path,
        "UPDATE audit_log SET action='order.void' WHERE seq = "
        "(SELECT min(seq) FROM audit_log WHERE seq IS NOT NULL AND counter_id IS NULL);",
    )
    _refused(tampered, target, clock, "审计记录链不完整")
    # The untouched backup still restores.
    assert restore(backup, target, clock).kept is not None


def test_generations_beyond_the_setting_are_pruned(
    demo_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    folder = tmp_path / "elsewhere"
    env = {"HALL_BACKUP_DIR": str(folder), "HALL_BACKUP_KEEP": "3", "HALL_COUNTER": "07"}
    hall = build_app(Settings.load(env=env, db_url=demo_url), clock=clock)
    try:
        assert hall.backups is not None and hall.backups.folder == folder
        folder.mkdir()
        other = folder / "hall-08-20261101-090000-k1.hallbak"  # another counter's, kept
        other.write_bytes(b"x")
        names = []
        for _ in range(5):
            names.append(hall.backups.make("manual").path.name)
            clock.now += timedelta(hours=1)
        kept = [info.path.name for info in hall.backups.generations()]
        assert kept == names[:-4:-1]  # the newest three, newest first
        assert sorted(p.name for p in folder.iterdir()) == sorted([*kept, other.name])
        with hall.db.read() as s:
            pruned = [
                e.after["pruned"]
                for e in s.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.action == "backup.made")
                    .order_by(AuditEntry.at)
                )
            ]
        assert pruned == [[], [], [], [names[0]], [names[1]]]
    finally:
        hall.close()


def test_automatic_backups_daily_and_at_day_close(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    backups = hall.backups
    assert backups is not None
    hall.cash.open_session(clerk, 20_000)
    hall.cash.close_session(clerk, 20_000)
    assert backups.generations() == []  # not started (scripts and tests): none made
    backups.start(check_every_s=0.2)
    backups.wait_idle()
    assert len(backups.generations()) == 1 and backups.done_today()
    import time

    time.sleep(0.6)  # a few daily checks: today's is there, nothing more
    backups.wait_idle()
    assert len(backups.generations()) == 1
    hall.cash.open_session(clerk, 20_000)
    clock.now += timedelta(hours=3)
    hall.cash.close_session(clerk, 20_000)  # 日结
    backups.wait_idle()
    assert len(backups.generations()) == 2
    with hall.db.read() as s:
        reasons = [
            e.after["reason"]
            for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "backup.made"))
        ]
    assert sorted(reasons) == ["daily", "day_close"]
    clock.now += timedelta(days=1)  # the next business day: the daily check makes one
    time.sleep(0.5)
    backups.wait_idle()
    assert len(backups.generations()) == 3
    assert backups.last_failure is None


def test_backup_and_restore_commands(
    hall: HallApp, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = hall.settings.db_url
    path = _db_path(hall)
    hall.close()
    monkeypatch.setenv("HALL_BACKUP_KEEP", "2")
    assert cli_main(["--db", url, "backup"]) == 0
    out = capsys.readouterr().out
    assert "备份完成" in out
    assert cli_main(["--db", url, "backup", "--list"]) == 0
    listed = capsys.readouterr().out
    assert "1 份（保留 2 份）" in listed
    (made,) = (path.parent / "backups").iterdir()
    assert made.name in listed
    bad = path.parent / "bad.hallbak"
    bad.write_bytes(made.read_bytes()[:-10])
    assert cli_main(["--db", url, "restore", str(bad)]) == 1
    assert "被截断" in capsys.readouterr().err
    assert cli_main(["--db", url, "restore", str(made)]) == 0
    out = capsys.readouterr().out
    assert "已从备份恢复" in out and "被替换的数据库已保留为" in out
    # The same commands as a process of their own, with the key file (HALL_KEY_FILE).
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "HALL_BACKUP_KEEP": "2"}
    for command in (["backup"], ["restore", str(made)]):
        done = subprocess.run(
            [sys.executable, "-m", "hall_app.cli", "--db", url, *command],
            cwd=root,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    assert "已从备份恢复" in done.stdout
    assert len(list((path.parent / "backups").iterdir())) == 2
    assert cli_main(["--db", "postgresql://nobody@localhost/none", "backup"]) == 1
    assert "只能备份和恢复本机的 SQLite" in capsys.readouterr().err


def test_only_a_sqlite_file_is_backed_up(tmp_path: Path) -> None:
    with pytest.raises(BackupError) as caught:
        database_path("sqlite:///:memory:")
    assert "只能备份和恢复本机的 SQLite" in caught.value.text
    assert database_path(f"sqlite:///{tmp_path / 'x.sqlite3'}") == tmp_path / "x.sqlite3"
