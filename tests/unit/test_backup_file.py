"""The encrypted backup file: chunked AES-GCM under a key derived from the hall's data key;
whole round trips, and every damage refused with a clear message and nothing left behind."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from hall_app.db import crypto
from hall_app.db.backup_file import (
    MAGIC,
    BackupError,
    open_file,
    read_header,
    seal_file,
)
from tests.conftest import TEST_KEYS

CHUNK = 1000


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    path = tmp_path / "plain.bin"
    path.write_bytes(os.urandom(CHUNK * 4 + 123))  # five chunks, the last one short
    return path


def _seal(plain: Path, dest: Path, keys: crypto.DataKeys = TEST_KEYS) -> None:
    seal_file(
        plain,
        dest,
        keys,
        created="2026-11-24T02:00:00+00:00",
        counter="01",
        revision="0018",
        chunk=CHUNK,
    )


def _chunks(path: Path) -> tuple[bytes, list[bytes]]:
    """The file's prefix (magic and header) and its chunk records."""
    raw = path.read_bytes()
    (length,) = struct.unpack(">I", raw[len(MAGIC) : len(MAGIC) + 4])
    at = len(MAGIC) + 4 + length
    prefix, records = raw[:at], []
    while at < len(raw):
        (n,) = struct.unpack(">I", raw[at : at + 4])
        records.append(raw[at : at + 4 + n])
        at += 4 + n
    return prefix, records


def test_round_trip_in_chunks(plain: Path, tmp_path: Path) -> None:
    sealed = tmp_path / "b.hallbak"
    _seal(plain, sealed)
    assert plain.read_bytes() not in sealed.read_bytes()
    assert len(_chunks(sealed)[1]) == 5
    header = read_header(sealed)
    assert (header.key_id, header.counter, header.revision, header.size) == (
        "k1",
        "01",
        "0018",
        plain.stat().st_size,
    )
    out = tmp_path / "out.bin"
    open_file(sealed, out, TEST_KEYS)
    assert out.read_bytes() == plain.read_bytes()
    if os.name == "posix":
        assert sealed.stat().st_mode & 0o077 == 0 and out.stat().st_mode & 0o077 == 0


def test_empty_file_round_trips(tmp_path: Path) -> None:
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    _seal(empty, tmp_path / "e.hallbak")
    open_file(tmp_path / "e.hallbak", tmp_path / "out.bin", TEST_KEYS)
    assert (tmp_path / "out.bin").read_bytes() == b""


def _refused(sealed: Path, tmp_path: Path, words: str, keys: crypto.DataKeys = TEST_KEYS) -> None:
    out = tmp_path / "out.bin"
    with pytest.raises(BackupError) as caught:
        open_file(sealed, out, keys)
    assert words in caught.value.text
    assert caught.value.field == "备份文件"
    assert not out.exists()  # nothing half-written is left behind


def test_damage_is_refused(plain: Path, tmp_path: Path) -> None:
    sealed = tmp_path / "b.hallbak"
    _seal(plain, sealed)
    good = sealed.read_bytes()
    prefix, records = _chunks(sealed)

    flipped = bytearray(good)
    flipped[len(prefix) + CHUNK // 2] ^= 0x01
    sealed.write_bytes(bytes(flipped))
    _refused(sealed, tmp_path, "无法解密")

    sealed.write_bytes(prefix + b"".join(records[:-1]))  # the last chunk cut off
    _refused(sealed, tmp_path, "截断")
    sealed.write_bytes(good[:-7])  # cut inside the last chunk
    _refused(sealed, tmp_path, "截断")

    swapped = [records[1], records[0], *records[2:]]
    sealed.write_bytes(prefix + b"".join(swapped))
    _refused(sealed, tmp_path, "无法解密")

    sealed.write_bytes(good + records[-1])  # a chunk appended after the last
    _refused(sealed, tmp_path, "多余数据")

    edited = good.replace(b'"counter": "01"', b'"counter": "02"')
    assert edited != good
    sealed.write_bytes(edited)  # the header is bound to every chunk
    _refused(sealed, tmp_path, "无法解密")

    sealed.write_bytes(b"SQLite format 3\x00" + good[16:])
    _refused(sealed, tmp_path, "不是本系统的备份文件")


def test_wrong_or_missing_key_is_refused(plain: Path, tmp_path: Path) -> None:
    sealed = tmp_path / "b.hallbak"
    _seal(plain, sealed)
    other_hall = crypto.DataKeys("k1", {"k1": bytes(32)}, bytes(32))
    _refused(sealed, tmp_path, "密钥不是备份时所用的那把", other_hall)
    _refused(sealed, tmp_path, "没有这把密钥", crypto.DataKeys.generate("k2"))


def test_rotated_keys_still_open_old_backups(plain: Path, tmp_path: Path) -> None:
    sealed = tmp_path / "b.hallbak"
    _seal(plain, sealed)
    rotated = TEST_KEYS.with_new_key("k2")
    _seal(plain, tmp_path / "new.hallbak", rotated)
    assert read_header(tmp_path / "new.hallbak").key_id == "k2"
    open_file(sealed, tmp_path / "out.bin", rotated)
    assert (tmp_path / "out.bin").read_bytes() == plain.read_bytes()
