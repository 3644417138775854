"""The tamper-evident audit chain: each counter's entries are numbered and hashed in a chain.

Every entry carries its counter's sequence number ``seq`` (1, 2, 3 …; entries with no counter
form the chain of counter_id NULL), the previous entry's hash ``prev_hash`` (64 zeros for the
first) and ``entry_hash``: SHA-256 over a canonical serialisation of its fields (id, at,
staff_id, actor_name, counter_id, action, entity, entity_id, before, after, seq) and
prev_hash. :func:`append_fields` fills them in the transaction that records the entry, holding
the database's write lock (SQLite) or the chain's advisory lock (PostgreSQL), so two processes
never take the same number.

:func:`verify` recomputes the chains and names the first entry altered, deleted, inserted or
reordered. Entries recorded before the chain began (no seq, no hash, older than the chain's
first entry) are left alone; entries the central database writes itself (``CENTRAL_MADE``) are
hashed but stand outside the counters' chains.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import sqlite3
import threading
import uuid
from collections.abc import Generator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased

from hall_app.clock import Clock
from hall_app.db.central import CentralLink, Offline
from hall_app.db.engine import Database
from hall_app.db.models import AuditAlert, AuditEntry, Counter, Staff
from hall_app.domain.errors import StorageError, ValidationError
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor

log = logging.getLogger("hall.audit")

GENESIS = "0" * 64
# Written by the central database itself while a counter pushes (an edit that gave way): hashed,
# never part of a counter's chain.
CENTRAL_MADE = frozenset({"sync.edit_superseded"})
_REORDER_WINDOW = 64  # how far a swapped entry is looked for, on a break only
_FETCH = 20_000


# The canonical form of an entry is its fields as the database stores them (so ``verify``
# hashes what it reads without decoding it, a million entries in seconds): UUIDs as 32 hex
# digits, ``at`` in UTC as "YYYY-MM-DD HH:MM:SS.ffffff", before/after as their JSON text
# (SQLAlchemy's json.dumps, which the push writes again unchanged centrally; SQL NULL and
# JSON null alike "null"), seq in decimal; each field length-prefixed, None as "~".
Canon = tuple[str | None, ...]


def _hex(value: uuid.UUID | str | None) -> str | None:
    if value is None:
        return None
    return (value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))).hex


def _time(at: datetime) -> str:
    if at.tzinfo is None:  # read back from SQLite: stored in UTC
        return at.strftime("%Y-%m-%d %H:%M:%S.%f")
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _json(value: Any) -> str:
    return "null" if value is None else json.dumps(value)


def _digest(fields: Canon) -> str:
    joined = "".join("~" if f is None else f"{len(f)}:{f}" for f in fields)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def entry_hash(
    *,
    id: uuid.UUID | str,
    at: datetime,
    staff_id: uuid.UUID | str | None,
    actor_name: str,
    counter_id: uuid.UUID | str | None,
    action: str,
    entity: str,
    entity_id: str | None,
    before: Any,
    after: Any,
    seq: int | None,
    prev_hash: str | None,
) -> str:
    """SHA-256 (hex) over the entry's fields and the previous entry's hash."""
    return _digest(
        (
            _hex(id),
            _time(at),
            _hex(staff_id),
            actor_name,
            _hex(counter_id),
            action,
            entity,
            entity_id,
            _json(before),
            _json(after),
            None if seq is None else str(seq),
            prev_hash,
        )
    )


def hash_of_row(row: Mapping[Any, Any]) -> str:
    """:func:`entry_hash` of a row of audit_log's columns (as the ORM or Core read them)."""
    return entry_hash(
        id=row["id"],
        at=row["at"],
        staff_id=row["staff_id"],
        actor_name=row["actor_name"],
        counter_id=row["counter_id"],
        action=row["action"],
        entity=row["entity"],
        entity_id=row["entity_id"],
        before=row["before"],
        after=row["after"],
        seq=row["seq"],
        prev_hash=row["prev_hash"],
    )


# -- appending ----------------------------------------------------------------------------------
def _lock_chain(conn: Connection, counter_id: uuid.UUID | None) -> None:
    """Hold the lock that serialises appends to this chain until the transaction ends."""
    if conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        if not getattr(raw, "in_transaction", True):
            # pysqlite opens a transaction only at the first write: a write that changes
            # nothing takes the database's write lock before the head is read.
            conn.execute(text("UPDATE audit_log SET seq = seq WHERE 0"))
    elif conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"audit_chain:{counter_id}"},
        )


# A chain's key: (counter_id, origin_counter_id). The origin is NULL at a counter (its own
# chains) and centrally for what the central database writes itself; the push fills it in for
# entries with no window, whose chains would otherwise run together centrally.
ChainKey = tuple[uuid.UUID | None, uuid.UUID | None]


def _in_chain(counter_id: uuid.UUID | None, origin: uuid.UUID | None = None) -> ColumnElement[bool]:
    column = AuditEntry.counter_id
    where = column.is_(None) if counter_id is None else column == counter_id
    if origin is None:
        return and_(where, AuditEntry.origin_counter_id.is_(None))
    return and_(where, AuditEntry.origin_counter_id == origin)


