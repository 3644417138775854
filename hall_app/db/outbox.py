"""SQLite triggers that queue every insert and update of a synced table in ``sync_outbox``.

They run inside the writing transaction: a rolled-back order queues nothing, a committed one
queues every row it touched, whether written through the ORM or a Core UPDATE. A row changed
again before it is pushed is queued once; its version tells a push whether what it sent is
still the latest.
Tables added by later migrations must call ``create_triggers`` for themselves."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, delete, insert, select, text
from sqlalchemy.orm import Session

from hall_app.db.models import Base, SyncedMixin, SyncOutbox, SyncState

# The status of an outbox entry (``sync_outbox.status``): waiting to be pushed, pushed (that
# very version), or refused by the central database and set aside for a supervisor.
PENDING, SENT, QUARANTINED = "pending", "sent", "quarantined"


def synced_tables() -> list[str]:
    """Every table of a SyncedMixin model, parents before children (push order)."""
    synced = {
        m.class_.__tablename__
        for m in Base.registry.mappers
        if issubclass(m.class_, SyncedMixin) and hasattr(m.class_, "__tablename__")
    }
    return [t.name for t in Base.metadata.sorted_tables if t.name in synced]


PULLING = "applying_pull"  # a sync_state key, present only inside a pull's transaction


@contextmanager
def silenced(session: Session) -> Iterator[None]:
    """Writes inside the block are not queued to go to the central database: they came from
    it (a pull, a lease, a mirrored ticket). Only this transaction sees the flag; if it rolls
    back, the flag goes with it."""
    session.execute(insert(SyncState).values(key=PULLING, value="1"))
    yield
    session.execute(delete(SyncState).where(SyncState.key == PULLING))


def _trigger_sql(table: str, when: str) -> str:
    """One entry per row: inserted the first time, then each change bumps its version and sets
    it pending again, so a push marks an entry sent only if it sent that very version. No
    conflict clauses (an outer UPSERT would override them). Silent while the counter applies
    a pull in the same transaction: what the central database sent is not news for it."""
    key = f"table_name = '{table}' AND row_id = NEW.id"
    return (
        f"CREATE TRIGGER IF NOT EXISTS trg_outbox_{when.lower()}_{table} "
        f"AFTER {when} ON {table} "
        f"WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = '{PULLING}') BEGIN "
        "INSERT INTO sync_outbox (table_name, row_id, status, attempts, version) "
        f"SELECT '{table}', NEW.id, 'pending', 0, 0 "
        f"WHERE NOT EXISTS (SELECT 1 FROM sync_outbox WHERE {key}); "
        "UPDATE sync_outbox SET status = 'pending', version = version + 1, attempts = 0, "
        "last_error = NULL "
        f"WHERE {key}; END"
    )


# Append-only: a new row is queued, a change is not (an audit entry edited at the counter must
# never overwrite the central copy; the central database refuses it anyway, migration 0018).
APPEND_ONLY = frozenset({"audit_log"})


def create_triggers(conn: Connection, tables: Iterable[str]) -> None:
    if conn.dialect.name != "sqlite":
        return  # the central database has no outbox of its own
    for table in tables:
        for when in ("INSERT",) if table in APPEND_ONLY else ("INSERT", "UPDATE"):
            conn.execute(text(_trigger_sql(table, when)))


def drop_triggers(conn: Connection, tables: Iterable[str]) -> None:
    if conn.dialect.name != "sqlite":
        return
    for table in tables:
        for when in ("insert", "update"):
            conn.execute(text(f"DROP TRIGGER IF EXISTS trg_outbox_{when}_{table}"))


def waiting_to_go(session: Session, table: str, row_id: object) -> bool:
    """This counter changed the row and the change has not reached the central database yet
    (made offline): the central copy is behind, so the next change is made here too, and
    both go with the next push."""
    return (
        session.scalar(
            select(SyncOutbox.seq)
            .where(
                SyncOutbox.table_name == table,
                SyncOutbox.row_id == row_id,
                SyncOutbox.status == PENDING,
            )
            .limit(1)
        )
        is not None
    )
