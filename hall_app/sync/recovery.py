"""The recovery pull after a restore: a counter restored from a backup takes back from the
central database what it wrote itself after the backup, before it numbers anything again.

- **Its own rows since the backup**: every synced row (not the hall's central-owned ones,
  which the ordinary pull brings) that names this counter (``counter_id``, or as the holder of
  a number, SIM or handset) and was changed since the backup was taken, less a margin; then
  the rows hanging on those (an order's lines, payments, invoices and their lines …); then
  what they refer to that the counter lacks (a customer or a subscription opened since).
  Orders then number on from the last one, invoice segments from their central count.
- **Its audit chains, followed by their hashes**: from the counter's head, each central entry
  whose ``prev_hash`` is the head's hash is the next link, until none is. The chain of this
  counter and the chain of entries without a counter (written by the system here) both go on
  from the central head; another counter's entries never link to this one's head. Entries
  written here between the restore and the recovery (a sign-in offline), never pushed, are
  numbered on after the ones taken back, their hashes recomputed.

Rows are written silently (not queued back) and a central copy replaces the counter's only
when it is not the older one; each invoice segment of the counter then numbers on past the
last invoice it holds. The recovery is then audited (``backup.recovered``; the restore itself
was, as ``backup.restored``, renumbered here after the entries taken back) and the mark
lifted, in the same transaction (hall_app/services/restore_mark.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, func, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from hall_app.db.engine import Database
from hall_app.db.models import Base, Invoice, InvoiceSegment
from hall_app.db.outbox import silenced, synced_tables
from hall_app.services import audit, restore_mark
from hall_app.services.audit_chain import GENESIS, hash_of_row
from hall_app.sync.push import CENTRAL_OWNED, LINK_LOST, SyncUnavailable

MARGIN = timedelta(minutes=10)  # counter clocks drift; re-taking a row is harmless
OWNER_COLUMNS = ("counter_id", "reserved_by_counter_id", "taken_by_counter_id")
AUDIT_LOG = "audit_log"
SEQ_DIGITS = 15  # an invoice number ends with its segment's sequence number
_PAGE = 1000

Rows = dict[str, dict[Any, dict[str, Any]]]  # table name -> id -> row


@dataclass(frozen=True)
class Recovered:
    rows: int  # business rows taken back (parents included)
    audit_entries: int
    tables: tuple[str, ...]


def recover(
    local: Database, central: Engine, counter_id: uuid.UUID | None, now: datetime
) -> Recovered | None:
    """When the counter's database carries a restore's mark: take its own rows since the
    backup back from the central database, audit the restore and lift the mark. None when
    there was no mark. A dead link raises ``SyncUnavailable`` and the mark stays."""
    with local.read() as s:
        mark = restore_mark.pending(s)
        if mark is None:
            return None
        chains = {counter_id, None, *mark.heads}
        heads = {chain: _entry_at(s, chain, mark.heads.get(chain, 0)) for chain in chains}
        later = {chain: _written_after(s, chain, mark.heads.get(chain, 0)) for chain in chains}
    since = mark.backup_created - MARGIN
    try:
        with central.connect() as conn:
            own = _own_rows(conn, counter_id, since) if counter_id is not None else {}
            taken = {
                chain: _chain_after(conn, chain, head, counter_id) for chain, head in heads.items()
            }
    except OperationalError as exc:
        raise SyncUnavailable(LINK_LOST, "同步") from exc
    report = Recovered(
        rows=sum(len(rows) for rows in own.values()),
        audit_entries=sum(len(entries) for entries in taken.values()),
        tables=tuple(name for name, rows in own.items() if rows),
    )
    with local.unit_of_work() as s:
        with silenced(s):
            _write(s, own)
            if counter_id is not None:
                _resume_segments(s, counter_id)
            rechained = 0
            for chain, entries in taken.items():
                if entries:
                    s.execute(
                        sqlite_insert(Base.metadata.tables[AUDIT_LOG]).on_conflict_do_nothing(
                            index_elements=["id"]
                        ),
                        entries,
                    )
                head = (
                    (int(entries[-1]["seq"]), str(entries[-1]["entry_hash"]))
                    if entries
                    else heads[chain]
                )
                rechained += _rechain(s, later[chain], head) if entries else 0
        audit.record(
            s,
            at=now,
            actor=None,
            actor_name="system:backup",
            action="backup.recovered",
            entity="backup",
            entity_id=None,
            after={
                **mark.details,
                "recovered_rows": report.rows,
                "recovered_audit": report.audit_entries,
                "recovered_tables": list(report.tables),
                "rechained_audit": rechained,
            },
        )
        restore_mark.clear(s)
    return report


def _entry_at(s: Session, chain: uuid.UUID | None, seq: int) -> tuple[int, str] | None:
    """(seq, hash) of the chain's entry ``seq`` here: the backup's head (None: no entry)."""
    if seq <= 0:
        return None
    table = Base.metadata.tables[AUDIT_LOG]
    found = s.scalar(
        select(table.c.entry_hash).where(_in_chain(table, chain), table.c.seq == seq).limit(1)
    )
    return None if found is None else (seq, str(found))


def _written_after(s: Session, chain: uuid.UUID | None, seq: int) -> list[dict[str, Any]]:
    """The chain's entries written here after the restore (never pushed yet), in order."""
    table = Base.metadata.tables[AUDIT_LOG]
    return [
        dict(r)
        for r in s.execute(
            select(table).where(_in_chain(table, chain), table.c.seq > seq).order_by(table.c.seq)
        ).mappings()
    ]


