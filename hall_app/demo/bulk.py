"""Fast bulk inserts that store values exactly as the ORM would.

On SQLite each value goes through SQLAlchemy's own bind processor for its column (UUIDs, UTC
timestamps, enums), then the batch goes straight to the DBAPI ``executemany``. Other backends use
SQLAlchemy's batched executemany, which applies the same processors itself.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Boolean, Connection, Date, Enum, Table, Uuid
from sqlalchemy.types import TypeEngine

from hall_app.db import crypto
from hall_app.db.crypto import EncryptedText, Plain, Stored
from hall_app.db.models import Base
from hall_app.db.types import UTCDateTime

Converter = Callable[[Any], Any]


def model_table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _uuid_hex(value: uuid.UUID) -> str:
    return value.hex


def _utc_text(value: datetime) -> str:
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"
    )


def _date_text(value: date) -> str:
    return value.isoformat()


def _enum_value(value: enum.Enum | str) -> str:
    return value.value if isinstance(value, enum.Enum) else value


def _bool_int(value: bool) -> int:
    return 1 if value else 0


def sqlite_converter(type_: TypeEngine[Any]) -> Converter | None:
    """A direct converter giving the same stored value as SQLAlchemy's SQLite bind processor
    (tests/unit/test_bulk.py checks they agree), or None to use SQLAlchemy's own."""
    if isinstance(type_, UTCDateTime):
        return _utc_text
    if isinstance(type_, Uuid):
        return _uuid_hex
    if isinstance(type_, Enum):
        return _enum_value
    if isinstance(type_, Date):
        return _date_text
    if isinstance(type_, Boolean):
        return _bool_int
    return None


def seal_rows(
    table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]], converted: bool = False
) -> Any:
    """The rows with each plaintext of a sealed column (``EncryptedText``) sealed, bound to
    its row (the ``id`` column): stored as the ORM would store it. Rows ``converted`` for
    SQLite may hold sealed values as plain ``str`` (recognised by their ``e1.`` form); the
    others hold them as ``Stored``. A row is copied only when something in it is sealed."""
    sealed = [
        (n, name) for n, name in enumerate(columns) if isinstance(table.c[name].type, EncryptedText)
    ]
    if not sealed:
        return rows
    at = columns.index("id")
    keys = crypto.active()
    out: Any = rows
    for k, row in enumerate(rows):
        values: list[Any] | None = None
        for n, name in sealed:
            value = row[n]
            if value is None or value == "" or isinstance(value, Stored):
                continue  # empty is stored empty (EncryptedText)
            already = not isinstance(value, Plain) and crypto.looks_sealed(value)
            if already and converted:
                continue  # sealed in a worker, converted for SQLite
            if values is None:
                values = list(row)
            if already:
                values[n] = Stored(value)  # sealed already, as a bare str
                continue
            row_id = row[at] if isinstance(row[at], uuid.UUID) else uuid.UUID(str(row[at]))
            values[n] = Stored(keys.seal(str(value), crypto.aad_for(table.name, name, row_id)))
        if values is not None:
            if out is rows:
                out = list(rows)
            out[k] = tuple(values)
    return out


class BulkWriter:
    def __init__(self, conn: Connection, model: type[Base], columns: Sequence[str]) -> None:
        table = model_table(model)
        self._conn = conn
        self._table = table
        self.columns = tuple(columns)
        self._raw = conn.dialect.name == "sqlite"
        self._procs: list[Converter | None] = [
            (sqlite_converter(table.c[name].type) if self._raw else None)
            or table.c[name].type._cached_bind_processor(conn.dialect)
            for name in self.columns
        ]
        placeholders = ", ".join("?" for _ in self.columns)
        self._sql = f"INSERT INTO {table.name} ({', '.join(self.columns)}) VALUES ({placeholders})"
        self.count = 0

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        rows = seal_rows(self._table, self.columns, rows)
        self.count += len(rows)
        if not self._raw:
            self._conn.execute(
                self._table.insert(), [dict(zip(self.columns, row, strict=True)) for row in rows]
            )
            return
        procs = self._procs
        self._executemany(
            [
                tuple(
                    p(v) if (p is not None and v is not None) else v
                    for p, v in zip(procs, row, strict=True)
                )
                for row in rows
            ]
        )

    def write_converted(self, rows: Sequence[Sequence[Any]]) -> None:
        """Rows already in SQLite storage form (converted in a worker process)."""
        assert self._raw, "pre-converted rows are for SQLite only"
        if rows:
            rows = seal_rows(self._table, self.columns, rows, converted=True)
            self.count += len(rows)
            self._executemany(rows)

    def _executemany(self, converted: Sequence[Sequence[Any]]) -> None:
        raw = self._conn.connection.driver_connection
        assert raw is not None
        cursor = raw.cursor()
        try:
            cursor.executemany(self._sql, converted)
        finally:
            cursor.close()
