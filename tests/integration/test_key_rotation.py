"""Key rotation on a real table of sealed values: batch by batch, resumable after a failure or a
SIGKILL, old and new keys both opening until it is done; and the ``hall-app keys`` commands."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Engine,
    MetaData,
    String,
    Table,
    Uuid,
    delete,
    event,
    func,
    insert,
    select,
)

from hall_app.cli import build_parser
from hall_app.cli import main as cli_main
from hall_app.config import Settings
from hall_app.db import crypto
from hall_app.db.crypto import DataKeyError, DataKeys, EncryptedText, Stored, aad_for
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import AuditEntry, SyncOutbox, SyncState
from hall_app.db.outbox import PULLING, create_triggers
from hall_app.db.rekey import count_stale, key_usage, rotate
from hall_app.keyfile import read_keys, save_keys
from hall_app.keys_cli import keys_command

ROOT = Path(__file__).resolve().parents[2]
ROWS = 2_500

METADATA = MetaData()
PEOPLE = Table(
    "people",
    METADATA,
    Column("id", Uuid, primary_key=True),
    Column("name", EncryptedText(32)),
    Column("phone", EncryptedText(20)),
    Column("note", String(20)),
)


def _name(i: int) -> str:
    return f"客户{i:05d}"


def _phone(i: int) -> str | None:
    return None if i % 5 == 0 else f"139{i:08d}"


@pytest.fixture(autouse=True)
def keys_back() -> Iterator[None]:
    """The commands install what they load; the tests' keys come back after each test."""
    before = crypto.installed()
    yield
    crypto.install(before)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "migrated.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    return path


@pytest.fixture
def db(migrated: Path, tmp_path: Path) -> Iterator[Engine]:
    """A migrated counter database (audit_log and all) plus a table of sealed people."""
    path = tmp_path / "hall.sqlite3"
    shutil.copyfile(migrated, path)
    engine = make_engine(f"sqlite:///{path}")
    METADATA.create_all(engine)
    yield engine
    engine.dispose()


def _fill(engine: Engine, keys: DataKeys, rows: int = ROWS) -> dict[uuid.UUID, int]:
    ids = {uuid.uuid4(): i for i in range(rows)}

    def seal(column: str, pid: uuid.UUID, value: str | None) -> Stored | None:
        return None if value is None else Stored(keys.seal(value, aad_for("people", column, pid)))

    with engine.begin() as conn:
        conn.execute(
            insert(PEOPLE),
            [
                {
                    "id": pid,
                    "name": seal("name", pid, _name(i)),
                    "phone": seal("phone", pid, _phone(i)),
                    "note": "x",
                }
                for pid, i in ids.items()
            ],
        )
    return ids


def _opened(engine: Engine, keys: DataKeys) -> dict[uuid.UUID, tuple[str, str | None]]:
    """Every row's plaintext, opened with ``keys``; also checks the key ids are all current."""
    with engine.connect() as conn:
        rows = conn.execute(select(PEOPLE.c.id, PEOPLE.c.name, PEOPLE.c.phone)).all()
    out = {}
    for pid, name, phone in rows:
        for value in (name, phone):
            assert value is None or DataKeys.key_id_of(value) == keys.current
        opened_phone = None if phone is None else keys.open(phone, aad_for("people", "phone", pid))
        out[pid] = (keys.open(name, aad_for("people", "name", pid)), opened_phone)
    return out


def _expected(ids: dict[uuid.UUID, int]) -> dict[uuid.UUID, tuple[str, str | None]]:
    return {pid: (_name(i), _phone(i)) for pid, i in ids.items()}


def _values(ids: dict[uuid.UUID, int]) -> int:
    return sum(1 + (_phone(i) is not None) for i in ids.values())


def test_rotation_reseals_every_value_batch_by_batch(db: Engine) -> None:
    old = DataKeys.generate("k1")
    ids = _fill(db, old)
    new = old.with_new_key("k2")
    seen: list[int] = []
    report = rotate(db, METADATA, new, batch=1000, progress=seen.append)
    assert seen == [1000, 1000, 500]
    assert (report.rows, report.batches, report.changed_meanwhile) == (ROWS, 3, 0)
    assert report.values == _values(ids)
    assert _opened(db, new) == _expected(ids)
    assert key_usage(db, METADATA) == {"k2": _values(ids)}
    again = rotate(db, METADATA, new, batch=1000)
    assert (again.rows, again.values) == (0, 0)


