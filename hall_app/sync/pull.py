"""Pulling what the hall decides centrally into the counter: halls and counters, service types,
VAT categories, the catalog with prices and promotions, pretty-number tiers, staff (new
accounts, passwords, roles), invoice segments and resource clashes.

Each table is read from the central database from its watermark (the newest ``central_at``
seen last time: the central clock's stamp, never a counter's) and upserted locally (the
central copy wins for what it owns; otherwise last writer wins on ``updated_at``). The
boundary is read inclusively, and a window behind it again, so nothing committed late is
missed; re-applying a row is harmless.
Rows written by the pull are not queued for pushing back. What the central database decides
for the hall (a price, a password, a role, a deactivation) is audited at the counter as it
arrives: which row, which fields, before and after (a password only as changed)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from hall_app.db.engine import Database
from hall_app.db.models import Base, Hall, SyncOutbox, SyncState
from hall_app.db.outbox import PENDING, silenced
from hall_app.services import audit
from hall_app.sync.push import CENTRAL_OWNED, LINK_LOST, SyncUnavailable

LAG = timedelta(minutes=10)
UNAUDITED = frozenset({"id", "created_at", "updated_at", "central_at"})
# The counter's own state on a row the central database owns: sign-in attempts and lockouts
# happen at the counter, and a pull must not reset them (nor audit them as the hall's change).
COUNTER_STATE = {"staff": frozenset({"failed_logins", "locked_until", "last_login_at"})}
SECRET = {"password_hash"}  # audited as changed, never its value
# What the central database owns; the invoice segments it leases to counters; the resource
# clashes it found, for the hall's supervisors. (Leased numbers and SIMs come with the lease
# itself, hall_app/sync/leases.py: the whole pool is never copied to a counter.) The hall's
# install slots, with their central booked counts and who holds them on lease.
PULLED = CENTRAL_OWNED | {
    "invoice_segments",
    "resource_clashes",
    "install_slots",
    "bills",
    "bill_items",
}
# Decided centrally but changed at the counter too (an offline booking on its lease): the
# central copy wins, except over a change of the counter's own not yet pushed (the push that
# takes it there comes first; the next pull brings the outcome).
# Bills likewise: the central billing run makes them, a counter settles them (a payment's
# new paid amount waits in the outbox and is not overwritten by an older central copy).
CENTRAL_WINS = frozenset({"install_slots", "bills", "bill_items"})
# Rows pulled only when what they hang on is here: the bills of the counter's own customers
# (the hall's bills whose customer and number this counter has), and those bills' items.
# (A bill skipped for a customer not here yet is not fetched again once the watermark passed
# it: the customer's next bill, or a full re-pull, brings it.)
LOCAL_PARENTS = {
    "bills": (("customer_id", "customers"), ("subscription_id", "subscriptions")),
    "bill_items": (("bill_id", "bills"),),
}


@dataclass(frozen=True)
class PullReport:
    rows: int
    tables: int
    seconds: float


class Puller:
    def __init__(self, local: Database, central: Engine, clock: Callable[[], datetime]) -> None:
        self._local = local
        self._central = central
        self._clock = clock
        order = [t.name for t in Base.metadata.sorted_tables]
        self._tables: list[Table] = [
            Base.metadata.tables[name] for name in sorted(PULLED, key=order.index)
        ]
        with local.read() as s:
            self._halls = list(s.scalars(select(Hall.id)))

    def pull(self) -> PullReport:
        started = time.perf_counter()
        rows = tables = 0
        for table in self._tables:
            got = self._pull_table(table)
            rows += got
            tables += 1 if got else 0
        return PullReport(rows, tables, time.perf_counter() - started)

    def _pull_table(self, table: Table) -> int:
        # The watermark is the central clock's stamp (central_at, set by a trigger there), so
        # a counter clock that wrote updated_at can not hide a change.
        key = f"pullc:{table.name}"
        with self._local.read() as s:
            mark = s.scalar(select(SyncState.value).where(SyncState.key == key))
        stamp = table.c.central_at
        halls: list[Any] = []
        if "hall_id" in table.c and self._halls:  # only this counter's hall
            halls.append(table.c.hall_id.in_(self._halls))
        elif table.name == "halls" and self._halls:
            halls.append(table.c.id.in_(self._halls))
        window: list[Any] = list(halls)
        if mark:  # re-read a window behind the mark: commits that landed late
            window.append(stamp >= datetime.fromisoformat(mark) - LAG)
        try:
            with self._central.connect() as conn:
                if mark:
                    rows, newest = self._new_in_window(conn, table, window, halls)
                else:  # the first pull: everything
                    stmt = select(table).where(*window).order_by(stamp)
                    rows = [dict(r._mapping) for r in conn.execute(stmt)]
                    stamps = [r["central_at"] for r in rows if r["central_at"] is not None]
                    newest = max(stamps) if stamps else None
        except OperationalError as exc:
            raise SyncUnavailable(LINK_LOST, "同步") from exc
        if not rows:
            if newest is not None:
                with self._local.unit_of_work() as s:
                    self._set_mark(s, key, newest)
            return 0
        own = COUNTER_STATE.get(table.name, frozenset())
        with self._local.unit_of_work() as s:
            # The outbox triggers are silent while this transaction holds the flag: what the
            # central database sent is not news for it. Other connections never see the flag.
            with silenced(s):
                for start in range(0, len(rows), 500):
                    page = rows[start : start + 500]
                    if table.name in LOCAL_PARENTS:
                        page = _with_local_parents(s, table.name, page)
                    if table.name in CENTRAL_WINS:
                        page = _without_pending(s, table, page)
                        if not page:
                            continue
                    if table.name in CENTRAL_OWNED:
                        self._audit(s, table, page)
                    lifted = _unlocked(s, table, page)
                    # One statement, executed for the page's rows (executemany): compiled once
                    # per table, where a VALUES list of 500 rows was compiled for every page.
                    upsert = sqlite_insert(table)
                    # The central database is the authority for what it owns (the catalog,
                    # staff): its copy always wins. Otherwise, the newer copy wins.
                    newer = (
                        None
                        if table.name in CENTRAL_OWNED | CENTRAL_WINS
                        else table.c.updated_at < upsert.excluded.updated_at
                    )
                    s.execute(
                        upsert.on_conflict_do_update(
                            index_elements=[table.c.id],
                            set_={
                                c.name: upsert.excluded[c.name]
                                for c in table.c
                                if c.name != "id" and c.name not in own
                            },
                            where=newer,
                        ),
                        page,
                    )
                    if lifted:
                        self._lift(s, table, lifted)
            if newest is not None:
                self._set_mark(s, key, newest)
        return len(rows)

    @staticmethod
    def _set_mark(s: Session, key: str, newest: datetime) -> None:
        state = sqlite_insert(SyncState).values(key=key, value=newest.isoformat())
        s.execute(
            state.on_conflict_do_update(index_elements=["key"], set_={"value": newest.isoformat()})
        )

    def _new_in_window(
        self, conn: Connection, table: Table, window: list[Any], halls: list[Any]
    ) -> tuple[list[dict[str, Any]], datetime | None]:
        """The window's rows this counter does not hold as they are centrally, and the
        window's newest stamp. The window is read again every round for ten minutes (the
        lag behind the mark), and right after a first load it holds every row pushed: each
        round re-read and re-applied the whole load. Now only each row's id and stamp are
        read; a row whose local copy carries the same central stamp (what the last pull
        applied) is that version already, and the rest are read whole."""
        stamp = table.c.central_at
        light = conn.execute(select(table.c.id, stamp).where(*window)).all()
        if not light:
            return [], None
        stamps = [at for _, at in light if at is not None]
        newest = max(stamps) if stamps else None
        held: dict[Any, Any] = {}
        ids = [i for i, _ in light]
        with self._local.read() as s:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                held.update(s.execute(select(table.c.id, stamp).where(table.c.id.in_(chunk))).all())
        wanted = {i for i, at in light if at is None or held.get(i) != at}
        if not wanted:
            return [], newest
        if len(wanted) * 2 > len(light):  # most of it: one read of the window
            stmt = select(table).where(*window).order_by(stamp)
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
            return [r for r in rows if r["id"] in wanted], newest
        rows = []
        wanted_ids = sorted(wanted, key=str)
        for start in range(0, len(wanted_ids), 500):
            chunk = wanted_ids[start : start + 500]
            stmt = select(table).where(table.c.id.in_(chunk), *halls)  # still the hall's
            rows.extend(dict(r._mapping) for r in conn.execute(stmt))
        rows.sort(key=lambda r: (r["central_at"] is None, r["central_at"] or newest))
        return rows, newest

    def _audit(self, s: Session, table: Table, rows: list[dict[str, Any]]) -> None:
        """One audit entry per row the central database changed (or added) for the hall."""
        known = {
            r["id"]: dict(r)
            for r in s.execute(
                select(table).where(table.c.id.in_([r["id"] for r in rows]))
            ).mappings()
        }
        now = self._clock()
        for row in rows:
            old = known.get(row["id"])
            skip = UNAUDITED | COUNTER_STATE.get(table.name, frozenset())
            changed = [c for c in row if c not in skip and (old is None or old.get(c) != row[c])]
            if old is not None and not changed:
                continue  # re-read inside the window: nothing new
            audit.record(
                s,
                at=now,
                actor=None,
                actor_name="中心数据库",
                action="sync.pulled" if old is not None else "sync.pulled_new",
                entity=table.name,
                entity_id=row["id"],
                before=None if old is None else {c: _shown(c, old.get(c)) for c in changed},
                after={c: _shown(c, row[c]) for c in changed},
            )

    def _lift(self, s: Session, table: Table, ids: list[Any]) -> None:
        """Locks the hall's supervisor lifted centrally after this counter set them."""
        s.execute(
            update(table).where(table.c.id.in_(ids)).values(failed_logins=0, locked_until=None)
        )
        now = self._clock()
        for staff_id in ids:
            audit.record(
                s,
                at=now,
                actor=None,
                actor_name="中心数据库",
                action="sync.pulled_unlock",
                entity=table.name,
                entity_id=staff_id,
                after={"failed_logins": 0, "locked_until": None},
            )