def _rechain(s: Session, entries: list[dict[str, Any]], head: tuple[int, str] | None) -> int:
    """Number the entries written here since the restore after the ones taken back (the
    central database holds other entries under their old numbers); they were never pushed,
    and each hash is recomputed over its new place."""
    table = Base.metadata.tables[AUDIT_LOG]
    seq, prev = (0, GENESIS) if head is None else head
    for entry in entries:
        seq += 1
        moved = {**entry, "seq": seq, "prev_hash": prev}
        prev = hash_of_row(moved)
        s.execute(
            update(table)
            .where(table.c.id == entry["id"])
            .values(seq=seq, prev_hash=moved["prev_hash"], entry_hash=prev)
        )
    return len(entries)


def _in_chain(table: Table, chain: uuid.UUID | None) -> Any:
    """The counter's own chain here (origin NULL: written in this database)."""
    where = table.c.counter_id.is_(None) if chain is None else table.c.counter_id == chain
    return and_(where, table.c.origin_counter_id.is_(None))


def _pushed_chain(table: Table, chain: uuid.UUID | None, own: uuid.UUID | None) -> Any:
    """The same chain centrally: a window's by its id; the no-window one as this counter pushed
    it (origin_counter_id, migration 0020; NULL for what arrived before)."""
    if chain is not None:
        return table.c.counter_id == chain
    origin: Any = table.c.origin_counter_id.is_(None)
    if own is not None:
        origin = or_(origin, table.c.origin_counter_id == own)
    return and_(table.c.counter_id.is_(None), origin)


def _stamp(table: Table) -> Any:
    return table.c.updated_at


def _own_rows(conn: Connection, counter_id: uuid.UUID, since: datetime) -> Rows:
    """The counter's own rows changed since ``since``, the rows hanging on them, and what
    they refer to, by table in sync order (parents first)."""
    names = [n for n in synced_tables() if n != AUDIT_LOG and n not in CENTRAL_OWNED]
    got: Rows = {}
    for name in names:
        table = Base.metadata.tables[name]
        mine = [table.c[c] == counter_id for c in OWNER_COLUMNS if c in table.c]
        mine += _also_own(conn, table, counter_id)
        children = [
            (fk.parent, list(got[fk.column.table.name]))
            for fk in table.foreign_keys
            if got.get(fk.column.table.name)
        ]
        rows: dict[Any, dict[str, Any]] = {}
        conditions = [*mine] + [
            column.in_(ids[i : i + _PAGE])
            for column, ids in children
            for i in range(0, len(ids), _PAGE)
        ]
        if conditions:
            stmt = select(table).where(_stamp(table) >= since, or_(*conditions))
            rows = {r["id"]: dict(r) for r in conn.execute(stmt).mappings()}
        got[name] = rows
    _add_parents(conn, got)
    order = {n: i for i, n in enumerate(synced_tables())}
    return dict(sorted(got.items(), key=lambda item: order[item[0]]))


def _also_own(conn: Connection, table: Table, counter_id: uuid.UUID) -> list[Any]:
    """Rows of this counter's that name no counter: the prints of its orders (a receipt
    reprinted after the backup, for an order made before it: the next copy number counts
    it), and the walk-ins of its own offline series (A01-004), which name another window or
    none once transferred (the next walk-in's number counts them)."""
    if table.name == "print_records":
        orders = Base.metadata.tables["orders"]
        return [table.c.order_id.in_(select(orders.c.id).where(orders.c.counter_id == counter_id))]
    if table.name == "queue_tickets":
        counters = Base.metadata.tables["counters"]
        code = conn.execute(select(counters.c.code).where(counters.c.id == counter_id)).scalar()
        if code:
            return [and_(table.c.is_walk_in, table.c.ticket_no.like(f"_{code}-%"))]
    return []