def test_a_failure_after_the_first_batch_keeps_it_and_the_next_run_continues(db: Engine) -> None:
    old = DataKeys.generate("k1")
    ids = _fill(db, old)
    new = old.with_new_key("k2")

    def fail_after_first(rows: int) -> None:
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        rotate(db, METADATA, new, batch=1000, progress=fail_after_first)
    assert count_stale(db, METADATA, "k2") == ROWS - 1000  # the first batch was committed
    usage = key_usage(db, METADATA)
    assert set(usage) == {"k1", "k2"} and sum(usage.values()) == _values(ids)
    report = rotate(db, METADATA, new, batch=1000)
    assert report.rows == ROWS - 1000
    assert _opened(db, new) == _expected(ids)  # both keys opened until the end


def test_a_value_changed_meanwhile_is_left_for_the_next_run(db: Engine) -> None:
    """The app writing while a rotation runs: its new value is not overwritten with the old."""
    old = DataKeys.generate("k1")
    ids = _fill(db, old, rows=10)
    new = old.with_new_key("k2")
    first = min(ids)
    other = make_engine(str(db.url))
    edited: list[bool] = []

    def clerk_edits(conn: object, cursor: object, statement: str, *rest: object) -> None:
        if statement.startswith("UPDATE people") and not edited:
            edited.append(True)
            sealed = Stored(old.seal("改名后", aad_for("people", "name", first)))
            with other.begin() as c:
                c.execute(PEOPLE.update().where(PEOPLE.c.id == first).values(name=sealed))

    event.listen(db, "before_cursor_execute", clerk_edits)
    try:
        report = rotate(db, METADATA, new, batch=100)
    finally:
        event.remove(db, "before_cursor_execute", clerk_edits)
        other.dispose()
    assert report.changed_meanwhile >= 1 and count_stale(db, METADATA, "k2") == 1
    assert rotate(db, METADATA, new, batch=100).rows == 1
    expected = _expected(ids) | {first: ("改名后", _phone(ids[first]))}
    assert _opened(db, new) == expected