def _unlocked(s: Session, table: Table, page: list[dict[str, Any]]) -> list[Any]:
    """Staff rows whose sign-in failures or lock at this counter an unlock (or a password
    reset) made centrally lifts: the central row's ``locked_until`` is the moment of the
    unlock (the central clock), and this counter's copy was last changed (its failures
    counted, its lock set) before it. A lock set later, or no unlock at all, stays."""
    if table.name != "staff":
        return []
    lifts = {r["id"]: r["locked_until"] for r in page if r.get("locked_until") is not None}
    if not lifts:
        return []
    held = s.execute(
        select(table.c.id, table.c.updated_at).where(
            table.c.id.in_(list(lifts)),
            or_(table.c.locked_until.is_not(None), table.c.failed_logins > 0),
        )
    ).all()
    return [staff_id for staff_id, changed in held if changed <= lifts[staff_id]]


def _with_local_parents(s: Session, name: str, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The page without the rows whose parents (LOCAL_PARENTS) this counter does not have."""
    for column, parent in LOCAL_PARENTS[name]:
        ids = {r[column] for r in page}
        parents = Base.metadata.tables[parent]
        here = set(s.scalars(select(parents.c.id).where(parents.c.id.in_(ids))))
        page = [r for r in page if r[column] in here]
    return page


def _without_pending(s: Session, table: Table, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The page without the rows this counter changed and has not pushed yet."""
    pending = set(
        s.scalars(
            select(SyncOutbox.row_id).where(
                SyncOutbox.table_name == table.name,
                SyncOutbox.status == PENDING,
                SyncOutbox.row_id.in_([r["id"] for r in page]),
            )
        )
    )
    return [r for r in page if r["id"] not in pending] if pending else page


def _shown(column: str, value: object) -> object:
    if column in SECRET:
        return "（已更改）" if value else None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
