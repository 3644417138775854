"""Encrypted backup files of a counter's SQLite database.

A backup is taken with SQLite's online backup API into a private temporary copy (a read
snapshot: in WAL mode the counter keeps writing meanwhile), then sealed chunk by chunk into
the backup file, so a database of any size needs one chunk of memory.

The file: ``HALLBAK1``, a 4-byte length and a JSON header (format, key id, salt, nonce prefix,
chunk size, created, counter, schema revision, size), then chunks, each a 4-byte length and
AES-256-GCM ciphertext. The chunk key is HKDF-SHA256 of the hall's data key named by the key
id, with the file's own salt. Each chunk's nonce is the prefix and its index; its associated
data is the header, its index and whether it is the last, so a reordered, cut or swapped
chunk, and an edited header, do not open.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sqlite3
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hall_app.db.crypto import DataKeys
from hall_app.domain.errors import HallError

MAGIC = b"HALLBAK1"
SUFFIX = ".hallbak"
CHUNK_BYTES = 1 << 20
_INFO = b"hall-app backup v1"
_LEN = struct.Struct(">I")
_MAX_HEADER = 64 * 1024
FIELD = "备份文件"


class BackupError(HallError):
    """A backup could not be made, or a backup file is not one this hall can restore."""


@dataclass(frozen=True)
class BackupHeader:
    key_id: str
    created: str  # ISO 8601, UTC
    counter: str | None
    revision: str | None  # the schema revision of the database inside
    size: int  # bytes of the database inside
    chunk: int
    salt: bytes
    nonce_prefix: bytes

    def to_bytes(self) -> bytes:
        data = {
            "format": 1,
            "key_id": self.key_id,
            "created": self.created,
            "counter": self.counter,
            "revision": self.revision,
            "size": self.size,
            "chunk": self.chunk,
            "salt": base64.b64encode(self.salt).decode(),
            "nonce": base64.b64encode(self.nonce_prefix).decode(),
        }
        return json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> BackupHeader:
        try:
            data: dict[str, Any] = json.loads(raw.decode("utf-8"))
            if data.get("format") != 1:
                raise BackupError(f"不支持的备份格式 {data.get('format')}", FIELD)
            header = cls(
                key_id=str(data["key_id"]),
                created=str(data["created"]),
                counter=None if data["counter"] is None else str(data["counter"]),
                revision=None if data["revision"] is None else str(data["revision"]),
                size=int(data["size"]),
                chunk=int(data["chunk"]),
                salt=base64.b64decode(data["salt"]),
                nonce_prefix=base64.b64decode(data["nonce"]),
            )
        except BackupError:
            raise
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise BackupError("备份文件头已损坏，不是本系统的备份文件", FIELD) from exc
        if len(header.nonce_prefix) != 8 or not 0 < header.chunk <= 64 * CHUNK_BYTES:
            raise BackupError("备份文件头已损坏，不是本系统的备份文件", FIELD)
        return header


def _chunk_cipher(keys: DataKeys, header: BackupHeader) -> AESGCM:
    key = keys.keys.get(header.key_id)
    if key is None:
        raise BackupError(
            f"备份文件用数据密钥 {header.key_id} 加密，本机的密钥文件中没有这把密钥；"
            "请导入本厅备份时所用的密钥",
            FIELD,
        )
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=header.salt, info=_INFO).derive(
        bytes(key)
    )
    return AESGCM(derived)


def _nonce(header: BackupHeader, index: int) -> bytes:
    return header.nonce_prefix + struct.pack(">I", index)


def _aad(header_bytes: bytes, index: int, last: bool) -> bytes:
    return header_bytes + struct.pack(">IB", index, 1 if last else 0)


def _private(path: Path) -> IO[bytes]:
    """A new file only the owner can read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    return os.fdopen(fd, "wb")