KILLED_RUN = textwrap.dedent(
    """
    import sys, time
    from sqlalchemy import Column, MetaData, String, Table, Uuid
    from hall_app.db.crypto import DataKeys, EncryptedText
    from hall_app.db.engine import make_engine
    from hall_app.db.rekey import rotate

    md = MetaData()
    Table("people", md, Column("id", Uuid, primary_key=True), Column("name", EncryptedText(32)),
          Column("phone", EncryptedText(20)), Column("note", String(20)))
    keys = DataKeys.from_json(open(sys.argv[2], encoding="utf-8").read())

    def step(rows):
        print(rows, flush=True)
        time.sleep(30)  # killed here, after the first batch's commit

    rotate(make_engine(sys.argv[1]), md, keys, batch=500, progress=step)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_a_rotation_killed_with_sigkill_resumes(db: Engine, tmp_path: Path) -> None:
    old = DataKeys.generate("k1")
    ids = _fill(db, old)
    new = old.with_new_key("k2")
    key_file = tmp_path / "new.key"
    save_keys(key_file, new)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(db.url), str(key_file)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "500"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert count_stale(db, METADATA, "k2") == ROWS - 500
    report = rotate(db, METADATA, new, batch=1000)
    assert report.rows == ROWS - 500
    assert _opened(db, new) == _expected(ids)


# -- the commands ----------------------------------------------------------------------------
def _run(engine: Engine, key_file: Path, *argv: str, central: str | None = None) -> int:
    env = {"HALL_KEY_FILE": str(key_file)}
    if central:
        env |= {"HALL_CENTRAL_URL": central, "HALL_COUNTER": "01"}
    settings = Settings.load(env=env, db_url=str(engine.url))
    args = build_parser().parse_args(["keys", *argv])
    return keys_command(engine, settings, args, METADATA)


def _audited(engine: Engine) -> list[tuple[str, dict[str, object]]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(AuditEntry.action, AuditEntry.after, AuditEntry.actor_name)
            .where(AuditEntry.entity == "data_keys")
            .order_by(AuditEntry.at)
        ).all()
    assert all(name == "hall-app keys" for _, _, name in rows)
    return [(action, after or {}) for action, after, _ in rows]


def test_keys_rotate_then_retire(
    db: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "hall-data.key"
    first = DataKeys.generate("k1")
    save_keys(key_file, first)
    ids = _fill(db, first)
    assert _run(db, key_file, "rotate", "--batch", "400", "--quiet") == 0
    out = capsys.readouterr().out
    assert f"重新加密 {_values(ids):,} 个值（{ROWS:,} 行，7 批）" in out
    rotated = read_keys(key_file)
    assert rotated.current == "k2" and set(rotated.keys) == {"k1", "k2"}
    assert rotated.keys["k1"] == first.keys["k1"] and rotated.index_key == first.index_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert _opened(db, rotated) == _expected(ids)
    assert _run(db, key_file, "retire") == 0
    assert "已退役旧密钥 k1" in capsys.readouterr().out
    retired = read_keys(key_file)
    assert set(retired.keys) == {"k2"} and _opened(db, retired) == _expected(ids)
    actions = [a for a, _ in _audited(db)]
    assert actions == ["data_keys.rotation_started", "data_keys.rotated", "data_keys.retired"]
    rotated_entry = _audited(db)[1][1]
    assert rotated_entry["rows"] == ROWS and rotated_entry["left"] == 0
    assert rotated_entry["current"] == "k2" and "keys" not in rotated_entry


def test_keys_rotate_run_again_continues_instead_of_making_another_key(
    db: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "hall-data.key"
    first = DataKeys.generate("k1")
    ids = _fill(db, first)
    save_keys(key_file, first.with_new_key("k2"))  # a rotation killed before any batch
    assert _run(db, key_file, "rotate", "--quiet") == 0
    assert "继续密钥轮换" in capsys.readouterr().out
    keys = read_keys(key_file)
    assert sorted(keys.keys) == ["k1", "k2"] and keys.current == "k2"
    assert _opened(db, keys) == _expected(ids)


def test_retire_refuses_while_a_value_uses_an_old_key(db: Engine, tmp_path: Path) -> None:
    key_file = tmp_path / "hall-data.key"
    first = DataKeys.generate("k1")
    _fill(db, first, rows=10)
    save_keys(key_file, first.with_new_key("k2"))
    with pytest.raises(DataKeyError, match="仍有数据用旧密钥加密（k1 18 个值）"):
        _run(db, key_file, "retire")
    assert sorted(read_keys(key_file).keys) == ["k1", "k2"]


def test_a_synced_counter_does_not_start_a_rotation_of_its_own(db: Engine, tmp_path: Path) -> None:
    key_file = tmp_path / "hall-data.key"
    save_keys(key_file, DataKeys.generate("k1"))
    with pytest.raises(DataKeyError, match="新密钥须在一处生成"):
        _run(db, key_file, "rotate", central="postgresql://nowhere/none")
    assert list(read_keys(key_file).keys) == ["k1"]


def test_export_then_import_on_a_new_counter(
    db: Engine, migrated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hall_key = tmp_path / "a" / "hall-data.key"
    keys = DataKeys.generate("k1")
    save_keys(hall_key, keys)
    ids = _fill(db, keys, rows=20)
    export = tmp_path / "usb" / "hall.key"
    assert _run(db, hall_key, "export", str(export)) == 0
    assert stat.S_IMODE(export.stat().st_mode) == 0o600 and read_keys(export) == keys
    with pytest.raises(DataKeyError, match="已存在"):
        _run(db, hall_key, "export", str(export))
    # The new counter: its own database (pulled from the central one: the same ciphertext).
    new_path = tmp_path / "b" / "hall.sqlite3"
    new_path.parent.mkdir()
    with db.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(Path(str(db.url.database)), new_path)
    counter = make_engine(f"sqlite:///{new_path}")
    counter_key = tmp_path / "b" / "hall-data.key"
    export.chmod(0o644)  # a USB stick's file: still importable
    assert _run(counter, counter_key, "import", str(export)) == 0
    assert "请删除导入用的文件" in capsys.readouterr().out
    assert read_keys(counter_key) == keys
    assert stat.S_IMODE(counter_key.stat().st_mode) == 0o600
    assert _opened(counter, keys) == _expected(ids)
    assert [a for a, _ in _audited(counter)][-1] == "data_keys.imported"
    assert _run(counter, counter_key, "import", str(export)) == 0
    assert "无需导入" in capsys.readouterr().out
    counter.dispose()


def test_import_of_the_halls_rotated_keys_needs_no_replace(db: Engine, tmp_path: Path) -> None:
    key_file = tmp_path / "hall-data.key"
    keys = DataKeys.generate("k1")
    save_keys(key_file, keys)
    _fill(db, keys, rows=10)
    rotated = tmp_path / "rotated.key"
    save_keys(rotated, keys.with_new_key("k2"))
    assert _run(db, key_file, "import", str(rotated)) == 0
    assert read_keys(key_file).current == "k2"
    assert _run(db, key_file, "rotate", "--quiet") == 0  # continues with the imported key
    assert key_usage(db, METADATA) == {"k2": 18}


def test_import_refuses_to_replace_a_different_key(db: Engine, tmp_path: Path) -> None:
    key_file = tmp_path / "hall-data.key"
    mine = DataKeys.generate("k1")
    save_keys(key_file, mine)
    other = tmp_path / "other.key"
    theirs = DataKeys.generate("k1")
    save_keys(other, theirs)
    with pytest.raises(DataKeyError, match="--replace"):
        _run(db, key_file, "import", str(other))
    # A counter with no customer data sealed yet may take the hall's key instead of its own.
    assert _run(db, key_file, "import", str(other), "--replace") == 0
    assert read_keys(key_file) == theirs
    (kept,) = tmp_path.glob("hall-data.key.replaced-*")
    assert read_keys(kept) == mine
    _fill(db, theirs, rows=3)
    save_keys(other, mine)
    with pytest.raises(DataKeyError, match="已拒绝替换"):
        _run(db, key_file, "import", str(other), "--replace")
    assert read_keys(key_file) == theirs


def test_keys_show_never_prints_a_key(
    db: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "hall-data.key"
    keys = DataKeys.generate("k1").with_new_key("k2")
    save_keys(key_file, keys)
    _fill(db, DataKeys("k1", {"k1": keys.keys["k1"]}, keys.index_key), rows=10)
    assert _run(db, key_file, "show") == 0
    out = capsys.readouterr().out
    assert str(key_file) in out and keys.fingerprint in out
    assert "密钥 k1：本数据库中 18 个加密值" in out and "密钥 k2（当前）：本数据库中 0 个" in out
    for secret in (*keys.keys.values(), keys.index_key):
        assert crypto._b64(secret) not in out


def test_the_command_line_in_a_subprocess_uses_the_tests_key_file(
    migrated: Path, tmp_path: Path
) -> None:
    path = tmp_path / "sub.sqlite3"
    shutil.copyfile(migrated, path)
    done = subprocess.run(
        [sys.executable, "-m", "hall_app.cli", "--db", f"sqlite:///{path}", "keys", "show"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    assert crypto.active().fingerprint in done.stdout
    assert os.environ["HALL_KEY_FILE"] in done.stdout


def test_a_command_with_a_missing_key_file_says_so(
    migrated: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    crypto.install(None)
    monkeypatch.setenv("HALL_KEY_FILE", str(tmp_path / "none.key"))
    monkeypatch.setenv("HALL_CENTRAL_URL", "postgresql://nowhere/none")
    monkeypatch.setenv("HALL_COUNTER", "01")
    path = tmp_path / "m.sqlite3"
    shutil.copyfile(migrated, path)
    assert cli_main(["--db", f"sqlite:///{path}", "migrate"]) == 1
    err = capsys.readouterr().err
    assert "数据密钥" in err and "keys import" in err and "none.key" in err


def test_a_counters_rotation_queues_nothing_for_the_central_database(
    db: Engine, tmp_path: Path
) -> None:
    with db.begin() as conn:
        create_triggers(conn, ["people"])  # as on every synced table of a counter
    key_file = tmp_path / "hall-data.key"
    keys = DataKeys.generate("k1")
    save_keys(key_file, keys)
    ids = _fill(db, keys, rows=30)

    def queued() -> int:
        with db.connect() as conn:
            query = select(func.count()).select_from(SyncOutbox)
            return int(conn.scalar(query.where(SyncOutbox.table_name == "people")) or 0)

    assert queued() == 30  # inserts are queued
    with db.begin() as conn:
        conn.execute(delete(SyncOutbox))
        conn.execute(PEOPLE.update().values(note="y"))
    assert queued() == 30  # and so is a Core update
    with db.begin() as conn:
        conn.execute(delete(SyncOutbox))
    assert _run(db, key_file, "rotate", "--quiet", "--batch", "7") == 0
    assert queued() == 0
    assert _opened(db, read_keys(key_file)) == _expected(ids)
    with db.connect() as conn:
        assert (
            conn.scalar(select(func.count()).select_from(SyncState).where(SyncState.key == PULLING))
            == 0
        )