def _head_query(counter_id: uuid.UUID | None, origin: uuid.UUID | None = None) -> Any:
    where = _in_chain(counter_id, origin)
    return (
        select(AuditEntry.seq, AuditEntry.entry_hash)
        .where(where, AuditEntry.seq.is_not(None))
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    )


def chain_head(
    session_or_conn: Session | Connection,
    counter_id: uuid.UUID | None,
    origin: uuid.UUID | None = None,
) -> tuple[int, str] | None:
    """The chain's last entry: (seq, hash), or None for a chain with no entry yet."""
    row = session_or_conn.execute(_head_query(counter_id, origin)).first()
    if row is None or row[0] is None:
        return None
    return int(row[0]), str(row[1])


_HEADS = "audit_chain_heads"  # session.info: (the transaction, {chain: (seq, hash)})


def append_fields(session: Session, entry: AuditEntry) -> None:
    """Number and hash ``entry`` (added to ``session``, not yet flushed) as the next of its
    counter's chain, in the session's transaction. The first entry of a chain in a
    transaction takes the lock and reads the head; the lock holds until the transaction
    ends, so the next ones continue from it without a query."""
    connection = session.connection()  # begins the transaction, if not yet begun
    transaction = session.get_transaction()
    cached = session.info.get(_HEADS)
    if cached is None or cached[0] is not transaction:
        cached = (transaction, {})
        session.info[_HEADS] = cached
    heads: dict[uuid.UUID | None, tuple[int, str] | None] = cached[1]
    if entry.counter_id in heads:
        head = heads[entry.counter_id]
    else:
        with session.no_autoflush:
            _lock_chain(connection, entry.counter_id)
            head = chain_head(session, entry.counter_id)
            # Entries of this chain added without record() and not flushed yet follow it.
            for other in session.new:
                if (
                    other is not entry
                    and isinstance(other, AuditEntry)
                    and other.counter_id == entry.counter_id
                    and other.origin_counter_id is None
                    and other.seq is not None
                    and other.entry_hash is not None
                    and (head is None or other.seq > head[0])
                ):
                    head = (other.seq, other.entry_hash)
    entry.seq = 1 if head is None else head[0] + 1
    entry.prev_hash = GENESIS if head is None else head[1]
    entry.entry_hash = entry_hash(
        id=entry.id,
        at=entry.at,
        staff_id=entry.staff_id,
        actor_name=entry.actor_name,
        counter_id=entry.counter_id,
        action=entry.action,
        entity=entry.entity,
        entity_id=entry.entity_id,
        before=entry.before,
        after=entry.after,
        seq=entry.seq,
        prev_hash=entry.prev_hash,
    )
    heads[entry.counter_id] = (entry.seq, entry.entry_hash)


def central_made(values: dict[str, Any]) -> dict[str, Any]:
    """An entry the central database writes itself (``CENTRAL_MADE``): hashed, unchained."""
    values = {**values, "seq": None, "prev_hash": None}
    values["entry_hash"] = hash_of_row(values)
    return values


# -- verifying ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int  # entries whose hash was recomputed
    problem: str  # Chinese: which entry, what happened ("" when ok)
    first_bad_seq: int | None
    counter_id: uuid.UUID | None = None  # the chain of the first problem
    chains: int = 0
    origin_counter_id: uuid.UUID | None = None  # … and its origin (centrally, no window)


# A stored row as read raw: the 12 hashed fields (JSON as text, UUIDs as hex), entry_hash and
# origin_counter_id (not hashed).
Raw = tuple[Any, ...]
_AT, _COUNTER, _ACTION, _SEQ, _PREV, _HASH, _ORIGIN = 1, 4, 5, 10, 11, 12, 13
_STREAM = 5_000  # rows fetched at a time (memory stays flat)

# audit_log's columns in the canonical text form, computed by the database, read on the raw
# DBAPI cursor (no SQLAlchemy row per entry: a million entries in seconds). SQLite keeps them
# as that text already: read without decoding.
_COLUMNS_SQL = {
    "sqlite": (
        "id, at, staff_id, actor_name, counter_id, action, entity, entity_id, before, after, "
        "seq, prev_hash, entry_hash, origin_counter_id"
    ),
    "postgresql": (
        "replace(CAST(id AS TEXT), '-', ''), "
        "to_char(timezone('UTC', at), 'YYYY-MM-DD HH24:MI:SS.US'), "
        "replace(CAST(staff_id AS TEXT), '-', ''), actor_name, "
        "replace(CAST(counter_id AS TEXT), '-', ''), action, entity, entity_id, "
        "CAST(before AS TEXT), CAST(after AS TEXT), seq, prev_hash, entry_hash, "
        "replace(CAST(origin_counter_id AS TEXT), '-', '')"
    ),
}


