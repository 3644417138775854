"""Personal data encrypted at rest: AES-GCM values bound to their row, and blind indexes.

A value of an :class:`EncryptedText` column is stored as ``e1.<key id>.<nonce>.<ciphertext>``
(URL-safe base64, no padding). The associated data is ``<table>.<column>.<row id>``, so a value
copied to another row or column does not open. Exact lookups use blind indexes: HMAC-SHA256
with a separate key over the normalised value (:meth:`DataKeys.blind`).

How values move:

- The ORM: an attribute holds plaintext. Before a flush the listeners in :func:`bind_rows`
  wrap it as :class:`Plain` (plaintext that knows its row), which the column seals. After a
  load they open what was read.
- Core reads give :class:`Stored` (the stored form, never plaintext); :func:`open_value` opens
  one with its row id. Core writes take a :class:`Stored` unchanged (sync copies ciphertext
  verbatim: a hall's counters and its central database share the key) or a :class:`Plain`
  bound with :func:`plain_for`. A bare ``str`` is refused: it would be stored unsealed. An
  empty value is stored empty, and opens as empty.

The process holds one key set (:func:`install`), loaded at start from the key file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String, Table, Text, event, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import TypeDecorator

from hall_app.domain.errors import HallError

FORMAT = "e1"
_NONCE_BYTES = 12
_KEY_BYTES = 32


class DataKeyError(HallError):
    """The data key is missing, wrong or cannot open a stored value."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class DataKeys:
    """A hall's data keys: AES-GCM keys by id (``current`` seals, every one opens) and the
    HMAC key of the blind indexes (never rotated: rotating it would rebuild every index)."""

    current: str
    keys: Mapping[str, bytes]
    index_key: bytes
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise DataKeyError(f"数据密钥文件缺少当前密钥 {self.current}", "数据密钥")
        for kid, key in self.keys.items():
            if len(key) != _KEY_BYTES or "." in kid or not kid:
                raise DataKeyError(f"数据密钥 {kid} 格式错误", "数据密钥")
            self._ciphers[kid] = AESGCM(bytes(key))
        if len(self.index_key) != _KEY_BYTES:
            raise DataKeyError("索引密钥格式错误", "数据密钥")

    # -- making and storing ---------------------------------------------------------------------
    @classmethod
    def generate(cls, key_id: str = "k1") -> DataKeys:
        return cls(key_id, {key_id: os.urandom(_KEY_BYTES)}, os.urandom(_KEY_BYTES))

    def with_new_key(self, key_id: str) -> DataKeys:
        """These keys plus a new current one (rotation): the old ones still open."""
        if key_id in self.keys:
            raise DataKeyError(f"密钥编号 {key_id} 已存在", "数据密钥")
        return DataKeys(key_id, {**self.keys, key_id: os.urandom(_KEY_BYTES)}, self.index_key)

    def without(self, key_ids: Iterable[str]) -> DataKeys:
        """These keys less retired ones (after a finished rotation)."""
        drop = set(key_ids) - {self.current}
        return DataKeys(
            self.current, {k: v for k, v in self.keys.items() if k not in drop}, self.index_key
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": 1,
                "current": self.current,
                "keys": {kid: _b64(key) for kid, key in self.keys.items()},
                "index": _b64(self.index_key),
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> DataKeys:
        try:
            data = json.loads(text)
            keys = {str(kid): _unb64(str(key)) for kid, key in data["keys"].items()}
            return cls(str(data["current"]), keys, _unb64(str(data["index"])))
        except DataKeyError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DataKeyError("数据密钥文件已损坏，无法读取", "数据密钥") from exc

    @property
    def fingerprint(self) -> str:
        """Names the key set without revealing it (shown by ``hall-app keys show``)."""
        digest = hashlib.sha256(self.index_key + self.current.encode()).hexdigest()
        return digest[:16]

    # -- sealing and opening --------------------------------------------------------------------
    def seal(self, plain: str, aad: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[self.current].encrypt(nonce, plain.encode("utf-8"), aad.encode())
        return f"{FORMAT}.{self.current}.{_b64(nonce)}.{_b64(sealed)}"

    def open(self, stored: str, aad: str) -> str:
        if stored == "":
            return ""  # an empty value is stored empty (EncryptedText): nothing to hide
        try:
            fmt, kid, nonce, sealed = stored.split(".")
        except ValueError:
            raise DataKeyError("数据库中的加密字段格式错误", "数据密钥") from None
        if fmt != FORMAT:
            raise DataKeyError(f"不支持的加密格式 {fmt}", "数据密钥")
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise DataKeyError(f"缺少数据密钥 {kid}，无法解密；请导入本厅的密钥", "数据密钥")
        try:
            plain = cipher.decrypt(_unb64(nonce), _unb64(sealed), aad.encode())
        except (InvalidTag, ValueError):
            raise DataKeyError(
                "加密字段无法解密：密钥不符，或数据被移动或篡改", "数据密钥"
            ) from None
        return plain.decode("utf-8")

    @staticmethod
    def key_id_of(stored: str) -> str:
        """The id of the key a stored value was sealed with (rotation finds the old ones)."""
        parts = stored.split(".")
        return parts[1] if len(parts) == 4 and parts[0] == FORMAT else ""

    def blind(self, kind: str, value: str) -> str:
        """The blind index of a normalised value: 32 hex digits, the same for equal values of
        one kind, unrelated across kinds (``id``, ``phone``, ``name``, ``initials``…)."""
        mac = hmac.new(self.index_key, f"{kind}\x00{value}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]


# -- the process's keys --------------------------------------------------------------------------
_lock = threading.Lock()
_installed: DataKeys | None = None


def install(keys: DataKeys | None) -> None:
    """Set the key set this process seals and opens with (at start, from the key file)."""
    global _installed
    with _lock:
        _installed = keys


def installed() -> DataKeys | None:
    """The key set installed in this process, if any."""
    return _installed


def active() -> DataKeys:
    keys = _installed
    if keys is None:
        raise DataKeyError("未加载数据密钥，无法读写客户资料", "数据密钥")
    return keys


# -- values --------------------------------------------------------------------------------------
_STORED_FORM = re.compile(rf"{FORMAT}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{{16}}\.[A-Za-z0-9_-]{{22,}}")


def looks_sealed(value: str) -> bool:
    """Whether a text has the stored form (``e1.<key id>.<nonce>.<ciphertext>``): typed free
    text starting with "e1." does not (a migration must seal it, not take it as sealed)."""
    return _STORED_FORM.fullmatch(value) is not None


class Stored(str):
    """A value as stored: sealed, never plaintext. ``open_value`` opens it."""


class Plain(str):
    """Plaintext bound to the row and column it is written to."""

    aad: str

    def __new__(cls, value: str, aad: str) -> Plain:
        made = super().__new__(cls, value)
        made.aad = aad
        return made


def aad_for(table: str, column: str, row_id: uuid.UUID | str) -> str:
    return f"{table}.{column}.{row_id}"


def plain_for(table: str, column: str, row_id: uuid.UUID | str, value: str | None) -> Any:
    """A plaintext for a Core insert or update of that row (``None`` stays ``None``)."""
    return None if value is None else Plain(value, aad_for(table, column, row_id))


def seal_for(table: str, column: str, row_id: uuid.UUID | str, value: str | None) -> Any:
    """The stored form of a plaintext for that row, for bulk inserts (the demo, migrations)."""
    if value is None:
        return None
    if value == "":
        return Stored("")  # empty is stored empty
    return Stored(active().seal(value, aad_for(table, column, row_id)))


def open_value(stored: str | None, table: str, column: str, row_id: uuid.UUID | str) -> str | None:
    """The plaintext of a value read with Core (a ``Stored``)."""
    if stored is None:
        return None
    if isinstance(stored, Plain):
        return str(stored)
    return active().open(str(stored), aad_for(table, column, row_id))


class EncryptedText(TypeDecorator[str]):
    """A personal-data text column, sealed with AES-GCM bound to its row.

    ``length`` is the longest plaintext accepted (checked by ``text_limits`` before saving);
    the column itself is wide enough for the sealed form.
    """

    impl = Text
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__()
        self.plain_length = length

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        return dialect.type_descriptor(String(sealed_length(self.plain_length)))

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value == "":
            # Empty is stored empty: it hides nothing (a NULL tells as much), and a free-text
            # column's default ("") may then reach a Core insert without its row.
            return ""
        if isinstance(value, Stored):
            return str(value)
        if isinstance(value, Plain):
            return active().seal(str(value), value.aad)
        raise TypeError("an encrypted column takes Plain (bound to its row) or Stored values")

    def process_result_value(self, value: Any, dialect: Dialect) -> Stored | None:
        return None if value is None else Stored(value)


def sealed_length(plain_length: int) -> int:
    """The longest stored form of a plaintext of ``plain_length`` characters (UTF-8 up to 4
    bytes each, plus the tag, nonce and prefix), rounded up."""
    raw = plain_length * 4 + 16
    return ((len(FORMAT) + 1 + 8 + 1 + 16 + 1 + (raw * 4 + 2) // 3) // 16 + 1) * 16


# -- the ORM: plaintext attributes, sealed columns ----------------------------------------------
def encrypted_columns(table: Table) -> list[str]:
    """The names of a table's encrypted columns."""
    return [c.name for c in table.columns if isinstance(c.type, EncryptedText)]


_attrs_cache: dict[Mapper[Any], tuple[str, list[tuple[str, str]]]] = {}


def _attrs(mapper: Mapper[Any]) -> tuple[str, list[tuple[str, str]]]:
    """The mapper's table name and its (attribute key, column name) pairs that are encrypted."""
    found = _attrs_cache.get(mapper)
    if found is None:
        table = mapper.local_table
        pairs = [
            (prop.key, col.name)
            for prop in mapper.column_attrs
            for col in prop.columns
            if isinstance(col.type, EncryptedText) and col.table is table
        ]
        found = (str(getattr(table, "name", "")), pairs)
        _attrs_cache[mapper] = found
    return found


def _before_write(mapper: Mapper[Any], connection: Any, target: Any) -> None:
    table, pairs = _attrs(mapper)
    if not pairs:
        return
    if target.id is None:
        target.id = uuid.uuid4()
    for key, column in pairs:
        value = target.__dict__.get(key)
        if value is None and key not in target.__dict__:
            # Not set: the column's scalar default ("") would reach the column unbound.
            default = mapper.local_table.c[column].default
            if default is not None and default.is_scalar:
                value = default.arg
        if value is None or isinstance(value, Stored):
            continue
        aad = aad_for(table, column, target.id)
        if isinstance(value, Plain) and value.aad == aad:
            continue
        setattr(target, key, Plain(value, aad))


def _open_loaded(target: Any, attrs: Iterable[str] | None) -> None:
    table, pairs = _attrs(inspect(target).mapper)
    if not pairs:
        return
    wanted = None if attrs is None else set(attrs)
    loaded = target.__dict__
    for key, column in pairs:
        if wanted is not None and key not in wanted:
            continue
        value = loaded.get(key)
        if isinstance(value, Stored):
            aad = aad_for(table, column, target.id)
            set_committed_value(target, key, Plain(active().open(str(value), aad), aad))


def bind_rows(base: type) -> None:
    """Seal encrypted attributes on every flush and open them on every load, for the mapped
    classes under ``base`` (called once, by the models package)."""
    event.listen(base, "before_insert", _before_write, propagate=True)
    event.listen(base, "before_update", _before_write, propagate=True)
    event.listen(base, "load", lambda target, context: _open_loaded(target, None), propagate=True)
    event.listen(
        base,
        "refresh",
        lambda target, context, attrs: _open_loaded(target, attrs),
        propagate=True,
    )
