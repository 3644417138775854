"""Backups of the counter's SQLite database: made daily and at 日结, encrypted with the hall's
data key, a set number of generations kept; and the restore of one, checked before it
replaces anything.

- ``BackupService.make`` takes an online backup (the counter keeps working), seals it into
  the backup folder (``hall_app.db.backup_file``), prunes old generations and audits it.
- ``BackupService.start`` (the GUI calls it at start) makes the day's backup on a thread of
  its own when none of today is there yet, checks again every hour, and from then on backs
  up after each 日结 (``after_day_close``, called by the cash service).
- ``restore`` (with the app closed) decrypts to a temporary file beside the database, checks
  ``PRAGMA integrity_check``, the foreign keys, the schema revision and the audit chain,
  brings the schema up to date, keeps the replaced file beside it and only then swaps. A
  synced counter's database is then marked for the recovery pull (no numbers before it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import re
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, or_, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date, local
from hall_app.db import crypto
from hall_app.db.backup_file import (
    FIELD,
    SUFFIX,
    BackupError,
    BackupHeader,
    ensure_closed,
    open_file,
    read_header,
    schema_revision,
    seal_file,
    snapshot,
)
from hall_app.db.engine import Database, make_engine
from hall_app.db.models import SyncState
from hall_app.domain.errors import HallError
from hall_app.services import audit, audit_chain, restore_mark

log = logging.getLogger("hall.backup")
_NAME = re.compile(r"^hall-(?P<counter>[^-]+)-\d{8}-\d{6}(?:-\d+)?-[^.]+\.hallbak$")
DAILY_CHECK_S = 3600.0


def database_path(db_url: str) -> Path:
    """The SQLite file of a database URL; backups are of a counter's own file only."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        raise BackupError(
            "只能备份和恢复本机的 SQLite 数据库文件；中心数据库请用 PostgreSQL 自己的备份工具",
            "数据库",
        )
    return Path(str(url.database))


def backup_folder(db_path: Path, setting: Path | None) -> Path:
    """The configured folder, else ``backups`` beside the database."""
    return setting if setting is not None else db_path.parent / "backups"


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created: datetime
    key_id: str
    counter: str | None
    revision: str | None
    size: int  # bytes of the database inside


@dataclass(frozen=True)
class BackupMade:
    path: Path
    reason: str  # "manual", "daily" or "day_close"
    database_bytes: int
    file_bytes: int
    seconds: float
    pruned: tuple[str, ...]  # names of the old generations removed


@dataclass(frozen=True)
class RestoreReport:
    database: Path
    kept: Path | None  # the file it replaced, renamed beside it
    created: datetime  # when the backup was taken
    revision: str | None  # the schema revision in the backup
    audit_checked: int  # audit entries whose chain was recomputed
    migrated: bool  # the schema was brought up to date
    # A synced counter's: its next round pulls back what it did after the backup, and until
    # then it gives out no order or invoice number (hall_app/services/restore_mark.py).
    recovery_needed: bool = False


def _info(path: Path, header: BackupHeader) -> BackupInfo:
    return BackupInfo(
        path=path,
        created=datetime.fromisoformat(header.created),
        key_id=header.key_id,
        counter=header.counter,
        revision=header.revision,
        size=header.size,
    )


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