class _Sql:
    """The raw statements of one chain, in the connection's dialect and parameter style."""

    def __init__(self, conn: Connection, key: ChainKey) -> None:
        counter_id, origin = key
        self.dialect = conn.dialect.name
        if self.dialect not in _COLUMNS_SQL:
            raise ValueError(f"audit chain: unsupported database {self.dialect}")
        self.columns = _COLUMNS_SQL[self.dialect]
        # The chain's index, whatever the planner's statistics say (ANALYZE run on a small
        # table would otherwise have it scan the whole table).
        self.table = (
            "audit_log INDEXED BY ix_audit_log_chain" if self.dialect == "sqlite" else "audit_log"
        )
        self.params: dict[str, Any] = {}
        if counter_id is None:
            self.chain = "counter_id IS NULL"
        else:
            self.chain = f"counter_id = {self.param('chain')}"
            # As the column stores it: SQLite's CHAR(32) hex, PostgreSQL's uuid.
            self.params["chain"] = counter_id.hex if self.dialect == "sqlite" else counter_id
        if origin is None:
            self.chain += " AND origin_counter_id IS NULL"
        else:
            self.chain += f" AND origin_counter_id = {self.param('origin')}"
            self.params["origin"] = origin.hex if self.dialect == "sqlite" else origin

    def param(self, name: str) -> str:
        return f":{name}" if self.dialect == "sqlite" else f"%({name})s"


def _canon(r: Raw, seq: int | None = None) -> Canon:
    return (
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        "null" if r[8] is None else r[8],
        "null" if r[9] is None else r[9],
        str(seq) if seq is not None else (None if r[10] is None else str(r[10])),
        r[11],
    )


def _row_digest(r: Raw) -> str:
    """``_digest(_canon(r))`` written out (one string built at once): the digest computed for
    every entry verified. id, at, actor_name, action and entity are NOT NULL in the schema."""
    i, at, st, an, ci, ac, en, ei, be, af, sq, ph = r[:12]
    if sq is None:
        return _digest(_canon(r))
    sq = str(sq)
    try:
        joined = (
            f"{len(i)}:{i}{len(at)}:{at}{'~' if st is None else f'{len(st)}:{st}'}"
            f"{len(an)}:{an}{'~' if ci is None else f'{len(ci)}:{ci}'}{len(ac)}:{ac}"
            f"{len(en)}:{en}{'~' if ei is None else f'{len(ei)}:{ei}'}"
            f"{'4:null' if be is None else f'{len(be)}:{be}'}"
            f"{'4:null' if af is None else f'{len(af)}:{af}'}"
            f"{len(sq)}:{sq}{'~' if ph is None else f'{len(ph)}:{ph}'}"
        )
    except TypeError:  # a NULL where the schema has none: the general form
        return _digest(_canon(r))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def _sound(r: Raw) -> bool:
    """The row's own hash is right."""
    return bool(_row_digest(r) == r[_HASH])


def _describe(r: Raw) -> str:
    shown_id = str(uuid.UUID(r[0])) if r[0] else "?"
    return f"（{r[_ACTION]}，{str(r[_AT])[:19]} UTC，编号 {shown_id}）"


class _Break(Exception):
    def __init__(self, seq: int | None, problem: str, checked: int | None = None) -> None:
        super().__init__(problem)
        self.seq = seq
        self.problem = problem
        self.checked = checked  # the entries checked until the break, when known here


def _chain_label(key: ChainKey, names: Mapping[Any, str]) -> str:
    counter_id, origin = key
    if counter_id is not None:
        return f"窗口 {names.get(counter_id, str(counter_id))} 的审计链"
    if origin is not None:
        return f"窗口 {names.get(origin, str(origin))} 推送的无窗口审计链"
    return "无窗口的审计链"


def _raw_cursor(conn: Connection) -> Any:
    """A DBAPI cursor on the connection's transaction: PostgreSQL's server-side (named), so the
    rows come a page at a time; SQLite's steps through the table as it is fetched."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    if conn.dialect.name == "postgresql":
        name = f"audit_verify_{uuid.uuid4().hex[:12]}"
        # Outside a transaction (autocommit), a cursor held past it.
        return dbapi.cursor(name=name, withhold=bool(getattr(dbapi, "autocommit", False)))
    return dbapi.cursor()


def _pages(conn: Connection, sql: _Sql, start: int) -> Generator[list[Raw]]:
    """The chain's entries from ``start`` in seq order (equal seqs together), streamed a page
    at a time."""
    cursor = _raw_cursor(conn)
    try:
        cursor.execute(
            f"SELECT {sql.columns} FROM {sql.table} WHERE {sql.chain} "
            f"AND seq >= {sql.param('start')} ORDER BY seq",
            {**sql.params, "start": start},
        )
        while page := cursor.fetchmany(_STREAM):
            yield page
    finally:
        cursor.close()


def _find_swap(row: Raw, seq: int) -> int | None:
    """The seq this entry's own hash was made for, when it is not ``seq`` (a reordering)."""
    for other in range(max(1, seq - _REORDER_WINDOW), seq + _REORDER_WINDOW + 1):
        if other != seq and _digest(_canon(row, other)) == row[_HASH]:
            return other
    return None