def snapshot(db_path: Path, dest: Path) -> None:
    """A consistent copy of the live database at ``db_path`` into the new file ``dest`` (owner
    only), through SQLite's online backup API. One step: a read snapshot, so writers go on."""
    _private(dest).close()
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=15)
    try:
        target = sqlite3.connect(dest)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def schema_revision(db_path: Path) -> str | None:
    """The Alembic revision of a SQLite file (None: none recorded)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        has = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).fetchone()
        if not has:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return None if row is None else str(row[0])
    finally:
        conn.close()


def seal_file(
    plain: Path,
    dest: Path,
    keys: DataKeys,
    *,
    created: str,
    counter: str | None,
    revision: str | None,
    chunk: int = CHUNK_BYTES,
) -> BackupHeader:
    """Seal the file ``plain`` into the new backup file ``dest`` with the current data key."""
    header = BackupHeader(
        key_id=keys.current,
        created=created,
        counter=counter,
        revision=revision,
        size=plain.stat().st_size,
        chunk=chunk,
        salt=os.urandom(16),
        nonce_prefix=os.urandom(8),
    )
    header_bytes = header.to_bytes()
    cipher = _chunk_cipher(keys, header)
    with plain.open("rb") as src, _private(dest) as out:
        out.write(MAGIC + _LEN.pack(len(header_bytes)) + header_bytes)
        index = 0
        block = src.read(chunk)
        while True:
            following = src.read(chunk) if block else b""
            last = not following
            sealed = cipher.encrypt(_nonce(header, index), block, _aad(header_bytes, index, last))
            out.write(_LEN.pack(len(sealed)) + sealed)
            if last:
                break
            block, index = following, index + 1
        out.flush()
        os.fsync(out.fileno())
    return header


def _read_exact(src: IO[bytes], n: int) -> bytes:
    data = src.read(n)
    if len(data) != n:
        raise BackupError("备份文件不完整（被截断），不能用于恢复", FIELD)
    return data


def _header_of(src: IO[bytes]) -> tuple[BackupHeader, bytes]:
    if src.read(len(MAGIC)) != MAGIC:
        raise BackupError("这不是本系统的备份文件（文件开头不符）", FIELD)
    (length,) = _LEN.unpack(_read_exact(src, _LEN.size))
    if length > _MAX_HEADER:
        raise BackupError("备份文件头已损坏，不是本系统的备份文件", FIELD)
    raw = _read_exact(src, length)
    return BackupHeader.from_bytes(raw), raw


def read_header(path: Path) -> BackupHeader:
    """The header of a backup file (nothing decrypted)."""
    try:
        with path.open("rb") as src:
            return _header_of(src)[0]
    except OSError as exc:
        raise BackupError(f"无法读取备份文件 {path.name}：{exc.strerror or exc}", FIELD) from exc


def open_file(backup: Path, dest: Path, keys: DataKeys) -> BackupHeader:
    """Decrypt the backup file into the new file ``dest`` (owner only). Refuses a file that is
    cut, altered or sealed with a key these keys do not hold; ``dest`` is then removed."""
    try:
        with backup.open("rb") as src, _private(dest) as out:
            header, header_bytes = _header_of(src)
            cipher = _chunk_cipher(keys, header)
            index, written = 0, 0
            while True:
                head = src.read(_LEN.size)
                if len(head) != _LEN.size:
                    raise BackupError("备份文件不完整（被截断），不能用于恢复", FIELD)
                (length,) = _LEN.unpack(head)
                if length > header.chunk + 16:
                    raise BackupError("备份文件已损坏，不能用于恢复", FIELD)
                sealed = _read_exact(src, length)
                block, last = _open_chunk(cipher, header, header_bytes, index, sealed)
                out.write(block)
                written += len(block)
                if last:
                    break
                index += 1
            if src.read(1):
                raise BackupError("备份文件末尾有多余数据，已损坏，不能用于恢复", FIELD)
            if written != header.size:
                raise BackupError("备份文件大小与记录不符，已损坏，不能用于恢复", FIELD)
            out.flush()
            os.fsync(out.fileno())
    except BaseException as exc:
        with contextlib.suppress(OSError):
            dest.unlink()
        if isinstance(exc, OSError):
            raise BackupError(
                f"无法读取备份文件 {backup.name}：{exc.strerror or exc}", FIELD
            ) from exc
        raise
    return header


def _open_chunk(
    cipher: AESGCM, header: BackupHeader, header_bytes: bytes, index: int, sealed: bytes
) -> tuple[bytes, bool]:
    """A chunk's plaintext and whether it is the last (the tag decides which it was sealed as)."""
    for last in (False, True):
        try:
            aad = _aad(header_bytes, index, last)
            return cipher.decrypt(_nonce(header, index), sealed, aad), last
        except InvalidTag:
            continue
    raise BackupError("备份文件无法解密：文件已损坏或被篡改，或密钥不是备份时所用的那把", FIELD)


def ensure_closed(db_path: Path) -> None:
    """Refuses while a program has the database open: the counter app keeps pooled
    connections, each of which holds a lock in WAL mode, so an exclusive lock is refused."""
    if not db_path.exists():
        return
    conn = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        try:
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            conn.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            raise BackupError(
                f"数据库 {db_path.name} 正被营业厅程序使用，请先退出本机所有营业厅程序再恢复",
                "数据库",
            ) from exc
    finally:
        conn.close()