class BackupService:
    """Backups of one counter database into one folder."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        folder: Path | None,
        keep: int,
        counter_code: str | None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._path = database_path(db.engine.url.render_as_string(hide_password=False))
        self.folder = backup_folder(self._path, folder)
        self._keep = keep
        self._counter = counter_code
        self._label = re.sub(r"[^0-9A-Za-z_]", "_", counter_code or "local")  # in file names
        self._lock = threading.Lock()  # one backup at a time
        self._jobs: queue.Queue[str | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._check_every = DAILY_CHECK_S
        self.last_failure: str | None = None  # the last automatic backup's error, if it failed

    # -- listing ---------------------------------------------------------------------------------
    def generations(self) -> list[BackupInfo]:
        """This counter's backups in the folder, newest first (unreadable files skipped; a
        folder shared by several counters keeps each one's generations)."""
        found: list[BackupInfo] = []
        if not self.folder.is_dir():
            return found
        for path in self.folder.iterdir():
            named = _NAME.match(path.name)
            if named is None or named["counter"] != self._label:
                continue
            try:
                found.append(_info(path, read_header(path)))
            except BackupError:
                log.warning("unreadable backup file skipped: %s", path.name)
        found.sort(key=lambda info: (info.created, info.path.name), reverse=True)
        return found

    def done_today(self) -> bool:
        """A backup of today's business day is in the folder."""
        today = business_date(self._clock())
        return any(business_date(info.created) == today for info in self.generations())

    # -- making one ------------------------------------------------------------------------------
    def make(self, reason: str = "manual") -> BackupMade:
        """Back the database up now: online, sealed with the current data key, old generations
        beyond the setting pruned, and an audit entry."""
        keys = crypto.active()
        with self._lock:
            started = time.perf_counter()
            now = self._clock()
            try:
                self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as exc:
                raise BackupError(
                    f"无法创建备份文件夹 {self.folder}：{exc.strerror or exc}", FIELD
                ) from exc
            target = self._new_name(now, keys.current)
            # The plain copy stays beside the database (as protected as the database itself),
            # never in the backup folder, which may be a share or a removable disk.
            plain = self._path.with_name(f".{self._path.name}.backup-{uuid.uuid4().hex}")
            partial = target.with_name(f".{target.name}.partial")
            try:
                snapshot(self._path, plain)
                header = seal_file(
                    plain,
                    partial,
                    keys,
                    created=now.isoformat(),
                    counter=self._counter,
                    revision=schema_revision(plain),
                )
                os.replace(partial, target)
            except (OSError, sqlite3.Error) as exc:
                raise BackupError(
                    f"备份失败，未生成备份文件：{getattr(exc, 'strerror', None) or exc}", FIELD
                ) from exc
            finally:
                _remove(plain)
                _remove(partial)
            pruned = self._prune()
            made = BackupMade(
                path=target,
                reason=reason,
                database_bytes=header.size,
                file_bytes=target.stat().st_size,
                seconds=time.perf_counter() - started,
                pruned=tuple(pruned),
            )
        with self._db.unit_of_work() as session:
            audit.record(
                session,
                at=now,
                actor=None,
                actor_name="system:backup",
                action="backup.made",
                entity="backup",
                entity_id=None,
                after={
                    "file": target.name,
                    "reason": reason,
                    "key_id": header.key_id,
                    "database_bytes": made.database_bytes,
                    "file_bytes": made.file_bytes,
                    "pruned": list(made.pruned),
                },
            )
        log.info(
            "backup made (%s): %s, %d bytes in %.1f s, %d old removed",
            reason,
            target.name,
            made.file_bytes,
            made.seconds,
            len(pruned),
        )
        return made

    def _new_name(self, now: datetime, key_id: str) -> Path:
        stem = f"hall-{self._label}-{local(now):%Y%m%d-%H%M%S}"
        path = self.folder / f"{stem}-{key_id}{SUFFIX}"
        n = 2
        while path.exists():
            path = self.folder / f"{stem}-{n}-{key_id}{SUFFIX}"
            n += 1
        return path

    def _prune(self) -> list[str]:
        removed: list[str] = []
        for old in self.generations()[self._keep :]:
            try:
                old.path.unlink()
                removed.append(old.path.name)
            except OSError:
                log.warning("could not remove an old backup: %s", old.path.name, exc_info=True)
        return removed

    # -- automatic backups -----------------------------------------------------------------------
    def start(self, check_every_s: float = DAILY_CHECK_S) -> None:
        """Automatic backups from now on, on a thread of their own: today's unless there is
        one (now, then checked every ``check_every_s``), and one after each 日结."""
        if self._worker is not None:
            return
        self._check_every = check_every_s
        self._worker = threading.Thread(target=self._run, name="backups", daemon=True)
        self._worker.start()
        self._jobs.put("daily")

    def after_day_close(self) -> None:
        """A till was closed (日结): back up now, off the caller's thread (when started)."""
        if self._worker is not None:
            self._jobs.put("day_close")

    def wait_idle(self, timeout_s: float = 60.0) -> None:
        """Until the queued automatic backups are done (tests, and closing the app)."""
        deadline = time.monotonic() + timeout_s
        while self._jobs.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)

    def close(self) -> None:
        if self._worker is None:
            return
        self._jobs.put(None)
        self._worker.join(timeout=300)
        self._worker = None

    def _run(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=self._check_every)
            except queue.Empty:
                job = "daily"
                self._jobs.put(job)
                continue
            try:
                if job is None:
                    return
                if job == "daily" and self.done_today():
                    continue
                self.make(job)
                self.last_failure = None
            except HallError as exc:
                self.last_failure = exc.text
                log.warning("automatic backup (%s) failed: %s", job, exc.text)
            except Exception as exc:  # a bug: logged with its traceback, the app goes on
                self.last_failure = f"备份失败：{type(exc).__name__}"
                log.exception("automatic backup (%s) failed", job)
            finally:
                self._jobs.task_done()


# -- restoring -------------------------------------------------------------------------------------
def _check_integrity(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    # A damaged page's text may not be UTF-8: integrity_check quotes it in its findings.
    conn.text_factory = lambda raw: raw.decode("utf-8", "replace")
    try:
        try:
            result = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
            bad_keys = conn.execute("PRAGMA foreign_key_check").fetchall()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"备份中的数据库已损坏（{exc}），不能用于恢复", FIELD) from exc
        except UnicodeDecodeError as exc:  # SQLite's own message quotes the damaged bytes
            raise BackupError(
                "备份中的数据库已损坏（页面内容无法读取），不能用于恢复", FIELD
            ) from exc
    finally:
        conn.close()
    if result != ["ok"]:
        raise BackupError(
            f"备份中的数据库未通过完整性检查（{result[0][:80]}），不能用于恢复", FIELD
        )
    if bad_keys:
        raise BackupError(f"备份中的数据库有 {len(bad_keys)} 处外键不一致，不能用于恢复", FIELD)