def _branch_start(conn: Connection, key: ChainKey) -> tuple[int, str] | None:
    """Where a pushed no-window chain branches off another one: a counter started from a copy
    of another's file continues that file's no-window chain from the copy's head. (its first
    seq, the hash it continues) when its first entry links to an entry of another no-window
    chain with the seq before; None otherwise (it must then start at 1)."""
    counter_id, origin = key
    if counter_id is not None or origin is None:
        return None
    first = conn.execute(
        select(AuditEntry.seq, AuditEntry.prev_hash)
        .where(_in_chain(None, origin), AuditEntry.seq.is_not(None))
        .order_by(AuditEntry.seq)
        .limit(1)
    ).first()
    if first is None or first.seq <= 1 or first.prev_hash is None:
        return None
    continued = conn.scalar(
        select(AuditEntry.id)
        .where(
            AuditEntry.counter_id.is_(None),
            or_(AuditEntry.origin_counter_id.is_(None), AuditEntry.origin_counter_id != origin),
            AuditEntry.seq == first.seq - 1,
            AuditEntry.entry_hash == first.prev_hash,
        )
        .limit(1)
    )
    return None if continued is None else (int(first.seq), str(first.prev_hash))


def _check_chain(conn: Connection, key: ChainKey, last: int | None) -> tuple[int, int | None, str]:
    """Entries checked; on a break its seq and description, else (checked, None, "")."""
    chain = _in_chain(*key)
    sql = _Sql(conn, key)
    head = chain_head(conn, *key)
    # A pushed no-window chain that branches off another begins where it branched.
    first, prev = _branch_start(conn, key) or (1, cast(str | None, GENESIS))
    start = first
    if last is not None and head is not None and head[0] - last + 1 > first:
        start, prev = head[0] - last + 1, None
    checked = 0
    expected_seq = start

    def settle(group: list[Raw]) -> None:
        nonlocal expected_seq, prev, checked
        seq = int(group[0][_SEQ])
        if seq > expected_seq:
            missing = (
                f"第 {expected_seq} 条"
                if seq == expected_seq + 1
                else f"第 {expected_seq}–{seq - 1} 条"
            )
            raise _Break(expected_seq, f"{missing}审计记录已被删除（其后一条为第 {seq} 条）")
        checked += len(group)
        group.sort(key=lambda r: str(r[0]))  # as ordered by id
        good = [r for r in group if _sound(r) and (prev is None or r[_PREV] == prev)]
        if len(group) > 1:
            # The genuine one is the one the next entry points at.
            nxt = conn.scalar(
                select(AuditEntry.prev_hash).where(chain, AuditEntry.seq == seq + 1).limit(1)
            )
            genuine = [r for r in good if r[_HASH] == nxt] or good[:1]
            intruder = next(r for r in group if r not in genuine[:1])
            raise _Break(seq, f"第 {seq} 条处插入了不属于审计链的记录{_describe(intruder)}")
        row = group[0]
        if not good:
            if not _sound(row):
                swapped = _find_swap(row, seq)
                if swapped is not None:
                    raise _Break(
                        min(seq, swapped),
                        f"第 {seq} 条与第 {swapped} 条审计记录的顺序被调换{_describe(row)}",
                    )
                raise _Break(seq, f"第 {seq} 条审计记录已被修改{_describe(row)}")
            raise _Break(
                seq, f"第 {seq} 条审计记录与前一条不相连：其前插入或替换了记录{_describe(row)}"
            )
        expected_seq, prev = seq + 1, row[_HASH]

    try:
        first_at: str | None = None
        group: list[Raw] = []
        pages = _pages(conn, sql, start)
        digest = _row_digest
        try:
            for page in pages:
                for row in page:
                    if group:
                        if row[_SEQ] == group[0][_SEQ]:
                            group.append(row)
                            continue
                        held = group[0]
                        # The usual case, checked here: the one entry of its seq, the next
                        # one expected, linked to the one before and its own hash right.
                        if (
                            len(group) == 1
                            and held[_SEQ] == expected_seq
                            and (prev is None or held[_PREV] == prev)
                            and digest(held) == held[_HASH]
                        ):
                            checked += 1
                            expected_seq, prev = expected_seq + 1, held[_HASH]
                        else:
                            settle(group)
                    else:
                        first_at = row[_AT]
                    group = [row]
            if group:
                settle(group)
        finally:
            pages.close()
        checked = _check_loose(conn, sql, first_at, last, checked)
    except _Break as brk:
        return (checked if brk.checked is None else brk.checked), brk.seq, brk.problem
    return checked, None, ""


