"""The stored values of a database's encrypted columns, seen by key: whether the keys open them,
which keys they use, and their re-sealing under the current key (``hall-app keys rotate``).

Every function takes the ``MetaData`` whose :class:`~hall_app.db.crypto.EncryptedText` columns
it covers (the app's is ``Base.metadata``) and only looks at the tables and columns the database
has (the check at start runs before the schema is upgraded). Each such table has an ``id``
primary key: the row id in the values' associated data.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    func,
    inspect,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.engine import Connection

from hall_app.db.crypto import FORMAT, DataKeyError, DataKeys, Stored, aad_for, encrypted_columns

FIELD = "数据密钥"
_SEALED = f"{FORMAT}.%"
CHECK_ROWS = 10_000  # rows of each table the check at start looks through for a sealed value


@dataclass(frozen=True)
class RotationReport:
    """What one run of :func:`rotate` did."""

    values: int  # values re-sealed under the current key
    rows: int  # rows they were in
    changed_meanwhile: int  # values changed by someone else since read (left for the next run)
    batches: int
    seconds: float


def sealed_columns(conn: Connection, metadata: MetaData) -> list[tuple[Table, list[str]]]:
    """The tables of ``metadata`` with encrypted columns, each with those of its encrypted
    columns the database has (tables it lacks are left out)."""
    inspector = inspect(conn)
    found: list[tuple[Table, list[str]]] = []
    for table in metadata.sorted_tables:
        wanted = encrypted_columns(table)
        if not wanted:
            continue
        if "id" not in table.c:
            raise TypeError(f"{table.name} has encrypted columns but no id column")
        if not inspector.has_table(table.name, schema=table.schema):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name, schema=table.schema)}
        columns = [name for name in wanted if name in present]
        if columns:
            found.append((table, columns))
    return found


def _text(table: Table, column: str) -> ColumnElement[str]:
    """The column as its stored text (no decryption, no ``Stored`` wrapping)."""
    return type_coerce(table.c[column], String)


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sealed(table: Table, column: str) -> ColumnElement[bool]:
    return _text(table, column).like(_SEALED)


def _stale(table: Table, column: str, current: str) -> ColumnElement[bool]:
    """Sealed, but not under the current key."""
    mine = f"{FORMAT}.{_like_escaped(current)}.%"
    return and_(_sealed(table, column), _text(table, column).not_like(mine, escape="\\"))


def has_sealed_values(engine: Engine, metadata: MetaData) -> bool:
    """Whether any encrypted column of the database holds a sealed value."""
    with engine.connect() as conn:
        for table, columns in sealed_columns(conn, metadata):
            for column in columns:
                query = select(table.c.id).where(_sealed(table, column)).limit(1)
                if conn.execute(query).first() is not None:
                    return True
    return False


def check_keys(engine: Engine, metadata: MetaData, keys: DataKeys, source: object) -> None:
    """Open the first sealed value of every encrypted column (among its table's first
    ``CHECK_ROWS`` rows): a key set that is not this
    database's is a :class:`DataKeyError` naming ``source`` (the key file), before anything is
    read or written with it."""
    with engine.connect() as conn:
        for table, columns in sealed_columns(conn, metadata):
            for column in columns:
                # The first rows only: a column empty on a large table costs no full scan.
                head = (
                    select(table.c.id.label("id"), _text(table, column).label("v"))
                    .limit(CHECK_ROWS)
                    .subquery()
                )
                query = select(head.c.id, head.c.v).where(head.c.v.like(_SEALED)).limit(1)
                row = conn.execute(query).first()
                if row is None:
                    continue
                try:
                    keys.open(row[1], aad_for(table.name, column, row[0]))
                except DataKeyError as exc:
                    raise DataKeyError(
                        f"数据密钥（{source}）与本数据库不符：{table.name}.{column} 的数据无法解密"
                        f"（{exc.message}）。请确认 HALL_KEY_FILE 指向本厅的密钥文件，"
                        "或由管理员用 hall-app keys import 导入本厅的密钥",
                        FIELD,
                    ) from None


def _key_id(conn: Connection, table: Table, column: str) -> ColumnElement[str]:
    """The key id of a sealed value (``e1.<key id>.<nonce>.<ciphertext>``), in SQL."""
    text = _text(table, column)
    if conn.dialect.name == "postgresql":
        return func.split_part(text, ".", 2)
    rest = func.substr(text, len(FORMAT) + 2)
    return func.substr(rest, 1, func.instr(rest, ".") - 1)


def key_usage(engine: Engine, metadata: MetaData) -> dict[str, int]:
    """How many stored values each key id seals (ids the key file lacks included)."""
    usage: dict[str, int] = {}
    with engine.connect() as conn:
        for table, columns in sealed_columns(conn, metadata):
            for column in columns:
                kid = _key_id(conn, table, column).label("kid")
                query = select(kid, func.count()).where(_sealed(table, column)).group_by(kid)
                for key_id, count in conn.execute(query):
                    usage[str(key_id)] = usage.get(str(key_id), 0) + int(count)
    return usage


def count_stale(engine: Engine, metadata: MetaData, current: str) -> int:
    """The rows holding a value sealed under another key than ``current``."""
    total = 0
    with engine.connect() as conn:
        for table, columns in sealed_columns(conn, metadata):
            stale = or_(*(_stale(table, c, current) for c in columns))
            total += int(conn.scalar(select(func.count()).select_from(table).where(stale)) or 0)
    return total


def rotate(
    engine: Engine,
    metadata: MetaData,
    keys: DataKeys,
    batch: int = 1000,
    progress: Callable[[int], object] | None = None,
    within: Callable[[Connection], AbstractContextManager[object]] | None = None,
) -> RotationReport:
    """Re-seal every value not under the current key, ``batch`` rows a transaction.

    Each batch is committed before ``progress`` hears of its rows, so a run killed half way
    keeps what it did, and the next run continues (rows already under the current key are not
    read again). A value changed by someone else meanwhile is left as it is (an update guarded
    by the value read), for the next run. ``within`` wraps each batch's writes (the app keeps
    them out of the sync outbox: every database of a hall is rotated on its own).
    """
    if batch < 1:
        raise ValueError("batch must be positive")
    started = time.perf_counter()
    values = rows = lost = batches = 0
    with engine.connect() as conn:
        targets = sealed_columns(conn, metadata)
    for table, columns in targets:
        for chunk in _stale_chunks(engine, table, columns, keys, batch, within):
            done, changed, missed = chunk
            values += done
            rows += changed
            lost += missed
            batches += 1
            if progress is not None:
                progress(changed)
    return RotationReport(values, rows, lost, batches, time.perf_counter() - started)


def _stale_chunks(
    engine: Engine,
    table: Table,
    columns: Sequence[str],
    keys: DataKeys,
    batch: int,
    within: Callable[[Connection], AbstractContextManager[object]] | None,
) -> Iterator[tuple[int, int, int]]:
    """Re-seal one table, a committed transaction per chunk: (values, rows, values missed)."""
    current = keys.current
    stale = or_(*(_stale(table, c, current) for c in columns))
    query = select(table.c.id, *(_text(table, c) for c in columns)).where(stale)
    last: Any = None
    while True:
        with engine.begin() as conn:
            page = query if last is None else query.where(table.c.id > last)
            found = conn.execute(page.order_by(table.c.id).limit(batch)).all()
            if not found:
                return
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row in found:
                params: dict[str, Any] = {"_id": row[0]}
                for column, stored in zip(columns, row[1:], strict=True):
                    if stored is None or keys.key_id_of(stored) in ("", current):
                        continue
                    aad = aad_for(table.name, column, row[0])
                    params[f"_old_{column}"] = Stored(stored)
                    params[f"_new_{column}"] = Stored(keys.seal(keys.open(stored, aad), aad))
                changed = tuple(c for c in columns if f"_new_{c}" in params)
                groups.setdefault(changed, []).append(params)
            scope = within(conn) if within is not None else nullcontext()
            with scope:
                values, missed = _write(conn, table, groups)
            last = found[-1][0]
        yield values, len(found), missed


def _write(
    conn: Connection, table: Table, groups: dict[tuple[str, ...], list[dict[str, Any]]]
) -> tuple[int, int]:
    """The guarded updates of one batch: (values written, values changed meanwhile)."""
    values = missed = 0
    for changed, params_list in groups.items():
        if not changed:
            continue
        statement = (
            update(table)
            .where(
                table.c.id == bindparam("_id"),
                *(table.c[c] == bindparam(f"_old_{c}") for c in changed),
            )
            .values({c: bindparam(f"_new_{c}") for c in changed})
        )
        result = conn.execute(statement, params_list)
        hit = result.rowcount if result.rowcount >= 0 else len(params_list)
        values += hit * len(changed)
        missed += (len(params_list) - hit) * len(changed)
    return values, missed
