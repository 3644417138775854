"""The hall's data keys on disk: one owner-only JSON file, never in the database or the repository.

A single counter creates its file at first start (in the data folder, ``Settings.key_file``).
A synced hall's counters and central database share one key set: an admin exports it from one
machine (``hall-app keys export``) and imports it on the others (``hall-app keys import``).

:func:`load_keys` is the seam for another key store: an operator who keeps the key in a KMS or
the OS keyring replaces it with a function that returns the same :class:`DataKeys`.
"""

from __future__ import annotations

import contextlib
import os
import stat
import uuid
from pathlib import Path

from sqlalchemy import Engine, MetaData

from hall_app.db import crypto
from hall_app.db.crypto import DataKeyError, DataKeys
from hall_app.db.rekey import check_keys, has_sealed_values

__all__ = ["FIELD", "DataKeyError", "keys_at_start", "load_keys", "read_keys", "save_keys"]

FIELD = "数据密钥"
_LOOSE_BITS = stat.S_IRWXG | stat.S_IRWXO  # any access by the group or others


def _loose(mode: int) -> bool:
    """Whether the group or others may use the file (POSIX only: Windows has no such bits)."""
    return os.name == "posix" and bool(mode & _LOOSE_BITS)


def read_keys(path: Path) -> DataKeys:
    """A key file's keys, whatever its permissions (an export carried on a USB stick)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataKeyError(f"找不到数据密钥文件 {path}", FIELD) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataKeyError(f"无法读取数据密钥文件 {path}：{type(exc).__name__}", FIELD) from exc
    try:
        return DataKeys.from_json(text)
    except DataKeyError as exc:
        raise DataKeyError(f"数据密钥文件 {path} 无法使用：{exc.message}", FIELD) from exc


def load_keys(path: Path, *, create: bool) -> DataKeys:
    """The data keys kept in ``path``, which only its owner may read.

    With ``create``, a missing file is made with a new key set (a single counter's first
    start); two processes starting at once end up with the same one. Without it, a missing file
    is a :class:`DataKeyError` naming it.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if not create:
            raise DataKeyError(
                f"找不到数据密钥文件 {path}；请从备份恢复该文件，"
                "或由管理员用 hall-app keys import 导入本厅的密钥",
                FIELD,
            ) from None
        made = DataKeys.generate()
        if _write(path, made, exclusive=True):
            return made
        return load_keys(path, create=False)  # another process made it first: use that one
    except OSError as exc:
        raise DataKeyError(f"无法读取数据密钥文件 {path}：{type(exc).__name__}", FIELD) from exc
    if _loose(mode):
        raise DataKeyError(
            f"数据密钥文件 {path} 的权限过宽（{stat.S_IMODE(mode):03o}），其他用户可以访问；"
            f"请只允许本账户读写（chmod 600 {path}）后再启动",
            FIELD,
        )
    return read_keys(path)


def save_keys(path: Path, keys: DataKeys) -> None:
    """Write the keys to ``path`` atomically, readable by the owner only (mode 0600)."""
    _write(path, keys, exclusive=False)


def _write(path: Path, keys: DataKeys, *, exclusive: bool) -> bool:
    """Write through a temporary file in the same folder, then rename (or, ``exclusive``, link:
    False when the file already exists)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(keys.to_json())
                fh.flush()
                os.fsync(fh.fileno())
            if exclusive:
                try:
                    os.link(temp, path)
                except FileExistsError:
                    return False
            else:
                os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
        _sync_folder(path.parent)
    except OSError as exc:
        raise DataKeyError(f"无法写入数据密钥文件 {path}：{type(exc).__name__}", FIELD) from exc
    return True


def _sync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # some file systems cannot sync a folder
            os.fsync(fd)
    finally:
        os.close(fd)


def keys_at_start(key_file: Path, engine: Engine, metadata: MetaData, *, synced: bool) -> DataKeys:
    """The keys a process starts with, installed, before the database is migrated.

    A missing file is created only for a database holding no sealed value yet and not synced
    with a central one (a synced hall shares the hall's key: the admin imports it). The keys
    must open the database's values: a wrong key stops here, never as garbage later.
    """
    if not key_file.exists():
        if synced:
            raise DataKeyError(
                f"本机与中心数据库同步，须使用本厅共用的数据密钥，但找不到密钥文件 {key_file}；"
                "请管理员从中心或其他窗口导出密钥（hall-app keys export 文件），"
                "再在本机导入（hall-app keys import 文件）",
                FIELD,
            )
        if has_sealed_values(engine, metadata):
            raise DataKeyError(
                f"数据库中已有加密的客户资料，但找不到数据密钥文件 {key_file}；"
                "请从备份恢复该文件（或设置 HALL_KEY_FILE 指向它），"
                "或由管理员用 hall-app keys import 导入本厅的密钥",
                FIELD,
            )
    keys = load_keys(key_file, create=not synced)
    check_keys(engine, metadata, keys, key_file)
    crypto.install(keys)
    return keys
