"""SQLite triggers that queue every insert and update of a synced table in ``sync_outbox``.

They run inside the writing transaction: a rolled-back order queues nothing, a committed one
queues every row it touched, whether written through the ORM or a Core UPDATE. A row changed
again before it is pushed is queued once, with a new sequence number.
Tables added by later migrations must call ``create_triggers`` for themselves."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, text

from hall_app.db.models import Base, SyncedMixin


def synced_tables() -> list[str]:
    """Every table of a SyncedMixin model, parents before children (push order)."""
    synced = {
        m.class_.__tablename__
        for m in Base.registry.mappers
        if issubclass(m.class_, SyncedMixin) and hasattr(m.class_, "__tablename__")
    }
    return [t.name for t in Base.metadata.sorted_tables if t.name in synced]


def _trigger_sql(table: str, when: str) -> str:
    # Delete, then insert: not INSERT OR REPLACE, whose conflict policy an outer UPSERT (the
    # pull) would override.
    return (
        f"CREATE TRIGGER IF NOT EXISTS trg_outbox_{when.lower()}_{table} "
        f"AFTER {when} ON {table} BEGIN "
        f"DELETE FROM sync_outbox WHERE table_name = '{table}' AND row_id = NEW.id; "
        "INSERT INTO sync_outbox (table_name, row_id, status, attempts) "
        f"VALUES ('{table}', NEW.id, 'pending', 0); END"
    )


def create_triggers(conn: Connection, tables: Iterable[str]) -> None:
    if conn.dialect.name != "sqlite":
        return  # the central database has no outbox of its own
    for table in tables:
        for when in ("INSERT", "UPDATE"):
            conn.execute(text(_trigger_sql(table, when)))


def drop_triggers(conn: Connection, tables: Iterable[str]) -> None:
    if conn.dialect.name != "sqlite":
        return
    for table in tables:
        for when in ("insert", "update"):
            conn.execute(text(f"DROP TRIGGER IF EXISTS trg_outbox_{when}_{table}"))