def _check_loose(
    conn: Connection, sql: _Sql, first_at: str | None, last: int | None, checked: int
) -> int:
    """Entries outside the chain: written by the central database itself (hashed), or
    recorded before the chain began (migration 0018); any other is an insertion (_Break).
    Returns ``checked`` with them counted."""
    loose = f"SELECT {sql.columns} FROM {sql.table} WHERE {sql.chain} AND seq IS NULL"
    params = dict(sql.params)
    if first_at is not None:
        since = sql.param("since")
        params["since"] = (
            first_at  # SQLite compares the stored text
            if sql.dialect == "sqlite"
            else datetime.strptime(first_at, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
        )
        if last is not None:
            loose += f" AND at >= {since}"
        else:
            loose += f" AND (entry_hash IS NOT NULL OR at >= {since})"
    else:
        loose += " AND entry_hash IS NOT NULL"
    cursor = _raw_cursor(conn)
    try:
        cursor.execute(loose + " ORDER BY at", params)
        while page := cursor.fetchmany(_STREAM):
            for row in page:
                checked += 1
                if row[_ACTION] in CENTRAL_MADE and row[_HASH] is not None and _sound(row):
                    continue
                raise _Break(None, f"插入了不属于审计链的记录{_describe(row)}", checked)
    finally:
        cursor.close()
    return checked


# A chain's state in one stretch of the table: [first seq, its prev_hash, first time, last
# seq, last hash, entries, whole so far].
_HexKey = tuple[str | None, str | None]  # a chain's key as read raw: (counter, origin) in hex
_Part = dict[_HexKey, list[Any]]
# A full verify of a SQLite file with at least this many entries reads the table in parallel
# stretches, one process per core (hashing is the cost; the stretches are stitched after).
PARALLEL_MIN_ROWS = 200_000
_MAX_WORKERS = 4


def _scan_rows(rows: Any) -> _Part:
    """Each chain's state over ``rows`` (pages of raw rows in table order): whole so far while
    its entries come seq n, n+1 … each linked to the one before and its hash right."""
    state: _Part = {}
    digest = _row_digest
    for page in rows:
        for row in page:
            key = (row[_COUNTER], row[_ORIGIN])
            chain = state.get(key)
            if chain is None:
                state[key] = [
                    row[_SEQ], row[_PREV], row[_AT], row[_SEQ], row[_HASH], 1,
                    digest(row) == row[_HASH],
                ]  # fmt: skip
                continue
            if not chain[6]:
                continue
            if row[_SEQ] == chain[3] + 1 and row[_PREV] == chain[4] and digest(row) == row[_HASH]:
                chain[3] = row[_SEQ]
                chain[4] = row[_HASH]
                chain[5] += 1
            else:
                chain[6] = False
    return state


def _stitch(parts: list[_Part]) -> dict[_HexKey, tuple[int, str]]:
    """The chains whole over consecutive stretches: each stretch of a chain starts where the
    one before ended (the first at seq 1 from the genesis hash)."""
    whole: dict[_HexKey, list[Any]] = {}  # [last seq, last hash, entries, first time]
    left_out: set[_HexKey] = set()
    for part in parts:
        for key, (first, prev, first_at, last, last_hash, entries, ok) in part.items():
            if key in left_out:
                continue
            acc = whole.get(key)
            expected = (1, GENESIS) if acc is None else (acc[0] + 1, acc[1])
            if not ok or (first, prev) != expected:
                left_out.add(key)
                whole.pop(key, None)
            elif acc is None:
                whole[key] = [last, last_hash, entries, first_at]
            else:
                acc[0], acc[1], acc[2] = last, last_hash, acc[2] + entries
    return {key: (acc[2], acc[3]) for key, acc in whole.items()}


def _pages_of(cursor: Any) -> Generator[list[Raw]]:
    while page := cursor.fetchmany(_STREAM):
        yield page


def _scan_file_part(path: str, low: int, high: int) -> _Part:
    """One worker's stretch of a SQLite file's audit_log (rowids ``low`` … ``high``), on its
    own read-only connection."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = con.execute(
            f"SELECT {_COLUMNS_SQL['sqlite']} FROM audit_log NOT INDEXED "
            "WHERE seq IS NOT NULL AND rowid BETWEEN ? AND ?",
            (low, high),
        )
        return _scan_rows(_pages_of(cursor))
    finally:
        con.close()


def _workers() -> int:
    return min(os.cpu_count() or 1, _MAX_WORKERS)


def _may_fork() -> bool:
    """Forking copies the locks other threads hold: only a single-threaded process (the
    ``hall-app audit verify`` command) forks its workers."""
    return threading.active_count() == 1


def _parallel_parts(conn: Connection) -> list[_Part] | None:
    """The table read in stretches by one process per core, or None where that does not pay
    (a small table, one core, a server database, threads that forking could break)."""
    workers = _workers()
    path = conn.engine.url.database
    if conn.dialect.name != "sqlite" or workers < 2 or path in (None, "", ":memory:"):
        return None
    if not _may_fork():
        return None
    low, high = conn.exec_driver_sql("SELECT min(rowid), max(rowid) FROM audit_log").one()
    if low is None or high - low + 1 < PARALLEL_MIN_ROWS:
        return None
    step = (high - low) // workers + 1
    bounds = [(low + k * step, min(high, low + (k + 1) * step - 1)) for k in range(workers)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(_scan_file_part, str(path), a, b) for a, b in bounds]
        return [f.result() for f in futures]


def _scan(conn: Connection) -> dict[_HexKey, tuple[int, str]]:
    """Every chain read at once in the table's own order (one sequential pass: far fewer
    page reads than each chain through its index when the file outgrows the page cache; on a
    large SQLite file, consecutive stretches of it in parallel). A chain whose entries come
    1, 2, 3 … each linked to the one before and its hash right is whole: {(counter's hex id
    or None, origin's): (entries, first entry's time)}. Any other (a break, or entries stored
    out of seq order) is left out, for :func:`_check_chain` to read in seq order and name what is
    wrong."""
    dialect = conn.dialect.name
    if dialect not in _COLUMNS_SQL:
        raise ValueError(f"audit chain: unsupported database {dialect}")
    parts = _parallel_parts(conn)
    if parts is not None:
        return _stitch(parts)
    table = "audit_log NOT INDEXED" if dialect == "sqlite" else "audit_log"
    cursor = _raw_cursor(conn)
    try:
        cursor.execute(f"SELECT {_COLUMNS_SQL[dialect]} FROM {table} WHERE seq IS NOT NULL")
        return _stitch([_scan_rows(_pages_of(cursor))])
    finally:
        cursor.close()


def verify(
    engine_or_connection: Engine | Connection,
    *,
    counter_id: uuid.UUID | None = None,
    last: int | None = None,
) -> ChainReport:
    """Recompute the chains (one counter's, or every chain in the database; only the last
    ``last`` entries of each when given) and report the first break."""
    if isinstance(engine_or_connection, Engine):
        with engine_or_connection.connect() as conn:
            return verify(conn, counter_id=counter_id, last=last)
    conn = engine_or_connection
    names = {
        i: f"{code}（{name}）"
        for i, code, name in conn.execute(select(Counter.id, Counter.code, Counter.name))
    }
    if counter_id is not None:
        chains: list[ChainKey] = [(counter_id, None)]
    else:
        chains = [
            (c, o)
            for c, o in conn.execute(
                select(AuditEntry.counter_id, AuditEntry.origin_counter_id).distinct()
            )
        ]
        chains.sort(key=lambda k: (k[0] is not None, str(k[0]), k[1] is not None, str(k[1])))
    # The whole of every chain: one pass in table order first; only a chain it leaves out is
    # read again in seq order.
    whole = _scan(conn) if last is None and counter_id is None else {}
    total = 0
    for chain in chains:
        key = tuple(None if part is None else part.hex for part in chain)
        if key in whole:
            entries, first_at = whole[key]
            try:
                checked = _check_loose(conn, _Sql(conn, chain), first_at, None, entries)
                bad_seq, problem = None, ""
            except _Break as brk:
                checked, bad_seq, problem = brk.checked or entries, brk.seq, brk.problem
        else:
            checked, bad_seq, problem = _check_chain(conn, chain, last)
        total += checked
        if problem:
            label = _chain_label(chain, names)
            return ChainReport(
                False, total, f"{label}：{problem}", bad_seq, chain[0], len(chains), chain[1]
            )
    return ChainReport(True, total, "", None, None, len(chains))


def heads(conn: Connection) -> dict[uuid.UUID | None, tuple[int, str]]:
    """Every chain's head (seq, hash), by counter: this database's own chains (origin NULL)."""
    return {c: head for (c, o), head in chain_heads(conn).items() if o is None}


def chain_heads(conn: Connection) -> dict[ChainKey, tuple[int, str]]:
    """Every chain's head (seq, hash), by (counter, origin): centrally, each counter's
    no-window chain too."""
    out: dict[ChainKey, tuple[int, str]] = {}
    for cid, origin in conn.execute(
        select(AuditEntry.counter_id, AuditEntry.origin_counter_id).distinct()
    ):
        head = chain_head(conn, cid, origin)
        if head is not None:
            out[(cid, origin)] = head
    return out


# -- the check at start, and the supervisor's alerts ---------------------------------------------
ALERT_KINDS = {
    "chain_break": "审计链断裂",
    "central_update": "中心审计记录被试图修改",
    "central_delete": "中心审计记录被试图删除",
    "resent_changed": "窗口重发的审计记录被改动",
}


@dataclass(frozen=True)
class AlertView:
    id: uuid.UUID
    detected_at: datetime
    kind: str
    kind_label: str
    detail: str


def open_alerts(session_or_conn: Session | Connection) -> list[AlertView]:
    """The alerts no supervisor has acknowledged yet, newest first."""
    rows = session_or_conn.execute(
        select(AuditAlert.id, AuditAlert.detected_at, AuditAlert.kind, AuditAlert.detail)
        .where(AuditAlert.acknowledged_at.is_(None))
        .order_by(AuditAlert.detected_at.desc())
    ).all()
    return [AlertView(i, at, k, ALERT_KINDS.get(k, k), d) for i, at, k, d in rows]


# -- the supervisor's desk: this counter's alerts and the central database's --------------------
LOCAL, CENTRAL = "local", "central"
SOURCE_LABELS = {LOCAL: "本机", CENTRAL: "中心"}
# Whether the central database's alerts are in the list.
NOT_SYNCED, CENTRAL_READ, CENTRAL_OFFLINE = "not_synced", "read", "offline"
DESK_LIMIT = 200  # acknowledged alerts listed, newest first (the open ones always all)
ALERT_FIELD = "审计警告"
CENTRAL_OFFLINE_TEXT = "中心数据库暂时无法连接，中心的审计警告请在恢复连接后再确认"


@dataclass(frozen=True)
class DeskAlert:
    id: uuid.UUID
    source: str  # LOCAL (this counter's database) or CENTRAL
    detected_at: datetime
    kind: str
    kind_label: str
    detail: str
    counter_name: str  # the chain concerned: 1号窗口, or 无窗口
    acknowledged_at: datetime | None
    acknowledged_by: str  # 姓名（工号）, "" while open

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS[self.source]

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


@dataclass(frozen=True)
class DeskAlerts:
    alerts: list[DeskAlert]  # open ones first, each part newest first
    central: str  # NOT_SYNCED, CENTRAL_READ or CENTRAL_OFFLINE

    @property
    def open(self) -> list[DeskAlert]:
        return [a for a in self.alerts if a.is_open]


_Origin = aliased(Counter, name="origin_counter")
_Entry = aliased(AuditEntry, name="alerted_entry")


def _of_hall(hall_id: uuid.UUID) -> ColumnElement[bool]:
    """The hall's alerts: of its windows' chains, or of a chain with no window that one of its
    windows pushed (the entry's origin, centrally) or that no window pushed (this database's
    own, an entry the alert does not name, or one pushed before migration 0020)."""
    return or_(
        Counter.hall_id == hall_id,
        and_(
            AuditAlert.counter_id.is_(None),
            or_(_Entry.origin_counter_id.is_(None), _Origin.hall_id == hall_id),
        ),
    )


def _with_origin(stmt: Any) -> Any:
    """``stmt`` on audit_alerts joined to the alert's window and its entry's origin."""
    return (
        stmt.outerjoin(Counter, Counter.id == AuditAlert.counter_id)
        .outerjoin(_Entry, _Entry.id == AuditAlert.entry_id)
        .outerjoin(_Origin, _Origin.id == _Entry.origin_counter_id)
    )


def hall_alerts(
    session: Session, hall_id: uuid.UUID, source: str, *, acknowledged: bool
) -> list[DeskAlert]:
    """The hall's alerts in this database (the counter's or the central one): the open ones,
    and the last ``DESK_LIMIT`` acknowledged ones when asked."""
    stmt = (
        _with_origin(select(AuditAlert, Counter.name, Staff.full_name, Staff.employee_no))
        .outerjoin(Staff, Staff.id == AuditAlert.acknowledged_by_id)
        .where(_of_hall(hall_id))
    )
    rows = list(
        session.execute(
            stmt.where(AuditAlert.acknowledged_at.is_(None)).order_by(AuditAlert.detected_at.desc())
        ).all()
    )
    if acknowledged:
        rows += session.execute(
            stmt.where(AuditAlert.acknowledged_at.is_not(None))
            .order_by(AuditAlert.acknowledged_at.desc())
            .limit(DESK_LIMIT)
        ).all()
    return [
        DeskAlert(
            id=a.id,
            source=source,
            detected_at=a.detected_at,
            kind=a.kind,
            kind_label=ALERT_KINDS.get(a.kind, a.kind),
            detail=a.detail,
            counter_name=counter_name or ("无窗口" if a.counter_id is None else "其他窗口"),
            acknowledged_at=a.acknowledged_at,
            acknowledged_by=f"{full_name}（{employee_no}）" if full_name else "",
        )
        for a, counter_name, full_name, employee_no in rows
    ]


def _open_alert(session: Session, actor: Actor, alert_id: uuid.UUID) -> tuple[str, int | None]:
    """The hall's open alert ``alert_id``: its (kind, seq); another hall's, an acknowledged one
    or none: refused (ValidationError)."""
    alert = _hall_alert(session, actor, alert_id, lock=False)
    return alert.kind, alert.seq


def _hall_alert(session: Session, actor: Actor, alert_id: uuid.UUID, *, lock: bool) -> AuditAlert:
    alert = session.get(AuditAlert, alert_id, with_for_update=lock)
    if alert is not None:
        ours = session.scalar(
            _with_origin(select(AuditAlert.id)).where(
                AuditAlert.id == alert_id, _of_hall(actor.hall_id)
            )
        )
        if ours is None:
            alert = None  # another hall's: not this supervisor's to acknowledge
    if alert is None or alert.acknowledged_at is not None:
        raise ValidationError("没有这条待处理的审计警告", ALERT_FIELD)
    return alert


def _mark_acknowledged(
    session: Session, actor: Actor, alert_id: uuid.UUID, now: datetime
) -> tuple[str, int | None]:
    """The hall's open alert ``alert_id`` acknowledged by ``actor``: its (kind, seq)."""
    alert = _hall_alert(session, actor, alert_id, lock=True)
    alert.acknowledged_at = now
    alert.acknowledged_by_id = actor.staff_id
    return alert.kind, alert.seq