def _check_revision(revision: str | None) -> None:
    from alembic.script import ScriptDirectory

    from hall_app.db.migrate import alembic_config

    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if revision is None:
        raise BackupError("备份中的数据库没有版本记录，不是营业厅程序的数据库", FIELD)
    if revision not in known:
        raise BackupError(
            f"备份中的数据库版本 {revision} 比本程序新或来历不明，请用相应版本的程序恢复", FIELD
        )


def _check_chain(engine: Engine) -> int:
    from hall_app.services.audit_chain import verify

    report = verify(engine)
    if not report.ok:
        raise BackupError(f"备份中的审计记录链不完整，不能用于恢复：{report.problem}", FIELD)
    return report.checked


def _has_synced(session: Session) -> bool:
    """The database has synced with a central database (a pull or a round succeeded)."""
    found = session.scalar(
        select(SyncState.key)
        .where(or_(SyncState.key == "last_success_at", SyncState.key.like("pullc:%")))
        .limit(1)
    )
    return found is not None


def restore(backup: Path, db_path: Path, clock: Clock) -> RestoreReport:
    """Replace the database at ``db_path`` by the backup ``backup``, with every program on the
    database closed. Nothing is replaced unless the backup decrypts whole, passes the
    integrity and foreign key checks, has a schema revision this program knows, and its audit
    chain holds. The replaced file is kept beside it (``<name>.replaced-<time>``).

    A database that had synced with a central database is marked instead of audited at
    once (``restore_mark``): it numbers nothing until its next round's recovery pull
    (hall_app/sync/recovery.py) took back what it did after the backup."""
    from hall_app.db.migrate import upgrade_to_head

    keys = crypto.active()
    if not backup.is_file():
        raise BackupError(f"找不到备份文件 {backup}", FIELD)
    ensure_closed(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    work = db_path.with_name(f".{db_path.name}.restore-{uuid.uuid4().hex}")
    try:
        header = open_file(backup, work, keys)
        _check_integrity(work)
        revision = schema_revision(work)
        _check_revision(revision)
        engine = make_engine(f"sqlite:///{work}")
        try:
            checked = _check_chain(engine)
            migrated = upgrade_to_head(engine)
        finally:
            engine.dispose()
        _remove(work.with_name(work.name + "-wal"))
        _remove(work.with_name(work.name + "-shm"))
        ensure_closed(db_path)  # again: nothing opened it meanwhile
        now = clock()
        kept: Path | None = None
        if db_path.exists():
            kept = db_path.with_name(f"{db_path.name}.replaced-{local(now):%Y%m%d-%H%M%S}")
            n = 2
            while kept.exists():
                kept = db_path.with_name(f"{db_path.name}.replaced-{local(now):%Y%m%d-%H%M%S}-{n}")
                n += 1
            os.replace(db_path, kept)
            for extra in ("-wal", "-shm"):
                leftover = db_path.with_name(db_path.name + extra)
                if leftover.exists():
                    os.replace(leftover, kept.with_name(kept.name + extra))
        os.replace(work, db_path)
    except OSError as exc:
        raise BackupError(f"恢复失败，原数据库未被替换：{exc.strerror or exc}", FIELD) from exc
    finally:
        for extra in ("", "-wal", "-shm", "-journal"):
            _remove(work.with_name(work.name + extra))
    restored = Database(make_engine(f"sqlite:///{db_path}"))
    details = {
        "file": backup.name,
        "backup_created": header.created,
        "revision": revision,
        "replaced_file": kept.name if kept else None,
        "audit_checked": checked,
    }
    try:
        with restored.unit_of_work() as session:
            synced = _has_synced(session)
            if synced:
                # What this counter did after the backup is at the central database: no
                # order or invoice number until the recovery pull brought it back (and
                # audited it, as ``backup.recovered``). The mark holds the chains' heads of
                # the backup: the entry below, written after them and never pushed, is
                # renumbered after the entries the recovery takes back (no fork).
                restore_mark.mark(
                    session,
                    datetime.fromisoformat(header.created),
                    {**details, "restored_at": now.isoformat()},
                    {c: seq for c, (seq, _) in audit_chain.heads(session.connection()).items()},
                )
            audit.record(
                session,
                at=now,
                actor=None,
                actor_name="system:backup",
                action="backup.restored",
                entity="backup",
                entity_id=None,
                after={**details, "recovery_needed": synced},
            )
    finally:
        restored.dispose()
    return RestoreReport(
        database=db_path,
        kept=kept,
        created=datetime.fromisoformat(header.created),
        revision=revision,
        audit_checked=checked,
        migrated=migrated,
        recovery_needed=synced,
    )
