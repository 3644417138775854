"""Pushing the counter's outbox to the central PostgreSQL.

- **Idempotent**: every row is an upsert keyed by its client-generated UUID, so pushing a row
  twice (a retry after a lost connection, a killed process) never duplicates it.
- **Ordered**: tables go parents first (customer before order before payment).
- **Batched**: one multi-row upsert per table and batch.
- **Last writer wins** on ``updated_at``: an older copy never overwrites a newer one.
- **Poison rows are quarantined**: when a batch is refused, its rows are retried one by one;
  a row the server refuses is marked quarantined with the server's reason (constraint and
  message, never the values, which may hold ID numbers) and the rest go through.
- **Resource clashes: the central database wins.** A number, SIM or handset this counter sold (or
  holds) that the central database already gives to another counter is not overwritten;
  the counter takes the central copy, and the clash is recorded centrally with the order
  that used it, flagged for a supervisor (``resource_clashes``).
- **Contact edits: last writer wins, with an audit entry.** A customer edit that arrives
  older than the central copy (another counter edited the same customer later) is discarded;
  an audit entry records centrally which fields of whose edit gave way (field names only,
  never the values), and the counter takes the newer central copy.
- **Install slots: the central count stands.** A counter's copy of a slot changes the central
  ``booked`` only while the counter holds the slot's lease (its offline bookings; nobody else
  could book it meanwhile); after the lease lapsed, the higher of the two counts stands.
  Without the lease a pushed slot never overwrites the central count (a slot the central
  database lacks is added, as in a first load).
- **Bills count their settlements** (``hall_app.sync.bill_totals``): a bill paid at two windows
  is paid their sum centrally, and one paid beyond its amount is flagged for a supervisor.
- **Balances are additive.** A pushed subscription never overwrites the central
  ``balance_fen`` / ``bonus_fen``: each change is a ``balance_movements`` row whose deltas the
  central database adds when it arrives (a trigger of migration 0017). A subscription new to
  the central database goes in with its balances less this counter's movements of it, which
  follow it and add them back (hall_app/services/balances.py).
- **The audit log is append-only centrally** (migration 0018): a pushed entry the central
  database holds already changes nothing there; one that differs from the central copy (edited
  at the counter) is flagged in ``audit_alerts``. Entries the central database writes itself
  are hashed but stand outside the counters' chains (``audit_chain.central_made``).
- **A dead link stops the round**: what was not sent stays pending for the next round.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from hall_app.db import crypto
from hall_app.db.central import fetch_with_parents, mirror
from hall_app.db.engine import Database
from hall_app.db.models import Base, Counter, Order, SyncOutbox
from hall_app.db.outbox import PENDING, QUARANTINED, SENT, synced_tables
from hall_app.domain.enums import (
    DeviceStatus,
    EquipmentStatus,
    LabelledEnum,
    NumberStatus,
    SimStatus,
)
from hall_app.domain.errors import StorageError
from hall_app.domain.masking import mask_phone
from hall_app.services import audit, audit_chain
from hall_app.services.balances import movement_sums
from hall_app.sync.bill_totals import BILL_TABLES, settle_bill_totals

log = logging.getLogger("hall.sync")
T = TypeVar("T")
LINK_LOST = "与中心数据库的连接中断，未发送的记录保留待下次同步"

# Owned by the central database: counters receive them by pull; pushing only adds a row the
# central database does not have yet (a first load), never overwrites one (a login at a
# counter must not undo a password reset or a deactivation made centrally).
CENTRAL_OWNED = frozenset(
    {
        "halls",
        "counters",
        "service_types",
        "vat_categories",
        "products",
        "promotions",
        "pretty_tiers",
        "staff",
        "coverage_areas",
        "calendar_days",
        "installer_teams",
        "team_areas",
        "fusion_bundles",
        "handset_offers",
        "top_up_offers",
    }
)
FOREIGN_KEY_VIOLATION = "23503"
# Shared resources: which column names the counter holding the row, and which states hold it.
RESOURCES = {
    "number_pool": ("reserved_by_counter_id", ("reserved", "assigned"), "number", "号码"),
    "sim_cards": ("taken_by_counter_id", ("reserved", "assigned"), "iccid", "SIM 卡"),
    "landline_numbers": (
        "reserved_by_counter_id",
        ("reserved", "assigned"),
        "number",
        "固话号码",
    ),
    "equipment": ("taken_by_counter_id", ("lent", "sold"), "serial", "设备"),
    "devices": ("taken_by_counter_id", ("sold",), "imei", "手机"),
}
FREE = {  # the state a stale copy would undo a sale to
    "number_pool": "available",
    "sim_cards": "in_stock",
    "landline_numbers": "available",
    "equipment": "in_stock",
    "devices": "in_stock",
}
# Free to sell on a lease: a handset back in stock after a return too. (A return is not an
# undoing: a unit returned at another counter than the one that sold it goes through, on
# its stamp.)
SELLABLE = {name: (free,) for name, free in FREE.items()} | {"devices": ("in_stock", "returned")}
SOLD = {  # the held states that are a sale (a clash then goes to a supervisor)
    "number_pool": ("assigned",),
    "sim_cards": ("assigned",),
    "landline_numbers": ("assigned",),
    "equipment": ("lent", "sold"),
    "devices": ("sold",),
}
STATUSES: dict[str, type[LabelledEnum]] = {
    "number_pool": NumberStatus,
    "sim_cards": SimStatus,
    "landline_numbers": NumberStatus,
    "equipment": EquipmentStatus,
    "devices": DeviceStatus,
}
CLASH_KIND = {  # resource_clashes.resource
    "number_pool": "number",
    "sim_cards": "sim",
    "landline_numbers": "landline",
    "equipment": "equipment",
    "devices": "device",
}
# What the supervisor does about a clash, by resource: the central copy won.
REMEDY = {"equipment": "更换设备", "devices": "更换手机"}
MASKED = frozenset({"number_pool", "landline_numbers"})  # phone numbers: masked in the text
SLOTS = "install_slots"  # central-stamped; a counter's count stands only on its lease
LEASES = frozenset({"lease_counter_id", "lease_until"})  # the central database's to manage
CLASH_NS = uuid.UUID("6f1d8a52-3c4e-4b8e-9a51-2f0c7d9e1b44")
# Last writer wins on these, and an edit that gave way is audited centrally.
LWW_AUDITED = frozenset({"customers"})
AUDIT_LOG = "audit_log"  # append-only centrally: see _append_audit
NOT_COMPARED = frozenset({"id", "created_at", "updated_at"})
# The central database's to keep: changed there only by the movements that arrive.
BALANCES = ("balance_fen", "bonus_fen")


@dataclass(frozen=True)
class Clash:
    table: str
    row: dict[str, Any]  # the counter's copy
    central: dict[str, Any]  # the copy that wins
    flagged: bool = True  # a sale: recorded for a supervisor (a mere reservation is not)


class SyncUnavailable(StorageError):
    """The central database could not be reached or the link dropped; nothing is lost."""


@dataclass(frozen=True)
class PushReport:
    sent: int
    quarantined: int
    pending: int  # still waiting after this round
    batches: int
    seconds: float
    clashes: int = 0


def _reason(exc: DBAPIError) -> str:
    """The server's reason without the row's values (PostgreSQL's detail line holds them)."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    primary = getattr(diag, "message_primary", None) or type(orig).__name__
    code = getattr(orig, "sqlstate", None) or ""
    return f"{code} {primary}".strip()[:500]


class Pusher:
    def __init__(
        self,
        local: Database,
        central: Engine,
        clock: Callable[[], datetime],
        batch_size: int = 500,
        after_batch: Callable[[int], None] | None = None,
        counter_id: uuid.UUID | None = None,
        page_size: int = 20_000,
    ) -> None:
        self._page_size = page_size
        self._counter_id = counter_id  # the counter pushing: releases it makes are its own
        self._clashes: list[Clash] = []
        # central copies to take: (copy with its parents, the stamp of what was pushed)
        self._superseded: list[tuple[list[tuple[Table, dict[str, Any]]], datetime]] = []
        self._local = local
        self._central = central
        self._clock = clock
        self._batch = batch_size
        self._after_batch = after_batch  # tests kill the link or change rows here
        self._versions: dict[int, int] = {}
        self._tables: dict[str, Table] = {
            name: Base.metadata.tables[name] for name in synced_tables()
        }

    def waiting(self) -> int:
        with self._local.read() as s:
            return waiting_count(s)

    def enqueue_all(self, page: int = 5000) -> int:
        """Queue every synced row (a first load into an empty central database), a page of
        ids at a time, each page its own transaction: memory stays flat on a million rows,
        and a load cut short is simply run again (queuing a row twice queues it once)."""
        queued = 0
        for name, table in self._tables.items():
            last: uuid.UUID | None = None
            while True:
                stmt = select(table.c.id).order_by(table.c.id).limit(page)
                if last is not None:
                    stmt = stmt.where(table.c.id > last)
                with self._local.unit_of_work() as s:
                    ids = list(s.scalars(stmt))
                    if not ids:
                        break
                    s.execute(
                        insert(SyncOutbox).prefix_with("OR REPLACE"),
                        [
                            {"table_name": name, "row_id": i, "status": PENDING, "attempts": 0}
                            for i in ids
                        ],
                    )
                queued += len(ids)
                last = ids[-1]
        return queued

    def retry_quarantined(self) -> int:
        with self._local.unit_of_work() as s:
            return requeue_quarantined(s)

    def push(self) -> PushReport:
        started = time.perf_counter()
        sent = quarantined = batches = 0
        self._versions = {}
        self._deferred: list[tuple[Table, int, uuid.UUID]] = []
        self._deferred_ids: dict[str, set[uuid.UUID]] = {}  # by table: the rows deferred
        with self._local.read() as s:
            waiting_tables = set(
                s.scalars(
                    select(SyncOutbox.table_name).where(SyncOutbox.status == PENDING).distinct()
                )
            )
        for name, table in self._tables.items():  # parents first
            if name not in waiting_tables:
                continue
            # A page of the table's queue at a time (memory stays flat on a first load of a
            # million rows); within a page, rows that refer to another row of the same
            # table go last, and one whose parent is on a later page is tried again at the
            # end of the round.
            after = 0
            while page := self._page(name, after):
                after = page[-1][0]
                entries = self._parents_first(table, page)
                for chunk in _chunks(entries, self._batch):
                    ok, bad = self._push_batch(table, chunk)
                    sent += ok
                    quarantined += bad
                    batches += 1
                    if self._after_batch is not None:
                        self._after_batch(batches)
                keep = {seq for _, seq, _ in self._deferred}  # marked at the end of the round
                self._versions = {q: v for q, v in self._versions.items() if q in keep}
        ok, bad = self._retry_deferred()
        sent += ok
        quarantined += bad
        clashes, self._clashes = self._clashes, []
        if clashes:
            settle_clashes(self._local, self._central, clashes, self._clock())
        return PushReport(
            sent,
            quarantined,
            self.waiting(),
            batches,
            time.perf_counter() - started,
            sum(c.flagged for c in clashes),
        )

    def _page(self, table_name: str, after: int) -> list[tuple[int, uuid.UUID]]:
        with self._local.read() as s:
            rows = s.execute(
                select(SyncOutbox.seq, SyncOutbox.version, SyncOutbox.row_id)
                .where(
                    SyncOutbox.table_name == table_name,
                    SyncOutbox.status == PENDING,
                    SyncOutbox.seq > after,
                )
                .order_by(SyncOutbox.seq)
                .limit(self._page_size)
            ).all()
        self._versions.update({seq: version for seq, version, _ in rows})
        return [(seq, row_id) for seq, _version, row_id in rows]

    def _parents_first(
        self, table: Table, entries: list[tuple[int, uuid.UUID]]
    ) -> list[tuple[int, uuid.UUID]]:
        """Within a table that refers to itself (a minor's guardian is a customer too), the
        rows that refer to nobody go first."""
        self_refs = [fk.parent for fk in table.foreign_keys if fk.column.table is table]
        if not self_refs or not entries:
            return entries
        with self._local.read() as s:
            dependent = set(
                s.scalars(select(table.c.id).where(or_(*(c.is_not(None) for c in self_refs))))
            )
        return sorted(entries, key=lambda e: (e[1] in dependent, e[0]))

    # -- one batch ---------------------------------------------------------------------------
    def _push_batch(self, table: Table, chunk: list[tuple[int, uuid.UUID]]) -> tuple[int, int]:
        seqs = [seq for seq, _ in chunk]
        with self._local.read() as s:
            rows = [
                dict(r._mapping)
                for r in s.execute(
                    select(table).where(table.c.id.in_([row_id for _, row_id in chunk]))
                )
            ]
            rows = _before_movements(s, table, rows)
        waiting = self._referring_to_deferred(table, rows)
        if waiting:  # their parents are not there yet: at the end of the round, after them
            rows = [r for r in rows if r["id"] not in waiting]
            for seq, row_id in chunk:
                if row_id in waiting:
                    self._defer(table, seq, row_id)
            seqs = [seq for seq, row_id in chunk if row_id not in waiting]
            chunk = [(seq, row_id) for seq, row_id in chunk if row_id not in waiting]
            if not chunk:
                return 0, 0
        try:
            with self._central.begin() as conn:
                if rows:
                    self._upsert(conn, table, rows)
        except OperationalError as exc:
            raise SyncUnavailable(
                "与中心数据库的连接中断，未发送的记录保留待下次同步", "同步"
            ) from exc
        except DBAPIError as exc:
            if getattr(exc, "connection_invalidated", False):
                raise SyncUnavailable(LINK_LOST, "同步") from exc
            return self._one_by_one(table, chunk, rows)
        self._mark(seqs, SENT)
        if self._superseded:
            self._take_superseded()
        return len(seqs), 0

    def _retry_deferred(self) -> tuple[int, int]:
        """Rows that referred to a row not yet sent (a cycle between tables, a parent on a
        later page): again, now that everything else is there, in passes while a pass sends
        any (a row deferred before its own deferred parent goes in the pass after it); what
        still fails when a pass sends nothing is quarantined. Returns (sent, quarantined)."""
        sent = quarantined = 0
        deferred, self._deferred = self._deferred, []
        final = False
        while deferred:
            moved = 0
            for table, seq, row_id in deferred:
                with self._local.read() as s:
                    row = s.execute(select(table).where(table.c.id == row_id)).mappings().first()
                    rows = _before_movements(s, table, [dict(row)] if row else [])
                ok, bad = self._one_by_one(table, [(seq, row_id)], rows, final=final)
                sent += ok
                quarantined += bad
                moved += ok
            deferred, self._deferred = self._deferred, []
            final = moved == 0  # nothing went: the last pass, refusals quarantined
        return sent, quarantined

    def _defer(self, table: Table, seq: int, row_id: uuid.UUID) -> None:
        self._deferred.append((table, seq, row_id))
        self._deferred_ids.setdefault(table.name, set()).add(row_id)

    def _referring_to_deferred(self, table: Table, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
        """The rows that refer to a row deferred this round (its parent was not at the
        central database yet): sent now they would fail, and take their whole batch one row
        at a time with them (a first load of small pages cascaded so from a bundled
        subscription to its orders, their lines, bills and bill items). They go at the end
        of the round, after the rows they refer to; one whose parent is at the central
        database already is sent then all the same."""
        if not self._deferred_ids:
            return set()
        refs = [
            (fk.parent.name, ids)
            for fk in table.foreign_keys
            if (ids := self._deferred_ids.get(fk.column.table.name))
        ]
        return {r["id"] for r in rows for col, ids in refs if r.get(col) in ids}

    def _one_by_one(
        self,
        table: Table,
        chunk: list[tuple[int, uuid.UUID]],
        rows: list[dict[str, object]],
        final: bool = False,
    ) -> tuple[int, int]:
        by_id = {row["id"]: row for row in rows}
        ok = bad = 0
        for seq, row_id in chunk:
            row = by_id.get(row_id)
            try:
                if row is not None:
                    with self._central.begin() as conn:
                        self._upsert(conn, table, [row])
            except OperationalError as exc:
                raise SyncUnavailable(LINK_LOST, "同步") from exc
            except DBAPIError as exc:
                state = getattr(exc.orig, "sqlstate", None) or ""
                if not state.startswith(("22", "23")):  # not this row's data: the whole round
                    raise SyncUnavailable(f"中心数据库拒绝同步（{_reason(exc)}）", "同步") from exc
                if not final and state == FOREIGN_KEY_VIOLATION:
                    self._defer(table, seq, row_id)
                    continue
                reason = _reason(exc)
                log.warning("sync: %s row quarantined: %s", table.name, reason)
                self._mark([seq], QUARANTINED, reason)
                bad += 1
                continue
            self._mark([seq], SENT)
            if self._superseded:
                self._take_superseded()
            ok += 1
        return ok, bad

    def _upsert(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        if table.name == AUDIT_LOG:
            self._append_audit(conn, table, rows)
            return
        if table.name in LWW_AUDITED:
            self._upsert_audited(conn, table, rows)
            return
        if table.name == SLOTS:
            applied = set(
                conn.execute(
                    _upsert_slot(table, self._counter_id).returning(table.c.id), rows
                ).scalars()
            )
            # Not this counter's to count: it takes the central copy back (until the next
            # push of its own, if any, made meanwhile).
            by_id = {r["id"]: r for r in rows if r["id"] not in applied}
            if by_id:
                for copy in conn.execute(
                    select(table).where(table.c.id.in_(list(by_id)))
                ).mappings():
                    pushed = by_id[copy["id"]]["updated_at"]
                    self._superseded.append((fetch_with_parents(conn, table, dict(copy)), pushed))
            return
        if table.name not in RESOURCES:
            conn.execute(_upsert(table), rows)
            if table.name in BILL_TABLES:  # a bill counts its settlements, twice paid flagged
                settle_bill_totals(conn, table, rows, self._counter_id, self._clock())
            return
        applied = set(
            conn.execute(
                _upsert(table, self._counter_id).returning(table.c.id),
                rows,
            ).scalars()
        )
        skipped = [r for r in rows if r["id"] not in applied]
        if not skipped:
            return
        # Not applied: an older copy (harmless), or the counter holds what the central
        # database does not give it (a clash): it takes the central copy, and a sale is
        # flagged for a supervisor.
        holder, held, _key, _label = RESOURCES[table.name]
        central = {
            r["id"]: dict(r)
            for r in conn.execute(
                select(table).where(table.c.id.in_([r["id"] for r in skipped]))
            ).mappings()
        }
        for row in skipped:
            there = central.get(row["id"])
            mine = row[holder] or self._counter_id
            if there is None or row["status"] not in held:
                continue
            if there["status"] in held and there[holder] == mine:
                continue  # ours there too, in a newer state
            self._clashes.append(Clash(table.name, row, there, row["status"] in SOLD[table.name]))

    def _append_audit(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        """Append-only: a new entry goes in; one the central database holds stays as it is
        there, and a copy that differs from it (edited at the counter) is flagged for a
        supervisor. Nothing of the entry's content goes into the flag but its number."""
        held = {
            r["id"]: r
            for r in conn.execute(
                select(table).where(table.c.id.in_([r["id"] for r in rows]))
            ).mappings()
        }
        # An entry with no window is of the pushing counter's own no-window chain (each
        # counter numbers its own): it keeps its origin centrally (migration 0020).
        new = [
            {**r, "origin_counter_id": self._counter_id}
            if r["counter_id"] is None and r.get("origin_counter_id") is None
            else r
            for r in rows
            if r["id"] not in held
        ]
        if new:
            conn.execute(pg_insert(table).on_conflict_do_nothing(index_elements=["id"]), new)
        now = self._clock()
        flags = []
        for row in rows:
            there = held.get(row["id"])
            if there is None:
                continue
            pushed, kept = audit_chain.hash_of_row(row), audit_chain.hash_of_row(there)
            if pushed == kept and row["entry_hash"] == there["entry_hash"]:
                continue  # a retry of what arrived already
            flags.append(
                {
                    "id": uuid.uuid5(CLASH_NS, f"audit-resent:{row['id']}:{pushed}"),
                    "detected_at": now,
                    "kind": "resent_changed",
                    "counter_id": there["counter_id"],
                    "entry_id": row["id"],
                    "seq": there["seq"],
                    "detail": (
                        f"窗口发送的审计记录（第 {there['seq'] or '?'} 条，{there['action']}）"
                        "与中心数据库已存的不同：该记录在窗口被修改过。中心副本保留，未被覆盖"
                    ),
                }
            )
        if flags:
            log.warning("sync: %d audit entries resent changed; central copies kept", len(flags))
            alerts = Base.metadata.tables["audit_alerts"]
            conn.execute(pg_insert(alerts).on_conflict_do_nothing(index_elements=["id"]), flags)

    def _upsert_audited(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        """Last writer wins; an edit of this counter's that gives way to a newer central copy
        is audited centrally (in the same transaction) and the central copy comes back."""
        # Which will give way, read first (locked, so it holds until this commit): a plain
        # executemany then stays fast, where RETURNING would cost it four times over.
        stamps = dict(
            conn.execute(
                select(table.c.id, table.c.updated_at)
                .where(table.c.id.in_([r["id"] for r in rows]))
                .with_for_update()
            ).all()
        )
        conn.execute(_upsert(table), rows)
        lost = {r["id"]: r for r in rows if r["id"] in stamps and stamps[r["id"]] > r["updated_at"]}
        if not lost:
            return
        now = self._clock()
        entries = []
        sealed = frozenset(crypto.encrypted_columns(table))
        for there in conn.execute(select(table).where(table.c.id.in_(list(lost)))).mappings():
            mine = lost[there["id"]]
            fields = sorted(
                c
                for c in mine
                if c not in NOT_COMPARED and _differs(table.name, c in sealed, c, mine, there)
            )
            if not fields:
                continue
            entries.append(
                audit_chain.central_made(
                    {
                        "id": uuid.uuid5(CLASH_NS, f"lww:{there['id']}:{mine['updated_at']}"),
                        "created_at": now,
                        "updated_at": now,
                        "at": now,
                        "staff_id": None,
                        "actor_name": "同步：后写为准",
                        "counter_id": self._counter_id,
                        "action": "sync.edit_superseded",
                        "entity": table.name.rstrip("s"),
                        "entity_id": str(there["id"]),
                        "before": {"fields": fields, "edited_at": mine["updated_at"].isoformat()},
                        "after": {"kept": "central", "edited_at": there["updated_at"].isoformat()},
                    }
                )
            )
            self._superseded.append(
                (fetch_with_parents(conn, table, dict(there)), mine["updated_at"])
            )
        if entries:
            audit_log = Base.metadata.tables["audit_log"]
            conn.execute(
                pg_insert(audit_log).on_conflict_do_nothing(index_elements=["id"]), entries
            )

    def _take_superseded(self) -> None:
        """The counter takes the newer central copies of what it edited in vain (parents it
        lacks come too; ones it has are left alone)."""
        taken, self._superseded = self._superseded, []
        with self._local.unit_of_work() as s:
            for rows, pushed_stamp in taken:
                mirror(s, rows, if_stamped=pushed_stamp)

    def _mark(self, seqs: list[int], status: str, error: str | None = None) -> None:
        """Mark entries, but only at the version this round read: an entry changed meanwhile
        stays pending and goes out with its new version next round."""
        now = self._clock()
        outbox = Base.metadata.tables["sync_outbox"]
        stmt = (
            update(outbox)
            .where(
                outbox.c.seq == bindparam("b_seq"),
                outbox.c.status == PENDING,
                outbox.c.version == bindparam("b_version"),
            )
            .values(
                status=status,
                last_error=error,
                attempts=outbox.c.attempts + 1,
                sent_at=now if status == SENT else None,
            )
        )
        params = [{"b_seq": seq, "b_version": self._versions.get(seq, -1)} for seq in seqs]
        with self._local.unit_of_work() as s:
            s.connection().execute(stmt, params)  # one executemany


def _differs(
    table: str, sealed: bool, column: str, mine: Mapping[str, Any], there: Mapping[Any, Any]
) -> bool:
    """Whether a column's value differs between two copies of a row. A sealed value is
    compared opened: the same plaintext sealed twice differs (a fresh nonce each time)."""
    a, b = mine[column], there[column]
    if not sealed or a is None or b is None:
        return bool(a != b)
    row_id = there["id"]
    return crypto.open_value(a, table, column, row_id) != crypto.open_value(
        b, table, column, row_id
    )


def waiting_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).where(SyncOutbox.status == PENDING)) or 0)


def requeue_quarantined(session: Session) -> int:
    """Refused records pending again (after the cause was fixed); how many."""
    seqs = session.scalars(select(SyncOutbox.seq).where(SyncOutbox.status == QUARANTINED)).all()
    if seqs:
        session.execute(
            update(SyncOutbox)
            .where(SyncOutbox.seq.in_(seqs))
            .values(status=PENDING, last_error=None)
        )
    return len(seqs)


def _upsert(table: Table, counter_id: uuid.UUID | None = None):  # type: ignore[no-untyped-def]
    stmt = pg_insert(table)
    if table.name in CENTRAL_OWNED:
        return stmt.on_conflict_do_nothing(index_elements=[table.c.id])
    columns = {c.name: stmt.excluded[c.name] for c in table.columns if c.name != "id"}
    if table.name == "subscriptions":
        columns = {k: v for k, v in columns.items() if k not in BALANCES}
    newer = table.c.updated_at <= stmt.excluded.updated_at  # last writer wins
    if table.name in RESOURCES:
        columns = {k: v for k, v in columns.items() if k not in LEASES}
        # ... but never over a number or SIM the central database gives another counter.
        holder, held, _key, _label = RESOURCES[table.name]
        pusher: ColumnElement[Any] = stmt.excluded[holder]
        if counter_id is not None:
            pusher = func.coalesce(pusher, literal(counter_id, table.c[holder].type))
        # (no IN lists: expanding parameters do not go with executemany)
        theirs = and_(
            or_(*(table.c.status == h for h in held)),
            table.c[holder].is_not(None),
            table.c[holder].is_distinct_from(pusher),
        )
        # Blocked: claiming what another counter holds, or undoing its reservation. A change
        # that claims nothing (a cancelled number going to its cooling-off) still applies.
        claims = or_(*(stmt.excluded.status == h for h in held))
        frees = stmt.excluded.status == FREE[table.name]
        undoes = [table.c.status == "reserved"] if "reserved" in held else []
        blocked = and_(theirs, or_(claims, frees, *undoes))
        # A sale on this counter's lease applies whatever the clocks say: nobody else could
        # sell it meanwhile (a counter clock behind the central one must not lose it).
        me: ColumnElement[Any] = (
            literal(counter_id, table.c[holder].type)
            if counter_id is not None
            else stmt.excluded[holder]
        )
        on_my_lease = and_(
            claims,  # only a sale or reservation of the pushing counter's, not a stale copy
            stmt.excluded[holder] == me,
            or_(*(table.c.status == f for f in SELLABLE[table.name])),
            table.c.lease_counter_id == me,
        )
        newer = and_(or_(newer, on_my_lease), not_(blocked))
    return stmt.on_conflict_do_update(index_elements=[table.c.id], set_=columns, where=newer)


def _upsert_slot(table: Table, counter_id: uuid.UUID | None):  # type: ignore[no-untyped-def]
    """An install slot: added when the central database lacks it; else only ``booked`` (and
    its stamp) and only from the counter holding the slot's lease. While the lease runs its
    count wins (nobody else may book the slot); once it has lapsed (others may have booked
    meanwhile), the higher count stands."""
    stmt = pg_insert(table)
    me: ColumnElement[Any] = (
        literal(counter_id, table.c.lease_counter_id.type)
        if counter_id is not None
        else stmt.excluded.lease_counter_id
    )
    booked = case(
        (table.c.lease_until >= func.now(), stmt.excluded.booked),
        else_=func.greatest(table.c.booked, stmt.excluded.booked),
    )
    return stmt.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={"booked": booked, "updated_at": stmt.excluded.updated_at},
        where=table.c.lease_counter_id == me,
    )


def settle_clashes(local: Database, central: Engine, clashes: list[Clash], now: datetime) -> None:
    """The central copy wins: the counter takes it (silently, it is not news centrally), and
    each clash is recorded centrally with the order that used the resource, for a
    supervisor. Recording is idempotent (a key derived from the clash), so a round cut short
    and run again records it once."""
    records = []
    with local.unit_of_work() as s:
        for clash in clashes:
            table = Base.metadata.tables[clash.table]
            holder, held, key, label = RESOURCES[clash.table]
            mirror(s, [(table, clash.central)])
            if not clash.flagged:
                continue  # a reservation that lapsed here: nothing was sold
            order = _order_using(s, clash)
            there = clash.central
            names = dict(
                s.execute(
                    select(Counter.id, Counter.name).where(
                        Counter.id.in_(
                            [clash.row[holder], there[holder], there["lease_counter_id"]]
                        )
                    )
                ).all()
            )
            ours = names.get(clash.row[holder], "本窗口")
            value = str(clash.row[key])
            shown = mask_phone(value) if clash.table in MASKED else value
            if there["status"] in held and there[holder] in names:
                where = f"已由{names[there[holder]]}" + (
                    "办理" if there["status"] in SOLD[clash.table] else "预占"
                )
            else:
                enum = STATUSES[clash.table]
                where = f"在中心数据库为“{enum(there['status']).label}”" + (
                    f"，已租给{names[there['lease_counter_id']]}"
                    if there["lease_counter_id"] in names
                    else ""
                )
            detail = (
                f"{label} {shown} {where}，{ours}"
                + (f"的受理单 {order[1]} " if order else "")
                + "也卖出了它。以中心为准：请主管联系客户，"
                + REMEDY.get(clash.table, "换号或换卡")
                + "后标记已处理。"
            )
            records.append(
                {
                    "id": uuid.uuid5(
                        CLASH_NS, f"{clash.table}:{clash.row['id']}:{clash.row['updated_at']}"
                    ),
                    "hall_id": clash.row["hall_id"] or clash.central["hall_id"],
                    "counter_id": clash.row[holder],
                    "order_id": order[0] if order else None,
                    "resource": CLASH_KIND[clash.table],
                    "resource_key": value[:20],  # a serial may be longer: whole in the text
                    "detail": detail,
                    "detected_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            audit.record(
                s,
                at=now,
                actor=None,
                action="sync.resource_clash",
                entity=clash.table,
                entity_id=clash.row["id"],
                before={"status": clash.row["status"]},
                after={"status": clash.central["status"], "central_wins": True},
            )
    if not records:
        return
    clashes_table = Base.metadata.tables["resource_clashes"]
    orders = Base.metadata.tables["orders"]
    try:
        with central.begin() as conn:
            present = set(
                conn.execute(
                    select(orders.c.id).where(
                        orders.c.id.in_([r["order_id"] for r in records if r["order_id"]])
                    )
                ).scalars()
            )
            for r in records:  # an order still on its way (or refused) is named in the text
                if r["order_id"] not in present:
                    r["order_id"] = None
            conn.execute(
                pg_insert(clashes_table).on_conflict_do_nothing(index_elements=["id"]), records
            )
    except OperationalError as exc:
        raise SyncUnavailable(LINK_LOST, "同步") from exc


def _order_using(s: Session, clash: Clash) -> tuple[uuid.UUID, str] | None:
    """The counter's order that sold the clashing number, SIM, equipment or handset."""
    if clash.table in ("equipment", "devices"):
        if clash.row["order_id"] is None:
            return None
        got = s.execute(
            select(Order.id, Order.order_no).where(Order.id == clash.row["order_id"])
        ).first()
        return (got[0], got[1]) if got else None
    sub = Base.metadata.tables["subscriptions"]
    cond = (
        sub.c.sim_id == clash.row["id"]
        if clash.table == "sim_cards"
        else sub.c.service_number == clash.row["number"]
    )
    row = s.execute(
        select(Order.id, Order.order_no)
        .join(sub, sub.c.id == Order.subscription_id)
        .where(cond)
        .order_by(Order.created_at.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def _before_movements(
    session: Session, table: Table, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Subscriptions as they were before this counter's balance movements (read in the same
    snapshot as the rows): what a subscription new to the central database is inserted with,
    the movements then adding each change once. (An existing central row keeps its balances.)"""
    if table.name != "subscriptions" or not rows:
        return rows
    sums = movement_sums(session, [r["id"] for r in rows])
    out = []
    for r in rows:
        balance, bonus = sums.get(r["id"], (0, 0))
        out.append(
            r | {"balance_fen": r["balance_fen"] - balance, "bonus_fen": r["bonus_fen"] - bonus}
        )
    return out


def _chunks(items: list[T], size: int) -> list[list[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