class AuditChainService:
    """Checks the chain at start and keeps what it found for a supervisor; on a synced
    counter also puts the central database's alerts (attempts there to change or delete
    audit entries, entries a counter resent changed) before the hall's supervisors."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        verify_last: int = 2000,
        link: CentralLink | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._last = verify_last
        self._link = link if link is not None and link.configured else None

    def check_at_start(self) -> ChainReport:
        """Verify each chain's last entries (``verify_last``; 0: skip); a break is logged and
        kept as an alert (once) for the next supervisor to log in."""
        if self._last <= 0:
            return ChainReport(True, 0, "", None)
        with self._db.connect() as conn:
            report = verify(conn, last=self._last)
        if report.ok:
            return report
        log.warning("audit chain broken: %s", report.problem)
        with self._db.unit_of_work() as s:
            known = s.scalar(
                select(AuditAlert.id).where(
                    AuditAlert.kind == "chain_break",
                    AuditAlert.acknowledged_at.is_(None),
                    AuditAlert.detail == report.problem,
                )
            )
            if known is None:
                s.add(
                    AuditAlert(
                        detected_at=self._clock(),
                        kind="chain_break",
                        counter_id=report.counter_id,
                        seq=report.first_bad_seq,
                        detail=report.problem,
                    )
                )
        return report

    def alerts(self, actor: Actor) -> list[AlertView]:
        actor.require(Permission.APPROVE)
        with self._db.read() as s:
            return open_alerts(s)

    def desk_alerts(self, actor: Actor, *, acknowledged: bool = False) -> DeskAlerts:
        """The hall's alerts for the supervisor's desk: this counter's and, on a synced
        counter, the central database's (over the live link; offline, this counter's only,
        and ``central`` says so). Open ones first; acknowledged ones too when asked."""
        actor.require(Permission.APPROVE)
        with self._db.read() as s:
            local = hall_alerts(s, actor.hall_id, LOCAL, acknowledged=acknowledged)
        if self._link is None:
            return DeskAlerts(local, NOT_SYNCED)
        try:
            central = self._link.run(
                lambda cs: hall_alerts(cs, actor.hall_id, CENTRAL, acknowledged=acknowledged)
            )
        except Offline:
            return DeskAlerts(local, CENTRAL_OFFLINE)
        both = local + central
        opened = sorted((a for a in both if a.is_open), key=lambda a: a.detected_at, reverse=True)
        done = sorted(
            (a for a in both if not a.is_open),
            key=lambda a: a.acknowledged_at or a.detected_at,
            reverse=True,
        )
        return DeskAlerts(opened + done, CENTRAL_READ)

    def acknowledge(self, actor: Actor, alert_id: uuid.UUID, *, central: bool = False) -> None:
        """The supervisor has seen it (and will follow it up): it leaves the notice. A central
        alert is marked at the central database over the live link (offline: refused), and
        the acknowledgement audited here, pushed with the counter's other entries."""
        actor.require(Permission.APPROVE)
        now = self._clock()
        if central:
            if self._link is None:
                raise ValidationError("本机未接入中心数据库，没有中心的审计警告", ALERT_FIELD)
            link = self._link
            # Recorded here first (the entry written, the counter's write lock held), marked
            # centrally next, committed here last: an entry that cannot be written leaves the
            # central alert open, a central mark refused or lost leaves no entry here, and
            # only this last commit comes between the two.
            try:
                with self._db.unit_of_work() as s:
                    kind, seq = link.run(lambda cs: _open_alert(cs, actor, alert_id))
                    _audit_acknowledged(s, actor, alert_id, now, kind, seq, CENTRAL)
                    s.flush()
                    link.run(lambda cs: _mark_acknowledged(cs, actor, alert_id, now))
            except Offline:
                raise StorageError(CENTRAL_OFFLINE_TEXT, ALERT_FIELD) from None
            return
        with self._db.unit_of_work() as s:
            kind, seq = _mark_acknowledged(s, actor, alert_id, now)
            _audit_acknowledged(s, actor, alert_id, now, kind, seq)


def _audit_acknowledged(
    s: Session,
    actor: Actor,
    alert_id: uuid.UUID,
    now: datetime,
    kind: str,
    seq: int | None,
    source: str | None = None,
) -> None:
    from hall_app.services import audit  # audit records through this module

    before: dict[str, Any] = {"kind": kind, "seq": seq}
    if source is not None:
        before["source"] = source
    audit.record(
        s,
        at=now,
        actor=actor,
        action="audit.alert_acknowledged",
        entity="audit_alert",
        entity_id=alert_id,
        before=before,
        after={"acknowledged": True},
    )