def _add_parents(conn: Connection, got: Rows) -> None:
    """What the rows refer to and are not among them: fetched by id until nothing is missing
    (the counter may lack them: a customer opened after the backup)."""
    synced = set(synced_tables())
    while True:
        wanted: dict[str, set[Any]] = {}
        for name, rows in list(got.items()):
            table = Base.metadata.tables[name]
            for fk in table.foreign_keys:
                parent = fk.column.table.name
                if parent not in synced or parent == AUDIT_LOG:
                    continue
                have = got.get(parent, {})
                for row in rows.values():
                    value = row.get(fk.parent.name)
                    if value is not None and value not in have:
                        wanted.setdefault(parent, set()).add(value)
        if not wanted:
            return
        for parent, ids in wanted.items():
            table = Base.metadata.tables[parent]
            listed = list(ids)
            found = got.setdefault(parent, {})
            for i in range(0, len(listed), _PAGE):
                stmt = select(table).where(table.c.id.in_(listed[i : i + _PAGE]))
                for r in conn.execute(stmt).mappings():
                    found[r["id"]] = dict(r)
            for missing in ids - set(found):  # gone centrally: not looked for again
                found[missing] = {}


def _self_first(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Within a table that refers to itself, rows referring to none of the others first."""
    refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    if not refs:
        return rows
    ids = {r["id"] for r in rows}
    done: set[Any] = set()
    ordered: list[dict[str, Any]] = []
    remaining = rows
    while remaining:
        ready = [
            r
            for r in remaining
            if all(r[c] is None or r[c] not in ids or r[c] in done for c in refs)
        ] or remaining  # a cycle: as they are
        ordered.extend(ready)
        done.update(r["id"] for r in ready)
        remaining = [r for r in remaining if r["id"] not in done]
    return ordered


def _write(s: Session, own: Rows) -> None:
    """Parents first; the central copy wins where it is the newer (or the counter lacks the
    row); a central-owned parent is only added when missing."""
    for name, by_id in own.items():
        rows = [r for r in by_id.values() if r]
        if not rows:
            continue
        table = Base.metadata.tables[name]
        stmt = sqlite_insert(table)
        if name in CENTRAL_OWNED:
            upsert = stmt.on_conflict_do_nothing(index_elements=[table.c.id])
        else:
            upsert = stmt.on_conflict_do_update(
                index_elements=[table.c.id],
                set_={c.name: stmt.excluded[c.name] for c in table.c if c.name != "id"},
                # A tie goes to the central copy: it is this counter's own later state or
                # the same (a clock that did not move between the backup and the change).
                where=table.c.updated_at <= stmt.excluded.updated_at,
            )
        local_columns = set(table.c.keys())
        for row in _self_first(table, rows):
            s.execute(upsert, {k: v for k, v in row.items() if k in local_columns})


def _resume_segments(s: Session, counter_id: uuid.UUID) -> None:
    """Each of the counter's invoice segments numbers on past the last invoice it holds now
    (its own and those taken back): the central copy's count may lag, a counter's change of
    it giving way on its stamp to the central grant's."""
    for segment_id, next_seq in s.execute(
        select(InvoiceSegment.id, InvoiceSegment.next_seq).where(
            InvoiceSegment.counter_id == counter_id
        )
    ).all():
        last = s.scalar(
            select(func.max(func.substr(Invoice.invoice_no, -SEQ_DIGITS))).where(
                Invoice.segment_id == segment_id
            )
        )
        if last is not None and int(last) + 1 > next_seq:
            s.execute(
                update(InvoiceSegment)
                .where(InvoiceSegment.id == segment_id)
                .values(next_seq=int(last) + 1)
            )


def _chain_after(
    conn: Connection,
    counter_id: uuid.UUID | None,
    head: tuple[int, str] | None,
    own: uuid.UUID | None,
) -> list[dict[str, Any]]:
    """The central entries that continue the chain from the counter's head, in order: the
    origin as it is here (NULL), and of each seq the one this counter pushed (a counter
    started from a copy of another's file shares the start of that one's no-window chain)."""
    table = Base.metadata.tables[AUDIT_LOG]
    chain = _pushed_chain(table, counter_id, own)
    seq, prev = (0, GENESIS) if head is None else head
    out: list[dict[str, Any]] = []
    while True:
        page = [
            dict(r)
            for r in conn.execute(
                select(table)
                .where(chain, table.c.seq > seq, table.c.seq <= seq + _PAGE)
                .order_by(table.c.seq)
            ).mappings()
        ]
        by_seq: dict[int, list[dict[str, Any]]] = {}
        for row in page:
            by_seq.setdefault(int(row["seq"]), []).append(row)
        progressed = False
        while seq + 1 in by_seq:
            candidates = by_seq[seq + 1]
            linked = [r for r in candidates if r["prev_hash"] == prev]
            nxt = next((r for r in linked if r["origin_counter_id"] == own), None) or next(
                iter(linked), None
            )
            if nxt is None:
                return out
            out.append({**nxt, "origin_counter_id": None})  # written here: no origin
            seq, prev = seq + 1, str(nxt["entry_hash"])
            progressed = True
        if not progressed or len(page) == 0:
            return out
