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
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, select, text
from sqlalchemy.orm import Session

from hall_app.db.models import AuditEntry, Counter

GENESIS = "0" * 64
# Written by the central database itself while a counter pushes (an edit that gave way): hashed,
# never part of a counter's chain.
CENTRAL_MADE = frozenset({"sync.edit_superseded"})
_REORDER_WINDOW = 64  # how far a swapped entry is looked for, on a break only
_FETCH = 20_000


def _canon_time(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite read through a plain query: stored in UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _canon_id(value: uuid.UUID | str | None) -> str | None:
    if value is None:
        return None
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


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
    canonical = json.dumps(
        [
            _canon_id(id),
            _canon_time(at),
            _canon_id(staff_id),
            actor_name,
            _canon_id(counter_id),
            action,
            entity,
            entity_id,
            before,
            after,
            seq,
            prev_hash,
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def hash_of_row(row: Mapping[Any, Any]) -> str:
    """:func:`entry_hash` of a stored row (a mapping of audit_log's columns)."""
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


def _in_chain(counter_id: uuid.UUID | None) -> ColumnElement[bool]:
    if counter_id is None:
        return AuditEntry.counter_id.is_(None)
    return AuditEntry.counter_id == counter_id


def _head_query(counter_id: uuid.UUID | None) -> Any:
    where = _in_chain(counter_id)
    return (
        select(AuditEntry.seq, AuditEntry.entry_hash)
        .where(where, AuditEntry.seq.is_not(None))
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    )


def chain_head(
    session_or_conn: Session | Connection, counter_id: uuid.UUID | None
) -> tuple[int, str] | None:
    """The chain's last entry: (seq, hash), or None for a chain with no entry yet."""
    row = session_or_conn.execute(_head_query(counter_id)).first()
    if row is None or row[0] is None:
        return None
    return int(row[0]), str(row[1])


def append_fields(session: Session, entry: AuditEntry) -> None:
    """Number and hash ``entry`` (added to ``session``, not yet flushed) as the next of its
    counter's chain, in the session's transaction."""
    with session.no_autoflush:
        _lock_chain(session.connection(), entry.counter_id)
        head = chain_head(session, entry.counter_id)
        # Entries of this chain added in this session and not flushed yet come after the head.
        for other in session.new:
            if (
                other is not entry
                and isinstance(other, AuditEntry)
                and other.counter_id == entry.counter_id
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


_COLUMNS = (
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.staff_id,
    AuditEntry.actor_name,
    AuditEntry.counter_id,
    AuditEntry.action,
    AuditEntry.entity,
    AuditEntry.entity_id,
    AuditEntry.before,
    AuditEntry.after,
    AuditEntry.seq,
    AuditEntry.prev_hash,
    AuditEntry.entry_hash,
)


def _describe(row: Mapping[Any, Any]) -> str:
    at = row["at"]
    when = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if at is not None else "?"
    return f"（{row['action']}，{when}，编号 {row['id']}）"


class _Break(Exception):
    def __init__(self, seq: int | None, problem: str) -> None:
        super().__init__(problem)
        self.seq = seq
        self.problem = problem


def _chain_label(counter_id: uuid.UUID | None, names: Mapping[Any, str]) -> str:
    if counter_id is None:
        return "无窗口的审计链"
    return f"窗口 {names.get(counter_id, str(counter_id))} 的审计链"


def _rows(conn: Connection, where: Any) -> Iterator[Mapping[Any, Any]]:
    """The chain's entries in seq order, a page at a time (memory stays flat)."""
    last_seq: int | None = None
    while True:
        stmt = select(*_COLUMNS).where(where).order_by(AuditEntry.seq, AuditEntry.id).limit(_FETCH)
        if last_seq is not None:
            stmt = stmt.where(AuditEntry.seq > last_seq)
        page = conn.execute(stmt).mappings().all()
        if not page:
            return
        # A page may end inside a group of equal seqs: take the rest of that group too.
        tail = page[-1]["seq"]
        rest = (
            conn.execute(
                select(*_COLUMNS).where(where, AuditEntry.seq == tail).order_by(AuditEntry.id)
            )
            .mappings()
            .all()
            if len(page) == _FETCH
            else []
        )
        seen = {r["id"] for r in page}
        yield from page
        yield from (r for r in rest if r["id"] not in seen)
        if len(page) < _FETCH:
            return
        last_seq = tail


def _find_swap(group: list[Mapping[Any, Any]], seq: int) -> int | None:
    """The seq this entry's own hash was made for, when it is not ``seq`` (a reordering)."""
    row = group[0]
    for other in range(max(1, seq - _REORDER_WINDOW), seq + _REORDER_WINDOW + 1):
        if other != seq and hash_of_row({**row, "seq": other}) == row["entry_hash"]:
            return other
    return None


def _check_chain(
    conn: Connection, counter_id: uuid.UUID | None, last: int | None
) -> tuple[int, int | None, str]:
    """Entries checked; on a break its seq and description, else (checked, None, "")."""
    chain = _in_chain(counter_id)
    head = chain_head(conn, counter_id)
    start = 1
    if last is not None and head is not None:
        start = max(1, head[0] - last + 1)
    checked = 0
    try:
        expected_seq, prev = start, GENESIS if start == 1 else None
        group: list[Mapping[Any, Any]] = []

        def settle(group: list[Mapping[Any, Any]]) -> None:
            nonlocal expected_seq, prev, checked
            seq = int(group[0]["seq"])
            if seq < expected_seq:  # only after a page boundary; never in practice
                return
            if seq > expected_seq:
                missing = (
                    f"第 {expected_seq} 条"
                    if seq == expected_seq + 1
                    else f"第 {expected_seq}–{seq - 1} 条"
                )
                raise _Break(expected_seq, f"{missing}审计记录已被删除（其后一条为第 {seq} 条）")
            good = []
            for row in group:
                checked += 1
                if hash_of_row(row) == row["entry_hash"] and (
                    prev is None or row["prev_hash"] == prev
                ):
                    good.append(row)
            if len(group) > 1:
                # The genuine one is the one the next entry points at.
                nxt = conn.scalar(
                    select(AuditEntry.prev_hash).where(chain, AuditEntry.seq == seq + 1).limit(1)
                )
                genuine = [r for r in good if r["entry_hash"] == nxt] or good[:1]
                intruder = next(r for r in group if r not in genuine[:1])
                raise _Break(seq, f"第 {seq} 条处插入了不属于审计链的记录{_describe(intruder)}")
            row = group[0]
            if not good:
                if hash_of_row(row) != row["entry_hash"]:
                    swapped = _find_swap(group, seq)
                    if swapped is not None:
                        raise _Break(
                            min(seq, swapped),
                            f"第 {seq} 条与第 {swapped} 条审计记录的顺序被调换{_describe(row)}",
                        )
                    raise _Break(seq, f"第 {seq} 条审计记录已被修改{_describe(row)}")
                raise _Break(
                    seq,
                    f"第 {seq} 条审计记录与前一条不相连：其前插入或替换了记录{_describe(row)}",
                )
            expected_seq, prev = seq + 1, row["entry_hash"]

        first_at: datetime | None = None
        for row in _rows(conn, and_(chain, AuditEntry.seq >= start)):
            if first_at is None:
                first_at = row["at"]
            if group and row["seq"] != group[0]["seq"]:
                settle(group)
                group = []
            group.append(row)
        if group:
            settle(group)
        # Entries outside the chain: written by the central database itself (hashed), or
        # recorded before the chain began; any other is an insertion.
        loose = select(*_COLUMNS).where(chain, AuditEntry.seq.is_(None))
        if first_at is not None and last is not None:
            loose = loose.where(AuditEntry.at >= first_at)
        for row in conn.execute(loose.order_by(AuditEntry.at)).mappings():
            if row["entry_hash"] is None and (first_at is None or row["at"] < first_at):
                continue  # before the chain began (migration 0018)
            checked += 1
            if row["action"] in CENTRAL_MADE and row["entry_hash"] == hash_of_row(row):
                continue
            raise _Break(None, f"插入了不属于审计链的记录{_describe(row)}")
    except _Break as brk:
        return checked, brk.seq, brk.problem
    return checked, None, ""


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
        chains: list[uuid.UUID | None] = [counter_id]
    else:
        chains = list(conn.scalars(select(AuditEntry.counter_id).distinct()))
        chains.sort(key=lambda c: (c is not None, str(c)))
    total = 0
    for chain in chains:
        checked, bad_seq, problem = _check_chain(conn, chain, last)
        total += checked
        if problem:
            return ChainReport(
                False,
                total,
                f"{_chain_label(chain, names)}：{problem}",
                bad_seq,
                chain,
                len(chains),
            )
    return ChainReport(True, total, "", None, None, len(chains))


def heads(conn: Connection) -> dict[uuid.UUID | None, tuple[int, str]]:
    """Every chain's head (seq, hash)."""
    out: dict[uuid.UUID | None, tuple[int, str]] = {}
    for cid in conn.scalars(select(AuditEntry.counter_id).distinct()):
        head = chain_head(conn, cid)
        if head is not None:
            out[cid] = head
    return out
